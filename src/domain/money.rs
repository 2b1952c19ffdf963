//! Money: stored as integer minor units of a currency, shown and accepted as decimal strings.

use rust_decimal::Decimal;

use super::errors::{ErrorCode, FieldError};

/// A currency the hub prices in (ISO 4217): the marketplace countries' and a few more a shop may keep its
/// catalog in. `XXX` (ISO's "no currency") stands for a code a channel sent that is none of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum CurrencyCode {
    /// Vietnamese đồng.
    Vnd,
    /// Thai baht.
    Thb,
    /// Malaysian ringgit.
    Myr,
    /// Singapore dollar.
    Sgd,
    /// Philippine peso.
    Php,
    /// Indonesian rupiah.
    Idr,
    /// United States dollar.
    Usd,
    /// Euro.
    Eur,
    /// Chinese yuan.
    Cny,
    /// Japanese yen.
    Jpy,
    /// South Korean won.
    Krw,
    /// A currency the hub does not know (ISO 4217's "no currency").
    Xxx,
}

impl CurrencyCode {
    /// Every currency a shop may price its catalog in (all but `XXX`).
    pub const CATALOG: [CurrencyCode; 11] = [
        Self::Vnd,
        Self::Thb,
        Self::Myr,
        Self::Sgd,
        Self::Php,
        Self::Idr,
        Self::Usd,
        Self::Eur,
        Self::Cny,
        Self::Jpy,
        Self::Krw,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Vnd => "VND",
            Self::Thb => "THB",
            Self::Myr => "MYR",
            Self::Sgd => "SGD",
            Self::Php => "PHP",
            Self::Idr => "IDR",
            Self::Usd => "USD",
            Self::Eur => "EUR",
            Self::Cny => "CNY",
            Self::Jpy => "JPY",
            Self::Krw => "KRW",
            Self::Xxx => "XXX",
        }
    }

    /// A catalog currency by its code in any case; `None` for any other.
    pub fn parse(code: &str) -> Option<Self> {
        Self::CATALOG.into_iter().find(|c| c.as_str().eq_ignore_ascii_case(code.trim()))
    }

    /// The currency of a stored code; `XXX` for one the hub does not know.
    pub fn of_stored(code: &str) -> Self {
        Self::parse(code).unwrap_or(Self::Xxx)
    }
}

/// Decimal places of a currency's minor unit. VND and IDR are priced in whole units on every marketplace
/// (ISO 4217 gives IDR two decimals, but Lazada, Shopee and TikTok ID accept integers only).
pub fn exponent(currency: &str) -> u32 {
    match currency {
        "VND" | "IDR" | "JPY" | "KRW" => 0,
        _ => 2,
    }
}

/// `12.50` USD → 1250; refuses negatives and more decimals than the currency has.
pub fn to_minor(field: &[&str], amount: Decimal, currency: &str) -> Result<i64, FieldError> {
    let invalid = |message: String| FieldError::new(field, ErrorCode::InvalidMoney, message);
    if amount.is_sign_negative() && !amount.is_zero() {
        return Err(invalid(format!("{} can't be negative", field.last().copied().unwrap_or("amount"))));
    }
    let exp = exponent(currency);
    let normalized = amount.normalize();
    if normalized.scale() > exp {
        return Err(invalid(format!("{currency} amounts have at most {exp} decimal places, got {normalized}")));
    }
    let scaled = normalized * Decimal::from(10i64.pow(exp));
    i64::try_from(scaled.trunc()).map_err(|_| invalid(format!("{normalized} is too large")))
}

/// 1250 minor units of USD → `12.50`.
pub fn from_minor(minor: i64, currency: &str) -> Decimal {
    Decimal::new(minor, exponent(currency))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_codes_parse_in_any_case_and_unknown_stored_codes_are_xxx() {
        assert_eq!(CurrencyCode::parse("vnd"), Some(CurrencyCode::Vnd));
        assert_eq!(CurrencyCode::parse(" MYR "), Some(CurrencyCode::Myr));
        assert_eq!(CurrencyCode::parse("XXX"), None, "not a catalog currency");
        assert_eq!(CurrencyCode::parse("ABC"), None);
        assert_eq!(CurrencyCode::of_stored("ABC"), CurrencyCode::Xxx);
        for c in CurrencyCode::CATALOG {
            assert_eq!(CurrencyCode::parse(c.as_str()), Some(c));
        }
    }
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal")
    }

    #[test]
    fn whole_currencies_refuse_decimals_and_cent_currencies_scale() {
        assert_eq!(to_minor(&["price"], dec("150000"), "VND").expect("ok"), 150_000);
        assert_eq!(to_minor(&["price"], dec("150000.00"), "VND").expect("trailing zeros are fine"), 150_000);
        assert_eq!(to_minor(&["price"], dec("1.5"), "VND").map_err(|e| e.code), Err(ErrorCode::InvalidMoney));
        assert_eq!(to_minor(&["price"], dec("12.5"), "THB").expect("ok"), 1250);
        assert_eq!(to_minor(&["price"], dec("0.001"), "SGD").map_err(|e| e.code), Err(ErrorCode::InvalidMoney));
    }

    #[test]
    fn negative_amounts_are_refused_and_round_trip_holds() {
        assert!(to_minor(&["price"], dec("-1"), "VND").is_err());
        assert_eq!(from_minor(1250, "MYR").to_string(), "12.50");
        assert_eq!(from_minor(99_000, "VND").to_string(), "99000");
    }
}
