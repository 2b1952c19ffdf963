//! Product links (SPEC §2): store pulled listings, match hub variants to them, write one link per linked listing
//! and one LINK_ERROR per failing variant (with a sync error), manual link, unlink, delete, compare.
//!
//! A bulk link (LINK_PRODUCTS run, driven by `jobs::linking`):
//! 1. The channel's listings are read and stored ([`store_listings`]: upsert on the channel's ids; the hub's
//!    `link_excluded` and `created_at` are never overwritten), unless they were just pulled.
//! 2. The selected products ([`selected_products`], or [`products_of_links`] for a relink) are matched 50 at a
//!    time by [`link_batch`]: it loads their variants, every catalog product using the same keys (conflicts are
//!    catalog-wide) and the channel listings carrying those keys, lets `domain::linking::match_variants` decide
//!    each variant, and writes the batch in one transaction: listing links upserted on `listing_id`,
//!    listing-less error rows replaced, stale links of these variants removed unless the merchant unlinked them,
//!    sync errors opened / counted again / resolved.
//! 3. The job records the counters ([`LinkCounts`]) after each batch and publishes the run's progress.
//! 4. WEBSTORE only, "create missing" ([`products_missing_on_channel`], [`draft_for_channel`],
//!    [`listing_products_unknown_to_hub`], [`create_product_from_listing`]): hub products the store lacks are
//!    created there and matched again; store products no hub variant knows by SKU become hub products, linked.
//!
//! Bulk "create hub products from listings" (CREATE_PRODUCTS run, `jobs::listing_products`): the selected
//! channel products ([`selected_listing_products`]) each become a hub product through
//! [`create_product_from_listing`], and each listing's outcome is kept ([`record_item`], read by [`run_items`]).
//!
//! The preview runs the same matching ([`hub_variants`], [`decide`]) against stored listings and writes nothing.
//!
//! Submodules: `listings` (stored listings), `bulk_create` (bulk products from listings), `selection` (which products a run covers), `batch` and `writes`
//! (matching one batch), `views` (the links' views), `manual` (manual link, unlink, delete, product from a
//! listing), `compare`, `webstore` (create missing).
//! A hub variant's deletion marks its links in `services::link_marks`, below the catalog.

mod batch;
mod bulk_create;
mod compare;
mod listings;
mod manual;
mod selection;
mod views;
mod webstore;
mod writes;

pub(crate) use super::IN_CHUNK;
pub(crate) use super::now;
use entity::enums::MatchKey;
use entity::product_variant;

pub use batch::{LinkCounts, decide, hub_variants, link_batch};
pub use bulk_create::{
    ListingSelection, check_listing_ids, items_done, record_item, run_items, selected_listing_products,
};
pub use compare::{FieldComparison, compare};
pub use listings::{listing, listing_count, listing_options, listings, listings_of_product, store_listings};
pub use manual::{create_product_from_listing, delete_links, set_link, unlink};
pub use selection::{
    Selection, channels_creating_products, channels_linking_product, check_request_ids, listings_of_links,
    products_of_links, selected_products,
};
pub use views::{ProductLinkState, View, link, links, product_link_state};
pub use webstore::{
    StoreProductOutcome, draft_for_channel, listing_products_unknown_to_hub, products_missing_on_channel, refusal_text,
    store_product_changed,
};

/// The variant column holding the channel's match key.
fn key_column(key: MatchKey) -> product_variant::Column {
    match key {
        MatchKey::Barcode => product_variant::Column::Barcode,
        MatchKey::Sku => product_variant::Column::Sku,
    }
}
