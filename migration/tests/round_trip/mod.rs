//! One fully populated row per table, written through the entities and read back: proves that the
//! entities and the migrations agree on every column name and type, on each backend.

use entity::enums::{
    ActorKind, ChannelKind, ChannelStatus, ExportSlipStatus, LedgerReason, LedgerReference, LinkState, MatchKey,
    OrderEventKind, OrderStatus, OversellPolicy, PaymentStatus, PricePolicy, ReturnStatus, SyncErrorKind, SyncRunKind,
    SyncRunStatus, TokenScope,
};
use entity::{
    api_token, bundle_component, channel, channel_listing, channel_stock_warehouse, customer, export_slip,
    export_slip_line, inventory_ledger, inventory_level, order, order_event, order_line, order_return, product,
    product_link, product_variant, return_line, stock_push, sync_error, sync_run, warehouse, webhook_event,
};
use migration::sea_orm::entity::prelude::*;
use migration::sea_orm::{ActiveValue::NotSet, IntoActiveModel};

fn at() -> DateTimeUtc {
    "2026-11-30T12:34:56Z".parse().expect("a valid timestamp")
}

fn document() -> Json {
    let mut document = Json::Object(Default::default());
    if let Some(object) = document.as_object_mut() {
        object.insert("name".to_owned(), Json::from("Kho tổng"));
        object.insert("list".to_owned(), Json::from(vec![1, 2, 3]));
        object.insert("flag".to_owned(), Json::from(true));
    }
    document
}

/// Inserts `expected` (its id is ignored), reads the row back and checks every column; returns the new id.
macro_rules! round_trip {
    ($db:expr, $table:ident, $expected:expr) => {{
        let expected: $table::Model = $expected;
        let mut active = expected.clone().into_active_model().reset_all();
        active.id = NotSet;
        let inserted = active.insert($db).await.unwrap_or_else(|e| panic!("insert into {}: {e}", stringify!($table)));
        let found = $table::Entity::find_by_id(inserted.id)
            .one($db)
            .await
            .unwrap_or_else(|e| panic!("select from {}: {e}", stringify!($table)))
            .expect("the inserted row");
        assert_eq!(found, $table::Model { id: found.id, ..expected });
        found.id
    }};
}

pub async fn write_and_read_every_table(db: &DatabaseConnection) {
    let warehouses_id = round_trip!(
        db,
        warehouse,
        warehouse::Model {
            id: 0,
            name: "warehouses.name ✓".to_owned(),
            code: Some("warehouses.code ✓".to_owned()),
            address: Some("warehouses.address ✓".to_owned()),
            is_default: false,
            stock_allocation: true,
            low_stock_threshold: Some(9_007_199_254_740_993),
            created_at: at(),
            updated_at: at(),
        }
    );
    let products_id = round_trip!(
        db,
        product,
        product::Model {
            id: 0,
            title: "products.title ✓".to_owned(),
            description: Some("products.description ✓".to_owned()),
            vendor: Some("products.vendor ✓".to_owned()),
            product_type: Some("products.product_type ✓".to_owned()),
            image_url: Some("products.image_url ✓".to_owned()),
            total_on_hand: -1_234_567_890_123,
            totals_computed_at: Some(at()),
            search_text: "products.search_text ✓".to_owned(),
            created_at: at(),
            updated_at: at(),
        }
    );
    let product_variants_id = round_trip!(
        db,
        product_variant,
        product_variant::Model {
            id: 0,
            product_id: products_id,
            title: "product_variants.title ✓".to_owned(),
            position: -42,
            sku: Some("product_variants.sku ✓".to_owned()),
            barcode: Some("product_variants.barcode ✓".to_owned()),
            price_minor: -1_234_567_890_123,
            list_price_minor: Some(9_007_199_254_740_993),
            cost_price_minor: Some(9_007_199_254_740_993),
            sale_price_minor: Some(9_007_199_254_740_993),
            sale_starts_at: Some(at()),
            sale_ends_at: Some(at()),
            option1_name: Some("product_variants.option1_name ✓".to_owned()),
            option1_value: Some("product_variants.option1_value ✓".to_owned()),
            option2_name: Some("product_variants.option2_name ✓".to_owned()),
            option2_value: Some("product_variants.option2_value ✓".to_owned()),
            option3_name: Some("product_variants.option3_name ✓".to_owned()),
            option3_value: Some("product_variants.option3_value ✓".to_owned()),
            track_inventory: true,
            allow_oversell: true,
            safety_stock_units: Some(9_007_199_254_740_993),
            low_stock_threshold: Some(9_007_199_254_740_993),
            unit: Some("product_variants.unit ✓".to_owned()),
            image_url: Some("product_variants.image_url ✓".to_owned()),
            hidden: true,
            search_text: "product_variants.search_text ✓".to_owned(),
            created_at: at(),
            updated_at: at(),
        }
    );
    let _ = round_trip!(
        db,
        inventory_level,
        inventory_level::Model {
            id: 0,
            variant_id: product_variants_id,
            warehouse_id: warehouses_id,
            on_hand: -1_234_567_890_123,
            committed: -1_234_567_890_123,
            pending_export: -1_234_567_890_123,
            updated_at: at(),
        }
    );
    let _ = round_trip!(
        db,
        inventory_ledger,
        inventory_ledger::Model {
            id: 0,
            variant_id: product_variants_id,
            warehouse_id: warehouses_id,
            on_hand_delta: -1_234_567_890_123,
            committed_delta: -1_234_567_890_123,
            pending_export_delta: -1_234_567_890_123,
            on_hand_after: -1_234_567_890_123,
            committed_after: -1_234_567_890_123,
            pending_export_after: -1_234_567_890_123,
            reason: LedgerReason::Adjustment,
            reference_type: Some(LedgerReference::Return),
            reference_id: Some(9_007_199_254_740_993),
            note: Some("inventory_ledger.note ✓".to_owned()),
            actor_kind: Some(ActorKind::ApiToken),
            actor_name: Some("inventory_ledger.actor_name ✓".to_owned()),
            bundle_variant_id: Some(product_variants_id),
            created_at: at(),
        }
    );
    // The database keeps the row as written (a bundle of itself is the service's to refuse).
    let component = bundle_component::Model {
        bundle_variant_id: product_variants_id,
        component_variant_id: product_variants_id,
        quantity: 9_007_199_254_740_993,
    };
    component.clone().into_active_model().insert(db).await.expect("insert into bundle_component");
    let found = bundle_component::Entity::find_by_id((product_variants_id, product_variants_id))
        .one(db)
        .await
        .expect("select from bundle_component");
    assert_eq!(found, Some(component));
    let channels_id = round_trip!(
        db,
        channel,
        channel::Model {
            id: 0,
            kind: ChannelKind::Lazada,
            name: "channels.name ✓".to_owned(),
            country: "VN".to_owned(),
            base_url: "channels.base_url ✓".to_owned(),
            credentials_encrypted: "channels.credentials_encrypted ✓".to_owned(),
            status: ChannelStatus::Connected,
            shop_external_id: Some("channels.shop_external_id ✓".to_owned()),
            shop_name: Some("channels.shop_name ✓".to_owned()),
            access_token_expires_at: Some(at()),
            sync_price: true,
            sync_quantity: true,
            process_orders_in_hub: true,
            order_warehouse_id: Some(warehouses_id),
            price_policy: PricePolicy::Retail,
            match_key: MatchKey::Barcode,
            order_backfill_days: -42,
            oversell_quantity: -1_234_567_890_123,
            oversell_policy: OversellPolicy::Always,
            safety_stock_units: 9_007_199_254_740_993,
            safety_stock_percent: -42,
            allocation_weight: -42,
            price_adjust_basis_points: -1_234_567_890_123,
            price_adjust_amount_minor: -1_234_567_890_123,
            price_round_to_minor: Some(9_007_199_254_740_993),
            price_round_up_to_ending_minor: Some(9_007_199_254_740_993),
            order_poll_overlap_seconds: -42,
            order_poll_interval_seconds: Some(-42),
            stock_drift_repair: true,
            push_history_retention_days: -42,
            status_mapping_overrides: Some(document()),
            orders_cursor_at: Some(at()),
            orders_reconciled_until: Some(at()),
            connected_at: Some(at()),
            disconnected_at: Some(at()),
            webhook_registered_at: Some(at()),
            webhook_registration_error: Some("channels.webhook_registration_error ✓".to_owned()),
            webhook_first_push_at: Some(at()),
            created_at: at(),
            updated_at: at(),
        }
    );
    // No id column: written and read back by its key.
    let stock_warehouse = channel_stock_warehouse::Model { channel_id: channels_id, warehouse_id: warehouses_id };
    stock_warehouse.clone().into_active_model().insert(db).await.expect("insert into channel_stock_warehouse");
    let found = channel_stock_warehouse::Entity::find_by_id((channels_id, warehouses_id))
        .one(db)
        .await
        .expect("select from channel_stock_warehouse");
    assert_eq!(found, Some(stock_warehouse));
    let channel_listings_id = round_trip!(
        db,
        channel_listing,
        channel_listing::Model {
            id: 0,
            channel_id: channels_id,
            external_product_id: "channel_listings.external_product_id ✓".to_owned(),
            external_sku_id: "channel_listings.external_sku_id ✓".to_owned(),
            seller_sku: Some("channel_listings.seller_sku ✓".to_owned()),
            title: "channel_listings.title ✓".to_owned(),
            variant_title: Some("channel_listings.variant_title ✓".to_owned()),
            options: Some(document()),
            price_minor: Some(9_007_199_254_740_993),
            list_price_minor: Some(9_007_199_254_740_993),
            quantity: Some(9_007_199_254_740_993),
            channel_status: Some("channel_listings.channel_status ✓".to_owned()),
            raw: document(),
            stock_computed_by_channel: true,
            link_excluded: true,
            seen_at: at(),
            created_at: at(),
            updated_at: at(),
        }
    );
    let product_links_id = round_trip!(
        db,
        product_link,
        product_link::Model {
            id: 0,
            channel_id: channels_id,
            listing_id: Some(channel_listings_id),
            variant_id: Some(product_variants_id),
            product_id: Some(products_id),
            state: LinkState::Pending,
            error_code: Some("SOME_CODE".to_owned()),
            error_message: Some("product_links.error_message ✓".to_owned()),
            last_pushed_quantity: Some(9_007_199_254_740_993),
            last_pushed_price_minor: Some(9_007_199_254_740_993),
            last_pushed_at: Some(at()),
            last_pushed_sale: Some(document()),
            push_pending: true,
            push_requested_at: Some(at()),
            push_in_doubt_until: Some(at()),
            push_sells_out: true,
            allocated_quantity: Some(9_007_199_254_740_993),
            last_sold_at: Some(at()),
            linked_at: Some(at()),
            created_at: at(),
            updated_at: at(),
        }
    );
    let customers_id = round_trip!(
        db,
        customer,
        customer::Model {
            id: 0,
            channel_id: Some(channels_id),
            external_id: Some("customers.external_id ✓".to_owned()),
            name: "customers.name ✓".to_owned(),
            phone: Some("customers.phone ✓".to_owned()),
            email: Some("customers.email ✓".to_owned()),
            address: Some(document()),
            search_text: "customers.search_text ✓".to_owned(),
            created_at: at(),
            updated_at: at(),
        }
    );
    let orders_id = round_trip!(
        db,
        order,
        order::Model {
            id: 0,
            channel_id: channels_id,
            external_id: "orders.external_id ✓".to_owned(),
            order_number: Some("orders.order_number ✓".to_owned()),
            hub_status: OrderStatus::Pending,
            channel_status: Some("orders.channel_status ✓".to_owned()),
            payment_status: PaymentStatus::Paid,
            customer_id: Some(customers_id),
            customer_name: Some("orders.customer_name ✓".to_owned()),
            customer_phone: Some("orders.customer_phone ✓".to_owned()),
            customer_email: Some("orders.customer_email ✓".to_owned()),
            shipping_address: Some(document()),
            currency: "VND".to_owned(),
            subtotal_minor: -1_234_567_890_123,
            shipping_fee_minor: -1_234_567_890_123,
            discount_minor: -1_234_567_890_123,
            total_minor: -1_234_567_890_123,
            refunded_minor: -1_234_567_890_123,
            warehouse_id: Some(warehouses_id),
            has_unlinked_lines: true,
            cancel_reason: Some("orders.cancel_reason ✓".to_owned()),
            shipping_label: Some(document()),
            label_printed_at: Some(at()),
            placed_at: at(),
            channel_updated_at: Some(at()),
            search_text: "orders.search_text ✓".to_owned(),
            created_at: at(),
            updated_at: at(),
        }
    );
    let order_lines_id = round_trip!(
        db,
        order_line,
        order_line::Model {
            id: 0,
            order_id: orders_id,
            external_line_id: Some("order_lines.external_line_id ✓".to_owned()),
            listing_id: Some(channel_listings_id),
            seller_sku: Some("order_lines.seller_sku ✓".to_owned()),
            variant_id: Some(product_variants_id),
            title: "order_lines.title ✓".to_owned(),
            variant_title: Some("order_lines.variant_title ✓".to_owned()),
            quantity: -1_234_567_890_123,
            price_minor: -1_234_567_890_123,
            discount_minor: -1_234_567_890_123,
            reserved_quantity: -1_234_567_890_123,
            fulfilled_quantity: -1_234_567_890_123,
            returned_quantity: -1_234_567_890_123,
            unit: Some("order_lines.unit ✓".to_owned()),
            image_url: Some("order_lines.image_url ✓".to_owned()),
        }
    );
    let _ = round_trip!(
        db,
        order_event,
        order_event::Model {
            id: 0,
            order_id: orders_id,
            kind: OrderEventKind::Imported,
            message: "order_events.message ✓".to_owned(),
            from_status: Some(OrderStatus::Unrecognized),
            to_status: Some(OrderStatus::Unrecognized),
            data: Some(document()),
            actor_kind: Some(ActorKind::Channel),
            actor_name: Some("order_events.actor_name ✓".to_owned()),
            created_at: at(),
        }
    );
    let _ = round_trip!(
        db,
        sync_error,
        sync_error::Model {
            id: 0,
            channel_id: Some(channels_id),
            kind: SyncErrorKind::Product,
            code: "SOME_CODE".to_owned(),
            message: "sync_errors.message ✓".to_owned(),
            product_link_id: Some(product_links_id),
            variant_id: Some(product_variants_id),
            listing_id: Some(channel_listings_id),
            order_id: Some(orders_id),
            details: Some(document()),
            occurrences: -42,
            first_seen_at: at(),
            last_seen_at: at(),
            resolved_at: Some(at()),
            dismissed_at: Some(at()),
        }
    );
    let _ = round_trip!(
        db,
        stock_push,
        stock_push::Model {
            id: 0,
            channel_id: channels_id,
            product_link_id: Some(product_links_id),
            variant_id: Some(product_variants_id),
            seller_sku: Some("stock_pushes.seller_sku ✓".to_owned()),
            quantity: Some(9_007_199_254_740_993),
            price_minor: Some(9_007_199_254_740_993),
            inputs: document(),
            ok: true,
            response: Some(document()),
            error_code: Some("SOME_CODE".to_owned()),
            created_at: at(),
        }
    );
    let _ = round_trip!(
        db,
        webhook_event,
        webhook_event::Model {
            id: 0,
            channel_id: channels_id,
            dedup_key: "webhook_events.dedup_key ✓".to_owned(),
            topic: Some("webhook_events.topic ✓".to_owned()),
            external_order_id: Some("webhook_events.external_order_id ✓".to_owned()),
            payload: document(),
            received_at: at(),
            processed_at: Some(at()),
            error: Some("webhook_events.error ✓".to_owned()),
        }
    );
    let returns_id = round_trip!(
        db,
        order_return,
        order_return::Model {
            id: 0,
            order_id: orders_id,
            warehouse_id: warehouses_id,
            status: ReturnStatus::Recorded,
            refunded_minor: -1_234_567_890_123,
            note: Some("returns.note ✓".to_owned()),
            created_at: at(),
            updated_at: at(),
        }
    );
    let _ = round_trip!(
        db,
        return_line,
        return_line::Model {
            id: 0,
            return_id: returns_id,
            order_line_id: order_lines_id,
            variant_id: Some(product_variants_id),
            quantity: -1_234_567_890_123,
            restock_quantity: -1_234_567_890_123,
        }
    );
    let export_slips_id = round_trip!(
        db,
        export_slip,
        export_slip::Model {
            id: 0,
            order_id: orders_id,
            warehouse_id: warehouses_id,
            code: "export_slips.code ✓".to_owned(),
            status: ExportSlipStatus::Waiting,
            created_at: at(),
            exported_at: Some(at()),
            cancelled_at: Some(at()),
            updated_at: at(),
        }
    );
    let _ = round_trip!(
        db,
        export_slip_line,
        export_slip_line::Model {
            id: 0,
            slip_id: export_slips_id,
            order_line_id: Some(order_lines_id),
            variant_id: product_variants_id,
            quantity: -1_234_567_890_123,
            moved_from_committed: -1_234_567_890_123,
            released_quantity: -1_234_567_890_123,
            released_warehouse_id: Some(warehouses_id),
        }
    );
    let _ = round_trip!(
        db,
        sync_run,
        sync_run::Model {
            id: 0,
            kind: SyncRunKind::ProductTotals,
            channel_id: Some(channels_id),
            status: SyncRunStatus::Created,
            total: -1_234_567_890_123,
            processed: -1_234_567_890_123,
            succeeded: -1_234_567_890_123,
            failed: -1_234_567_890_123,
            skipped: -1_234_567_890_123,
            input: Some(document()),
            error_message: Some("sync_runs.error_message ✓".to_owned()),
            job_id: Some("sync_runs.job_id ✓".to_owned()),
            attempts: -42,
            created_at: at(),
            started_at: Some(at()),
            finished_at: Some(at()),
            updated_at: at(),
        }
    );
    let _ = round_trip!(
        db,
        api_token,
        api_token::Model {
            id: 0,
            name: "api_tokens.name ✓".to_owned(),
            token_hash: "abababababababababababababababababababababababababababababababab".to_owned(),
            token_prefix: "abababababab".to_owned(),
            scope: TokenScope::Read,
            created_at: at(),
            last_used_at: Some(at()),
            revoked_at: Some(at()),
        }
    );
}
