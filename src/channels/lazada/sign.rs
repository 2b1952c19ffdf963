//! Lazada Open Platform signatures: the request `sign` parameter and the push `Authorization` header.

use crate::channels::hmac_sha256_hex;

/// The request signature: HMAC-SHA256 (key = app secret) over the API name followed by every parameter except
/// `sign` as `name` + `value`, sorted by name in byte order, with raw (un-encoded) values; UPPERCASE hex.
pub fn sign_request<'a>(
    app_secret: &str,
    api_name: &str,
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> String {
    let mut sorted: Vec<(&str, &str)> = params.into_iter().filter(|(name, _)| *name != "sign").collect();
    sorted.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut message =
        String::with_capacity(api_name.len() + sorted.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>());
    message.push_str(api_name);
    for (name, value) in sorted {
        message.push_str(name);
        message.push_str(value);
    }
    hmac_sha256_hex(app_secret.as_bytes(), message.as_bytes()).to_ascii_uppercase()
}

/// The push signature Lazada puts in the `Authorization` header: HMAC-SHA256 (key = app secret) over the app key
/// followed by the raw body, lowercase hex.
pub fn sign_push(app_key: &str, app_secret: &str, body: &[u8]) -> String {
    let mut message = Vec::with_capacity(app_key.len() + body.len());
    message.extend_from_slice(app_key.as_bytes());
    message.extend_from_slice(body);
    hmac_sha256_hex(app_secret.as_bytes(), &message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_signature_matches_the_official_lazada_test_vector() {
        let params = [
            ("app_key", "123456"),
            ("access_token", "test"),
            ("timestamp", "1517820392000"),
            ("sign_method", "sha256"),
            ("order_id", "1234"),
        ];
        assert_eq!(
            sign_request("helloworld", "/order/get", params),
            "4190D32361CFB9581350222F345CB77F3B19F0E31D162316848A2C1FFD5FAB4A"
        );
    }

    #[test]
    fn request_signature_ignores_a_sign_parameter_and_parameter_order() {
        let params = [
            ("sign", "WHATEVER"),
            ("order_id", "1234"),
            ("timestamp", "1517820392000"),
            ("sign_method", "sha256"),
            ("access_token", "test"),
            ("app_key", "123456"),
        ];
        assert_eq!(
            sign_request("helloworld", "/order/get", params),
            "4190D32361CFB9581350222F345CB77F3B19F0E31D162316848A2C1FFD5FAB4A"
        );
    }

    #[test]
    fn request_signature_covers_the_xml_payload_of_a_price_quantity_update() {
        let payload = "<Request><Product><Skus><Sku><SellerSku>SKU-1</SellerSku><Price>100000</Price><Quantity>5</Quantity></Sku></Skus></Product></Request>";
        let params = [
            ("app_key", "123456"),
            ("access_token", "test"),
            ("timestamp", "1517820392000"),
            ("sign_method", "sha256"),
            ("payload", payload),
        ];
        assert_eq!(
            sign_request("helloworld", "/product/price_quantity/update", params),
            "457C3A7617CF0A1E9531EC4F7692AD4DE3597E8B7AE578C326197D18A6C5A3D1"
        );
    }

    #[test]
    fn push_signature_matches_the_researcher_vector() {
        let body = r#"{"seller_id":"1234567","message_type":0,"data":{"order_status":"pending","trade_order_id":"260422900198363","trade_order_line_id":"260422900298363","status_update_time":1603698638},"timestamp":1603766859530,"site":"lazada_vn"}"#;
        assert_eq!(
            sign_push("123456", "helloworld", body.as_bytes()),
            "3cb11a521d7196a3475339c411178f258bea8da744c84d497633759ce3572c0d"
        );
    }
}
