//! Why a seller cancels an order: some marketplaces take one of their own reason codes (Shopee, Lazada), others any
//! text. Each marketplace's descriptor lists the codes it takes; an empty list means free text.

/// A reason a marketplace takes for a seller's cancel: the hub's code (what clients send), the merchant's words,
/// and the value the marketplace's API expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CancelReasonOption {
    pub code: &'static str,
    pub label: &'static str,
    pub wire: &'static str,
}

/// The value sent to the marketplace for the reason `given`: the text itself where the marketplace takes text, else
/// the marketplace's value of the chosen code (codes compared without regard to case). Err: a message naming the
/// codes the marketplace takes.
pub fn wire_value(options: &[CancelReasonOption], given: &str) -> Result<String, String> {
    let given = given.trim();
    if options.is_empty() {
        return Ok(given.to_owned());
    }
    options.iter().find(|o| o.code.eq_ignore_ascii_case(given)).map(|o| o.wire.to_owned()).ok_or_else(|| {
        let codes: Vec<&str> = options.iter().map(|o| o.code).collect();
        format!("\"{given}\" is not a cancel reason this marketplace takes; use one of {}", codes.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODES: &[CancelReasonOption] = &[
        CancelReasonOption { code: "OUT_OF_STOCK", label: "Hết hàng", wire: "10000021" },
        CancelReasonOption { code: "CUSTOMER_REQUEST", label: "Khách yêu cầu hủy", wire: "CUSTOMER_REQUEST" },
    ];

    #[test]
    fn a_code_maps_to_the_marketplace_value_and_text_passes_where_text_is_taken() {
        let cases: &[(&[CancelReasonOption], &str, Result<&str, &str>)] = &[
            (CODES, "OUT_OF_STOCK", Ok("10000021")),
            (CODES, " out_of_stock ", Ok("10000021")),
            (CODES, "CUSTOMER_REQUEST", Ok("CUSTOMER_REQUEST")),
            (CODES, "Khách đổi ý", Err("use one of OUT_OF_STOCK, CUSTOMER_REQUEST")),
            (&[], "Khách đổi ý", Ok("Khách đổi ý")),
        ];
        for (options, given, want) in cases {
            match (wire_value(options, given), want) {
                (Ok(got), Ok(want)) => assert_eq!(got, *want, "{given}"),
                (Err(got), Err(want)) => assert!(got.contains(want), "{given}: {got}"),
                (got, want) => panic!("{given}: got {got:?}, want {want:?}"),
            }
        }
    }
}
