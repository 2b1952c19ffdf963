//! Values some columns store derived from others, computed the same way by every writer and by the migrations
//! that fill them for existing rows: the folded search text (`search_text` of products, variants, orders and
//! customers) and phone numbers in E.164 (`customers.phone`, unique).

use phonenumber::{Mode, PhoneNumber};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Text folded for search: lower case, diacritics removed ("Áo thun" → "ao thun", "Điện thoại" → "dien thoai"),
/// runs of whitespace as one space, trimmed. A search term is folded the same way and matched by `LIKE`.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut after_space = true;
    for c in text.nfd().filter(|c| !is_combining_mark(*c)) {
        if c.is_whitespace() {
            if !after_space {
                out.push(' ');
                after_space = true;
            }
            continue;
        }
        after_space = false;
        // Đ/đ is a letter of its own, not D with a mark: no decomposition removes its bar.
        match c {
            'Đ' | 'đ' => out.push('d'),
            _ => out.extend(c.to_lowercase()),
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// A row's search column: each searchable text folded, one per line, so a term never matches across two.
pub fn search_text<'a>(parts: impl IntoIterator<Item = Option<&'a str>>) -> String {
    let folded: Vec<String> = parts.into_iter().flatten().map(fold).filter(|p| !p.is_empty()).collect();
    folded.join("\n")
}

/// The search column of a product.
pub fn product_search_text(title: &str) -> String {
    search_text([Some(title)])
}

/// The search column of a variant: its title and option values.
pub fn variant_search_text(title: &str, option_values: [Option<&str>; 3]) -> String {
    let [o1, o2, o3] = option_values;
    search_text([Some(title), o1, o2, o3])
}

/// The search column of an order: its number, the channel's id, the buyer's name and phone (E.164 and national).
pub fn order_search_text(
    order_number: Option<&str>,
    external_id: &str,
    customer_name: Option<&str>,
    customer_phone: Option<&str>,
) -> String {
    let national = customer_phone.and_then(national_digits);
    search_text([order_number, Some(external_id), customer_name, customer_phone, national.as_deref()])
}

/// The search column of a customer: name, phone (E.164 and national), e-mail.
pub fn customer_search_text(name: &str, phone: Option<&str>, email: Option<&str>) -> String {
    let national = phone.and_then(national_digits);
    search_text([Some(name), phone, national.as_deref(), email])
}

/// A phone number in E.164 (`+84901234567`): `+84 90 123 4567`, `84901234567` and `0901234567` (in `region`,
/// an ISO 3166 code such as `VN`) are one number. `None` when it is not a valid number (a marketplace's masked
/// phone such as `******67`, a typo): such a phone identifies no one.
pub fn phone_e164(raw: &str, region: &str) -> Option<String> {
    parse_phone(raw, region).map(|number| number.format().mode(Mode::E164).to_string())
}

fn parse_phone(raw: &str, region: &str) -> Option<PhoneNumber> {
    let raw = raw.trim();
    if raw.is_empty() || raw.contains('*') {
        return None;
    }
    let region: Option<phonenumber::country::Id> = region.trim().to_ascii_uppercase().parse().ok();
    let valid = |number: PhoneNumber| phonenumber::is_valid(&number).then_some(number);
    if let Some(number) = phonenumber::parse(region, raw).ok().and_then(valid) {
        return Some(number);
    }
    // The country code written without its `+` (`84901234567`): read as an international number.
    if raw.starts_with(|c: char| c.is_ascii_digit()) {
        return phonenumber::parse(None, format!("+{raw}")).ok().and_then(valid);
    }
    None
}

/// An E.164 number's national form, digits only (`+84901234567` → `0901234567`), for search.
fn national_digits(e164: &str) -> Option<String> {
    let number = phonenumber::parse(None, e164).ok()?;
    let national = number.format().mode(Mode::National).to_string();
    Some(national.chars().filter(char::is_ascii_digit).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_text_folds_to_plain_lower_case() {
        let table = [
            ("Áo thun", "ao thun"),
            ("Điện thoại", "dien thoai"),
            ("  ĐẦM   dạ hội\tXANH ", "dam da hoi xanh"),
            ("Nước hoa Pháp", "nuoc hoa phap"),
            ("Ổ cứng SSD 1TB", "o cung ssd 1tb"),
            ("Giày thể thao", "giay the thao"),
            ("", ""),
        ];
        for (text, folded) in table {
            assert_eq!(fold(text), folded, "{text}");
        }
        // Composed and decomposed input fold alike.
        assert_eq!(fold("A\u{0301}o"), fold("Áo"));
    }

    #[test]
    fn search_text_keeps_parts_apart() {
        assert_eq!(search_text([Some("Áo"), None, Some(" "), Some("Thun")]), "ao\nthun");
        assert_eq!(variant_search_text("Áo thun", [Some("Đỏ"), Some("XL"), None]), "ao thun\ndo\nxl");
    }

    #[test]
    fn one_phone_in_its_three_spellings_is_one_e164_number() {
        for raw in ["+84 90 123 4567", "84901234567", "0901234567", "090-123-4567", "(+84) 901 234 567"] {
            assert_eq!(phone_e164(raw, "VN").as_deref(), Some("+84901234567"), "{raw}");
        }
        assert_eq!(phone_e164("0901234567", "vn").as_deref(), Some("+84901234567"));
        assert_eq!(phone_e164("+6591234567", "VN").as_deref(), Some("+6591234567"));
    }

    #[test]
    fn masked_short_or_empty_phones_identify_no_one() {
        for raw in ["******67", "84*****567", "090", "", "  ", "abc"] {
            assert_eq!(phone_e164(raw, "VN"), None, "{raw}");
        }
    }

    #[test]
    fn searches_find_a_phone_by_its_national_digits() {
        let text = customer_search_text("Nguyễn Văn An", Some("+84901234567"), None);
        assert_eq!(text, "nguyen van an\n+84901234567\n0901234567");
        assert!(order_search_text(Some("#1001"), "L-1", None, Some("+84901234567")).contains("0901234567"));
    }
}
