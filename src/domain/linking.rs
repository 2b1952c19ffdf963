//! Matching hub variants to channel listings (SPEC §2), as a pure function: which listing each variant links to,
//! or why it cannot, with a stable code and a message a merchant can act on.

use std::collections::{BTreeMap, HashMap, HashSet};

use entity::enums::MatchKey;

use super::sync_errors::SyncErrorCode;
use serde::{Deserialize, Serialize};

/// Why a variant is not linked: the link codes of `SyncErrorCode`, which clients see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LinkErrorCode {
    /// The variant has no barcode (or no SKU, when matching by SKU).
    NoMatchKey,
    /// No listing on the channel carries the variant's barcode/SKU.
    NotFoundOnChannel,
    /// Two variants of the same product share a barcode/SKU: the whole product fails.
    DuplicateInProduct,
    /// Two different hub products share a barcode/SKU: neither is linked.
    ConflictAcrossProducts,
    /// The variant's options differ from the listing's (e.g. 3 in the hub, 2 on the channel).
    OptionMismatch,
    /// The hub price is above the channel's list price, which the channel refuses.
    PriceAboveListPrice,
    /// The linked hub variant was deleted.
    VariantDeleted,
    /// The listing's link was deleted for good; it cannot be linked again.
    ListingExcluded,
    /// Several listings of a channel that needs unique SKUs carry the variant's SKU: none is linked.
    DuplicateOnChannel,
}

impl LinkErrorCode {
    pub const fn as_str(&self) -> &'static str {
        SyncErrorCode::from_link(*self).as_str()
    }
}

impl SyncErrorCode {
    pub const fn from_link(code: LinkErrorCode) -> Self {
        match code {
            LinkErrorCode::NoMatchKey => Self::NoMatchKey,
            LinkErrorCode::NotFoundOnChannel => Self::NotFoundOnChannel,
            LinkErrorCode::DuplicateInProduct => Self::DuplicateInProduct,
            LinkErrorCode::ConflictAcrossProducts => Self::ConflictAcrossProducts,
            LinkErrorCode::OptionMismatch => Self::OptionMismatch,
            LinkErrorCode::PriceAboveListPrice => Self::PriceAboveListPrice,
            LinkErrorCode::VariantDeleted => Self::VariantDeleted,
            LinkErrorCode::ListingExcluded => Self::ListingExcluded,
            LinkErrorCode::DuplicateOnChannel => Self::DuplicateOnChannel,
        }
    }
}

impl From<LinkErrorCode> for SyncErrorCode {
    fn from(code: LinkErrorCode) -> Self {
        Self::from_link(code)
    }
}

/// A hub variant as matching sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubVariant {
    pub id: i64,
    pub product_id: i64,
    pub product_title: String,
    pub title: String,
    pub sku: Option<String>,
    pub barcode: Option<String>,
    pub options: Vec<(String, String)>,
    pub price_minor: i64,
}

impl HubVariant {
    /// "Áo thun / Đỏ - M", as merchants read it.
    pub fn label(&self) -> String {
        format!("{} / {}", self.product_title, self.title)
    }

    pub fn key(&self, key: MatchKey) -> Option<&str> {
        match key {
            MatchKey::Barcode => self.barcode.as_deref(),
            MatchKey::Sku => self.sku.as_deref(),
        }
    }
}

/// A channel listing SKU as matching sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingSku {
    pub listing_id: i64,
    pub seller_sku: Option<String>,
    pub title: String,
    pub options: Vec<(String, String)>,
    pub list_price_minor: Option<i64>,
    /// The merchant deleted this listing's link for good (SPEC §2 "hủy đồng bộ").
    pub excluded: bool,
    /// The merchant unlinked this listing ("ngắt đồng bộ") and this run does not relink it.
    pub unlinked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Linked {
        listing_id: i64,
    },
    /// The variant matches a listing the merchant unlinked: it stays unlinked until the merchant relinks it
    /// (a bulk link never relinks it silently).
    KeptUnlinked {
        listing_id: i64,
    },
    /// `listing_id`: the listing the variant matched, when the failure is about that pairing.
    Failed {
        code: LinkErrorCode,
        message: String,
        listing_id: Option<i64>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub variant_id: i64,
    pub product_id: i64,
    pub outcome: Outcome,
}

/// What else matching must know about the catalog and the channel.
pub struct MatchContext<'a> {
    pub key: MatchKey,
    /// Every hub product using a key value (the whole catalog, not only the selection), to find conflicts.
    pub key_owners: &'a HashMap<String, Vec<(i64, String)>>,
    /// Check the hub price against the channel's list price (the marketplace refuses a higher one, and prices are
    /// pushed: `Marketplace::prices`).
    pub check_price: bool,
    /// Currency of messages' prices.
    pub currency: &'a str,
    /// The channel needs each seller SKU on one listing only (the web store): a key on several listings links
    /// none of them.
    pub unique_listing_keys: bool,
}

fn key_name(key: MatchKey) -> &'static str {
    match key {
        MatchKey::Barcode => "barcode",
        MatchKey::Sku => "SKU",
    }
}

/// Decides every variant of the given products (grouped by product): one `Linked` per matching listing, or one
/// `Failed` per variant. A product with duplicate keys fails as a whole.
pub fn match_variants(variants: &[HubVariant], listings: &[ListingSku], ctx: &MatchContext<'_>) -> Vec<Decision> {
    let by_key: HashMap<&str, Vec<&ListingSku>> = listings.iter().fold(HashMap::new(), |mut map, l| {
        if let Some(k) = l.seller_sku.as_deref() {
            map.entry(k).or_default().push(l);
        }
        map
    });
    let mut by_product: BTreeMap<i64, Vec<&HubVariant>> = BTreeMap::new();
    for v in variants {
        by_product.entry(v.product_id).or_default().push(v);
    }
    let name = key_name(ctx.key);
    let mut decisions = Vec::new();
    for (product_id, product_variants) in by_product {
        let fail = |v: &HubVariant, code, message: String| Decision {
            variant_id: v.id,
            product_id,
            outcome: Outcome::Failed { code, message, listing_id: None },
        };
        // Duplicate keys inside the product: every variant of it fails.
        let mut seen = HashSet::new();
        let duplicates: Vec<&str> =
            product_variants.iter().filter_map(|v| v.key(ctx.key)).filter(|k| !seen.insert(*k)).collect();
        if !duplicates.is_empty() {
            let list = duplicates.iter().map(|d| format!("\"{d}\"")).collect::<Vec<_>>().join(", ");
            for v in &product_variants {
                decisions.push(fail(
                    v,
                    LinkErrorCode::DuplicateInProduct,
                    format!(
                        "{}: variants of this product share the {name} {list}; give each variant its own {name}",
                        v.label()
                    ),
                ));
            }
            continue;
        }
        for v in product_variants {
            let Some(key) = v.key(ctx.key) else {
                decisions.push(fail(
                    v,
                    LinkErrorCode::NoMatchKey,
                    format!("{} has no {name}: add one to link it", v.label()),
                ));
                continue;
            };
            let others: Vec<&String> = ctx
                .key_owners
                .get(key)
                .map(|owners| owners.iter().filter(|(p, _)| *p != product_id).map(|(_, t)| t).collect())
                .unwrap_or_default();
            if !others.is_empty() {
                let names = others.iter().map(|t| format!("\"{t}\"")).collect::<Vec<_>>().join(", ");
                decisions.push(fail(
                    v,
                    LinkErrorCode::ConflictAcrossProducts,
                    format!(
                        "{}: the {name} \"{key}\" is also used by {names}; neither is linked until one changes it",
                        v.label()
                    ),
                ));
                continue;
            }
            let candidates: Vec<&&ListingSku> = by_key.get(key).map(|ls| ls.iter().collect()).unwrap_or_default();
            let linkable: Vec<&&ListingSku> = candidates.iter().copied().filter(|l| !l.excluded).collect();
            if linkable.is_empty() {
                let (code, message) = if candidates.is_empty() {
                    (
                        LinkErrorCode::NotFoundOnChannel,
                        format!(
                            "{}: no listing on the channel has the {name} \"{key}\"; set it as the listing's seller SKU there",
                            v.label()
                        ),
                    )
                } else {
                    (
                        LinkErrorCode::ListingExcluded,
                        format!("{}: the listing with {name} \"{key}\" was removed from sync for good", v.label()),
                    )
                };
                decisions.push(fail(v, code, message));
                continue;
            }
            if ctx.unique_listing_keys && linkable.len() > 1 {
                let names = linkable.iter().map(|l| format!("\"{}\"", l.title)).collect::<Vec<_>>().join(", ");
                decisions.push(fail(
                    v,
                    LinkErrorCode::DuplicateOnChannel,
                    format!(
                        "{}: the {name} \"{key}\" is on {} listings of the channel ({names}), which needs each {name} once; change all but one",
                        v.label(),
                        linkable.len()
                    ),
                ));
                continue;
            }
            for listing in linkable {
                let outcome = check_listing(v, listing, ctx);
                decisions.push(Decision { variant_id: v.id, product_id, outcome });
            }
        }
    }
    decisions
}

fn check_listing(v: &HubVariant, listing: &ListingSku, ctx: &MatchContext<'_>) -> Outcome {
    if listing.unlinked {
        return Outcome::KeptUnlinked { listing_id: listing.listing_id };
    }
    if !listing.options.is_empty() && !v.options.is_empty() && listing.options.len() != v.options.len() {
        return Outcome::Failed {
            listing_id: Some(listing.listing_id),
            code: LinkErrorCode::OptionMismatch,
            message: format!(
                "{}: {} option(s) in the hub ({}), {} on the channel ({}); make them the same",
                v.label(),
                v.options.len(),
                v.options.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", "),
                listing.options.len(),
                listing.options.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ")
            ),
        };
    }
    if ctx.check_price
        && let Some(list) = listing.list_price_minor
        && v.price_minor > list
    {
        let show = |m| crate::domain::money::from_minor(m, ctx.currency);
        return Outcome::Failed {
            listing_id: Some(listing.listing_id),
            code: LinkErrorCode::PriceAboveListPrice,
            message: format!(
                "{}: hub price {} {} is above the channel's list price {} {}; lower it or raise the list price",
                v.label(),
                show(v.price_minor),
                ctx.currency,
                show(list),
                ctx.currency
            ),
        };
    }
    Outcome::Linked { listing_id: listing.listing_id }
}

/// A product is linked only when every variant is (SPEC §2); else the failing variants, by id.
pub fn product_state(decisions: &[Decision], product_id: i64) -> Result<(), Vec<i64>> {
    let failing: Vec<i64> = decisions
        .iter()
        .filter(|d| d.product_id == product_id && matches!(d.outcome, Outcome::Failed { .. }))
        .map(|d| d.variant_id)
        .collect();
    if failing.is_empty() { Ok(()) } else { Err(failing) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variant(id: i64, product_id: i64, barcode: Option<&str>, options: usize, price: i64) -> HubVariant {
        HubVariant {
            id,
            product_id,
            product_title: format!("Product {product_id}"),
            title: format!("V{id}"),
            sku: Some(format!("S{id}")),
            barcode: barcode.map(str::to_owned),
            options: (0..options).map(|i| (format!("O{i}"), "x".into())).collect(),
            price_minor: price,
        }
    }

    fn listing(id: i64, sku: &str, options: usize, list_price: Option<i64>) -> ListingSku {
        ListingSku {
            listing_id: id,
            seller_sku: Some(sku.into()),
            title: "L".into(),
            options: (0..options).map(|i| (format!("O{i}"), "x".into())).collect(),
            list_price_minor: list_price,
            excluded: false,
            unlinked: false,
        }
    }

    fn owners(variants: &[HubVariant]) -> HashMap<String, Vec<(i64, String)>> {
        let mut map: HashMap<String, Vec<(i64, String)>> = HashMap::new();
        for v in variants {
            if let Some(b) = &v.barcode {
                let entry = map.entry(b.clone()).or_default();
                if !entry.iter().any(|(p, _)| *p == v.product_id) {
                    entry.push((v.product_id, v.product_title.clone()));
                }
            }
        }
        map
    }

    fn run(variants: &[HubVariant], listings: &[ListingSku]) -> Vec<Decision> {
        let key_owners = owners(variants);
        let ctx = MatchContext {
            key: MatchKey::Barcode,
            key_owners: &key_owners,
            check_price: true,
            currency: "VND",
            unique_listing_keys: false,
        };
        match_variants(variants, listings, &ctx)
    }

    fn code(d: &Decision) -> Option<LinkErrorCode> {
        match &d.outcome {
            Outcome::Failed { code, .. } => Some(*code),
            Outcome::Linked { .. } | Outcome::KeptUnlinked { .. } => None,
        }
    }

    #[test]
    fn each_rule_of_spec_section_2_gives_its_code() {
        type Case = (Vec<HubVariant>, Vec<ListingSku>, Vec<Option<LinkErrorCode>>);
        let cases: Vec<Case> = vec![
            (vec![variant(1, 10, Some("A"), 0, 100)], vec![listing(7, "A", 0, None)], vec![None]),
            (vec![variant(1, 10, None, 0, 100)], vec![listing(7, "A", 0, None)], vec![Some(LinkErrorCode::NoMatchKey)]),
            (
                vec![variant(1, 10, Some("B"), 0, 100)],
                vec![listing(7, "A", 0, None)],
                vec![Some(LinkErrorCode::NotFoundOnChannel)],
            ),
            (
                vec![
                    variant(1, 10, Some("A"), 0, 100),
                    variant(2, 10, Some("A"), 0, 100),
                    variant(3, 10, Some("C"), 0, 100),
                ],
                vec![listing(7, "A", 0, None), listing(8, "C", 0, None)],
                vec![Some(LinkErrorCode::DuplicateInProduct); 3],
            ),
            (
                vec![variant(1, 10, Some("A"), 0, 100), variant(2, 20, Some("A"), 0, 100)],
                vec![listing(7, "A", 0, None)],
                vec![Some(LinkErrorCode::ConflictAcrossProducts); 2],
            ),
            (
                vec![variant(1, 10, Some("A"), 3, 100)],
                vec![listing(7, "A", 2, None)],
                vec![Some(LinkErrorCode::OptionMismatch)],
            ),
            (
                vec![variant(1, 10, Some("A"), 0, 200)],
                vec![listing(7, "A", 0, Some(150))],
                vec![Some(LinkErrorCode::PriceAboveListPrice)],
            ),
            (vec![variant(1, 10, Some("A"), 0, 150)], vec![listing(7, "A", 0, Some(150))], vec![None]),
        ];
        for (i, (variants, listings, expected)) in cases.into_iter().enumerate() {
            let decisions = run(&variants, &listings);
            assert_eq!(decisions.iter().map(code).collect::<Vec<_>>(), expected, "case {i}");
        }
    }

    #[test]
    fn messages_name_the_variant_and_conflicts_name_both_products() {
        let variants = vec![variant(1, 10, Some("A"), 0, 100), variant(2, 20, Some("A"), 0, 100)];
        let decisions = run(&variants, &[listing(7, "A", 0, None)]);
        let Outcome::Failed { message, .. } = &decisions[0].outcome else { panic!("expected a failure") };
        assert!(message.starts_with("Product 10 / V1"), "{message}");
        assert!(message.contains("Product 20"), "{message}");
        let none = run(&[variant(1, 10, None, 0, 1)], &[]);
        let Outcome::Failed { message, .. } = &none[0].outcome else { panic!("expected a failure") };
        assert_eq!(message, "Product 10 / V1 has no barcode: add one to link it");
    }

    #[test]
    fn a_variant_links_to_every_listing_with_its_key_except_excluded_ones() {
        let mut excluded = listing(9, "A", 0, None);
        excluded.excluded = true;
        let decisions = run(
            &[variant(1, 10, Some("A"), 0, 100)],
            &[listing(7, "A", 0, None), listing(8, "A", 0, None), excluded.clone()],
        );
        assert_eq!(decisions.len(), 2);
        let only_excluded = run(&[variant(1, 10, Some("A"), 0, 100)], &[excluded]);
        assert_eq!(code(&only_excluded[0]), Some(LinkErrorCode::ListingExcluded));
    }

    #[test]
    fn an_unlinked_listing_stays_unlinked_and_a_repeated_key_on_a_unique_key_channel_links_none() {
        let mut unlinked = listing(7, "A", 0, None);
        unlinked.unlinked = true;
        let decisions = run(&[variant(1, 10, Some("A"), 0, 100)], &[unlinked]);
        assert_eq!(decisions[0].outcome, Outcome::KeptUnlinked { listing_id: 7 });

        let variants = [variant(1, 10, Some("A"), 0, 100)];
        let key_owners = owners(&variants);
        let (mut first, mut second) = (listing(7, "A", 0, None), listing(8, "A", 0, None));
        first.title = "Shirt / Red".into();
        second.title = "Shirt copy".into();
        let ctx = MatchContext {
            key: MatchKey::Barcode,
            key_owners: &key_owners,
            check_price: false,
            currency: "VND",
            unique_listing_keys: true,
        };
        let decisions = match_variants(&variants, &[first, second], &ctx);
        assert_eq!(decisions.len(), 1);
        let Outcome::Failed { code, message, listing_id } = &decisions[0].outcome else { panic!("expected a failure") };
        assert_eq!((*code, *listing_id), (LinkErrorCode::DuplicateOnChannel, None));
        assert!(message.contains("\"Shirt / Red\"") && message.contains("\"Shirt copy\""), "{message}");
    }

    #[test]
    fn a_product_is_linked_only_when_all_its_variants_are() {
        let decisions =
            run(&[variant(1, 10, Some("A"), 0, 1), variant(2, 10, Some("B"), 0, 1)], &[listing(7, "A", 0, None)]);
        assert_eq!(product_state(&decisions, 10), Err(vec![2]));
        let all = run(&[variant(1, 10, Some("A"), 0, 1)], &[listing(7, "A", 0, None)]);
        assert_eq!(product_state(&all, 10), Ok(()));
    }
}
