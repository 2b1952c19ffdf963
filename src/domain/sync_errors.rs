//! The one table of sync error codes: why a link, a push or an order import needs the merchant. Stored as text
//! (`sync_errors.code`, `product_links.error_code`, `stock_pushes.error_code`), shown as the `SyncErrorCode` enum.

/// Why a product link, a stock push or an order import went wrong. Stable: clients branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum)]
pub enum SyncErrorCode {
    /// Link: the variant has no barcode (or no SKU, when matching by SKU).
    NoMatchKey,
    /// Link: no listing on the channel carries the variant's barcode/SKU.
    NotFoundOnChannel,
    /// Link: two variants of the same product share a barcode/SKU; the whole product fails.
    DuplicateInProduct,
    /// Link: two different hub products share a barcode/SKU; neither is linked.
    ConflictAcrossProducts,
    /// Link: the variant's options differ from the listing's.
    OptionMismatch,
    /// Link: the hub price is above the channel's list price, which the channel refuses.
    PriceAboveListPrice,
    /// Link: the linked hub variant was deleted.
    VariantDeleted,
    /// Link: the listing's link was deleted for good; it cannot be linked again.
    ListingExcluded,
    /// Link: several listings of a channel that needs unique SKUs (the web store) carry the variant's SKU; none
    /// is linked until only one does.
    DuplicateOnChannel,
    /// Push: the channel refused a stock or price update (retried with backoff).
    StockPushFailed,
    /// Push: the channel's quantity differs from what the hub last pushed.
    StockDrift,
    /// Push (a warning): the variant does not track inventory, so no quantity is pushed.
    QuantityNotTracked,
    /// Push (a warning): the listing is a bundle of the marketplace's own (a Shopee virtual SKU, a TikTok combo),
    /// whose stock the marketplace computes and refuses by API, so no quantity is pushed.
    StockComputedByChannel,
    /// Order: some lines' listings are not linked to a hub variant; the order is kept and re-synced once they are.
    OrderProductNotLinked,
    /// Order: the channel reported a status no mapping knows; the order is UNRECOGNIZED until one does.
    OrderStatusUnrecognized,
    /// Order: a stock movement of the order was refused (e.g. on hand would go below zero).
    OrderStockRefused,
    /// Order: it contains a product whose sync the merchant stopped, so it is not imported.
    OrderContainsUnlinkedProduct,
    /// Order: the channel announced an order it then did not return.
    OrderNotFoundOnChannel,
}

impl SyncErrorCode {
    pub const ALL: [SyncErrorCode; 18] = [
        Self::NoMatchKey,
        Self::NotFoundOnChannel,
        Self::DuplicateInProduct,
        Self::ConflictAcrossProducts,
        Self::OptionMismatch,
        Self::PriceAboveListPrice,
        Self::VariantDeleted,
        Self::ListingExcluded,
        Self::DuplicateOnChannel,
        Self::StockPushFailed,
        Self::StockDrift,
        Self::QuantityNotTracked,
        Self::StockComputedByChannel,
        Self::OrderProductNotLinked,
        Self::OrderStatusUnrecognized,
        Self::OrderStockRefused,
        Self::OrderContainsUnlinkedProduct,
        Self::OrderNotFoundOnChannel,
    ];

    /// The stored code.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NoMatchKey => "NO_MATCH_KEY",
            Self::NotFoundOnChannel => "NOT_FOUND_ON_CHANNEL",
            Self::DuplicateInProduct => "DUPLICATE_IN_PRODUCT",
            Self::ConflictAcrossProducts => "CONFLICT_ACROSS_PRODUCTS",
            Self::OptionMismatch => "OPTION_MISMATCH",
            Self::PriceAboveListPrice => "PRICE_ABOVE_LIST_PRICE",
            Self::VariantDeleted => "VARIANT_DELETED",
            Self::ListingExcluded => "LISTING_EXCLUDED",
            Self::DuplicateOnChannel => "DUPLICATE_ON_CHANNEL",
            Self::StockPushFailed => "STOCK_PUSH_FAILED",
            Self::StockDrift => "STOCK_DRIFT",
            Self::QuantityNotTracked => "QUANTITY_NOT_TRACKED",
            Self::StockComputedByChannel => "STOCK_COMPUTED_BY_CHANNEL",
            Self::OrderProductNotLinked => "ORDER_PRODUCT_NOT_LINKED",
            Self::OrderStatusUnrecognized => "ORDER_STATUS_UNRECOGNIZED",
            Self::OrderStockRefused => "ORDER_STOCK_REFUSED",
            Self::OrderContainsUnlinkedProduct => "ORDER_CONTAINS_UNLINKED_PRODUCT",
            Self::OrderNotFoundOnChannel => "ORDER_NOT_FOUND_ON_CHANNEL",
        }
    }

    /// The code of a stored text; `None` for a text no version of the hub wrote.
    pub fn parse(stored: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == stored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_from_its_stored_text_and_texts_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for code in SyncErrorCode::ALL {
            assert_eq!(SyncErrorCode::parse(code.as_str()), Some(code));
            assert!(seen.insert(code.as_str()), "{} twice", code.as_str());
        }
        assert_eq!(SyncErrorCode::parse("no_match_key"), None, "stored codes are upper case");
        assert_eq!(SyncErrorCode::parse(""), None);
    }
}
