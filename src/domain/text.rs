//! Normalisation of merchant-entered text (titles, SKUs, barcodes).

use super::errors::{ErrorCode, FieldError};

pub const MAX_TITLE_LEN: usize = 255;
pub const MAX_CODE_LEN: usize = 100;

/// A required text: trimmed, non-empty, at most `max` characters.
pub fn required(field: &str, value: &str, max: usize) -> Result<String, FieldError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(FieldError::new(&[field], ErrorCode::Blank, format!("{field} can't be blank")));
    }
    if trimmed.chars().count() > max {
        return Err(FieldError::new(&[field], ErrorCode::TooLong, format!("{field} is longer than {max} characters")));
    }
    Ok(trimmed.to_owned())
}

/// An optional text: trimmed; empty means absent.
pub fn optional(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>, FieldError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => required(field, v, max).map(Some),
    }
}

/// A SKU or barcode: trimmed, non-empty when given, case-sensitive, no inner whitespace or control characters.
/// Barcodes need not be GTINs: merchants use their own codes, so no checksum is required.
pub fn product_code(field: &str, value: Option<&str>) -> Result<Option<String>, FieldError> {
    let Some(code) = optional(field, value, MAX_CODE_LEN)? else { return Ok(None) };
    if code.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(FieldError::new(&[field], ErrorCode::Invalid, format!("{field} \"{code}\" contains spaces")));
    }
    Ok(Some(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_trimmed_case_kept_and_blank_means_absent() {
        assert_eq!(product_code("sku", Some("  Ab-1 ")).expect("ok"), Some("Ab-1".to_owned()));
        assert_eq!(product_code("sku", Some("   ")).expect("ok"), None);
        assert_eq!(product_code("barcode", Some("0123")).expect("ok"), Some("0123".to_owned()));
        assert_eq!(product_code("sku", Some("A B")).map_err(|e| e.code), Err(ErrorCode::Invalid));
    }

    #[test]
    fn required_text_refuses_blank_and_overlong() {
        assert_eq!(required("title", " ", 10).map_err(|e| e.code), Err(ErrorCode::Blank));
        assert_eq!(required("title", &"x".repeat(11), 10).map_err(|e| e.code), Err(ErrorCode::TooLong));
        assert_eq!(required("title", "Áo thun", 10).expect("ok"), "Áo thun");
    }
}
