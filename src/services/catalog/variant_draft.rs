//! A variant's fields as given, checked and merged with the stored variant: the one place variant input is
//! validated (create and update alike).

use sea_orm::ActiveValue::Set;

use entity::derived;
use entity::product_variant;

use super::{MAX_OPTIONS, OptionPair, VariantFields};
use crate::domain::errors::{ErrorCode, FieldError};
use crate::domain::price_rules::ScheduledSale;
use crate::domain::{money, text};
use crate::services::now;

/// A variant's final values: the stored variant (if any) with the given fields applied, validated.
#[derive(Debug, Clone)]
pub(super) struct VariantDraft {
    title: String,
    sku: Option<String>,
    barcode: Option<String>,
    price_minor: i64,
    list_price_minor: Option<i64>,
    cost_price_minor: Option<i64>,
    options: Vec<OptionPair>,
    track_inventory: bool,
    allow_oversell: bool,
    safety_stock_units: Option<i64>,
    low_stock_threshold: Option<i64>,
    unit: Option<String>,
    image_url: Option<String>,
    hidden: bool,
    sale: Option<ScheduledSale>,
}

impl VariantDraft {
    pub(super) fn build(
        current: Option<&product_variant::Model>,
        f: &VariantFields,
        currency: &str,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut check = |r: Result<(), FieldError>| {
            if let Err(e) = r {
                errors.push(e);
            }
        };
        let mut sku = current.and_then(|c| c.sku.clone());
        if let Some(v) = &f.sku {
            check(text::product_code("sku", v.as_deref()).map(|v| sku = v));
        }
        let mut barcode = current.and_then(|c| c.barcode.clone());
        if let Some(v) = &f.barcode {
            check(text::product_code("barcode", v.as_deref()).map(|v| barcode = v));
        }
        let mut price_minor = current.map(|c| c.price_minor);
        if let Some(p) = f.price {
            check(money::to_minor(&["price"], p, currency).map(|v| price_minor = Some(v)));
        }
        if price_minor.is_none() && f.price.is_none() {
            check(Err(FieldError::new(&["price"], ErrorCode::Blank, "price can't be blank")));
        }
        let mut list_price_minor = current.and_then(|c| c.list_price_minor);
        if let Some(p) = &f.list_price {
            check(p.map(|p| money::to_minor(&["listPrice"], p, currency)).transpose().map(|v| list_price_minor = v));
        }
        let mut cost_price_minor = current.and_then(|c| c.cost_price_minor);
        if let Some(p) = &f.cost_price {
            check(p.map(|p| money::to_minor(&["costPrice"], p, currency)).transpose().map(|v| cost_price_minor = v));
        }
        let mut options = current.map(stored_options).unwrap_or_default();
        if let Some(given) = &f.options {
            check(validate_options(given).map(|v| options = v));
        }
        let mut unit = current.and_then(|c| c.unit.clone());
        if let Some(v) = &f.unit {
            check(text::optional("unit", v.as_deref(), 50).map(|v| unit = v));
        }
        let mut image_url = current.and_then(|c| c.image_url.clone());
        if let Some(v) = &f.image_url {
            check(text::optional("imageUrl", v.as_deref(), 2000).map(|v| image_url = v));
        }
        let max = crate::domain::channel_settings::MAX_SAFETY_STOCK_UNITS;
        let mut units = |field: &str, given: Option<Option<i64>>, stored: Option<i64>| match given {
            None => stored,
            Some(v) => match crate::domain::channel_settings::out_of_range(&[field], v, 0, max, "units") {
                Some(e) => {
                    check(Err(e));
                    stored
                }
                None => v,
            },
        };
        let safety_stock_units =
            units("safetyStockUnits", f.safety_stock_units, current.and_then(|c| c.safety_stock_units));
        let low_stock_threshold =
            units("lowStockThreshold", f.low_stock_threshold, current.and_then(|c| c.low_stock_threshold));
        let mut title = current.map(|c| c.title.clone());
        if let Some(t) = &f.title {
            check(text::required("title", t, text::MAX_TITLE_LEN).map(|v| title = Some(v)));
        } else if f.options.is_some() || title.is_none() {
            // Titles follow the options unless the merchant named the variant.
            title = Some(default_title(&options));
        }
        let mut sale = current.and_then(|c| crate::services::link_marks::variant_prices(c).sale);
        if let Some(given) = &f.sale {
            sale = None;
            if let Some(s) = given {
                check(money::to_minor(&["sale", "price"], s.price, currency).map(|price| {
                    sale = Some(ScheduledSale { price, starts_at: s.starts_at, ends_at: s.ends_at });
                }));
            }
        }
        // A sale given now is checked whole; a stored one against a new price only (it may have ended since).
        if let (Some(s), Some(price)) = (sale.filter(|_| f.sale.is_some() || f.price.is_some()), price_minor) {
            for e in s.check(price, now()) {
                if f.sale.is_some() || e.field.last().map(String::as_str) == Some("price") {
                    check(Err(e));
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            title: title.unwrap_or_else(|| default_title(&options)),
            sku,
            barcode,
            price_minor: price_minor.unwrap_or_default(),
            list_price_minor,
            cost_price_minor,
            options,
            track_inventory: f.track_inventory.or(current.map(|c| c.track_inventory)).unwrap_or(true),
            allow_oversell: f.allow_oversell.or(current.map(|c| c.allow_oversell)).unwrap_or(false),
            safety_stock_units,
            low_stock_threshold,
            unit,
            image_url,
            hidden: f.hidden.or(current.map(|c| c.hidden)).unwrap_or(false),
            sale,
        })
    }

    pub(super) fn into_active(self, product_id: i64, position: i32) -> product_variant::ActiveModel {
        let opt = |i: usize| self.options.get(i).cloned();
        let (o1, o2, o3) = (opt(0), opt(1), opt(2));
        let values = [&o1, &o2, &o3].map(|o| o.as_ref().map(|o| o.value.as_str()));
        let search_text = derived::variant_search_text(&self.title, values);
        product_variant::ActiveModel {
            product_id: Set(product_id),
            search_text: Set(search_text),
            title: Set(self.title),
            position: Set(position),
            sku: Set(self.sku),
            barcode: Set(self.barcode),
            price_minor: Set(self.price_minor),
            list_price_minor: Set(self.list_price_minor),
            cost_price_minor: Set(self.cost_price_minor),
            option1_name: Set(o1.as_ref().map(|o| o.name.clone())),
            option1_value: Set(o1.map(|o| o.value)),
            option2_name: Set(o2.as_ref().map(|o| o.name.clone())),
            option2_value: Set(o2.map(|o| o.value)),
            option3_name: Set(o3.as_ref().map(|o| o.name.clone())),
            option3_value: Set(o3.map(|o| o.value)),
            track_inventory: Set(self.track_inventory),
            allow_oversell: Set(self.allow_oversell),
            safety_stock_units: Set(self.safety_stock_units),
            low_stock_threshold: Set(self.low_stock_threshold),
            unit: Set(self.unit),
            image_url: Set(self.image_url),
            hidden: Set(self.hidden),
            sale_price_minor: Set(self.sale.map(|s| s.price)),
            sale_starts_at: Set(self.sale.map(|s| s.starts_at)),
            sale_ends_at: Set(self.sale.map(|s| s.ends_at)),
            created_at: Set(now()),
            updated_at: Set(now()),
            ..Default::default()
        }
    }
}

/// The name/value pairs stored in a variant's three option slots.
pub fn stored_options(v: &product_variant::Model) -> Vec<OptionPair> {
    [(&v.option1_name, &v.option1_value), (&v.option2_name, &v.option2_value), (&v.option3_name, &v.option3_value)]
        .into_iter()
        .filter_map(|(n, val)| Some(OptionPair { name: n.clone()?, value: val.clone().unwrap_or_default() }))
        .collect()
}

fn default_title(options: &[OptionPair]) -> String {
    if options.is_empty() {
        "Default Title".to_owned()
    } else {
        options.iter().map(|o| o.value.as_str()).collect::<Vec<_>>().join(" / ")
    }
}

fn validate_options(given: &[OptionPair]) -> Result<Vec<OptionPair>, FieldError> {
    if given.len() > MAX_OPTIONS {
        return Err(FieldError::new(
            &["options"],
            ErrorCode::InvalidOptions,
            format!("at most {MAX_OPTIONS} options per variant"),
        ));
    }
    let mut out: Vec<OptionPair> = Vec::with_capacity(given.len());
    for (i, o) in given.iter().enumerate() {
        let at = |code, msg: String| FieldError::new(&["options", &i.to_string()], code, msg);
        let name = text::required("name", &o.name, 100)
            .map_err(|e| at(ErrorCode::InvalidOptions, format!("option {}: {}", i + 1, e.message)))?;
        let value = text::required("value", &o.value, 255)
            .map_err(|e| at(ErrorCode::InvalidOptions, format!("option \"{name}\": {}", e.message)))?;
        if out.iter().any(|p| p.name.eq_ignore_ascii_case(&name)) {
            return Err(at(ErrorCode::InvalidOptions, format!("option \"{name}\" is given twice")));
        }
        out.push(OptionPair { name, value });
    }
    Ok(out)
}

/// SKUs must be unique within one product. Barcodes may repeat (within and across products): merchants' data
/// has such duplicates, and linking reports them where they matter (SPEC §2), instead of the catalog refusing.
/// `in_list`: the drafts came as the `variants` list of a product input (paths get `variants.<i>.`).
pub(super) fn duplicate_codes_among(
    drafts: &[VariantDraft],
    stored: &[product_variant::Model],
    in_list: bool,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (i, d) in drafts.iter().enumerate() {
        let path = |f: &str| -> Vec<String> {
            if in_list { vec!["variants".into(), i.to_string(), f.into()] } else { vec![f.into()] }
        };
        let earlier = &drafts[..i];
        if let Some(sku) = &d.sku {
            let taken = earlier.iter().any(|e| e.sku.as_ref() == Some(sku))
                || stored.iter().any(|s| s.sku.as_ref() == Some(sku));
            if taken {
                errors.push(FieldError {
                    field: path("sku"),
                    code: ErrorCode::SkuTaken,
                    message: format!("SKU \"{sku}\" is already used by another variant of this product"),
                });
            }
        }
    }
    errors
}
