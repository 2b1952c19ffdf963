//! A channel's status mapping: the built-in table of raw channel statuses (the marketplace's own, in its registry entry) with the
//! merchant's overrides, stored on the channel row and applied to updates from then on.

use std::collections::{BTreeMap, HashMap};

use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait};

use entity::channel;
use entity::enums::{OrderStatus, PaymentStatus};

use crate::domain::errors::{ErrorCode, FieldError};
use crate::domain::text;
use crate::services::{ServiceError, ServiceResult, begin_write, now};

/// The channel's mapping overrides (raw status → hub status), as stored on the channel row.
pub fn overrides_of(channel: &channel::Model) -> HashMap<String, OrderStatus> {
    let Some(serde_json::Value::Object(map)) = &channel.status_mapping_overrides else { return HashMap::new() };
    map.iter()
        .filter_map(|(raw, v)| {
            let status: OrderStatus = serde_json::from_value(v.clone()).ok()?;
            Some((raw.clone(), status))
        })
        .collect()
}

/// One row of a channel's effective status mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingRow {
    pub channel_status: String,
    pub status: OrderStatus,
    pub payment_status: Option<PaymentStatus>,
    /// Set by the merchant on this channel (else the built-in table).
    pub overridden: bool,
}

/// The built-in table of the channel's kind with its overrides applied, then overrides of statuses the table lacks.
pub fn mapping(channel: &channel::Model) -> Vec<MappingRow> {
    let overrides = overrides_of(channel);
    let mut rows: Vec<MappingRow> = crate::channels::marketplace(channel.kind)
        .order_statuses
        .iter()
        .map(|(raw, status, payment)| {
            let over = overrides.iter().find(|(r, _)| r.eq_ignore_ascii_case(raw)).map(|(_, s)| *s);
            MappingRow {
                channel_status: (*raw).to_owned(),
                status: over.unwrap_or(*status),
                payment_status: *payment,
                overridden: over.is_some(),
            }
        })
        .collect();
    let mut extra: Vec<_> = overrides
        .into_iter()
        .filter(|(r, _)| !rows.iter().any(|row| row.channel_status.eq_ignore_ascii_case(r)))
        .collect();
    extra.sort_by(|a, b| a.0.cmp(&b.0));
    rows.extend(extra.into_iter().map(|(raw, status)| MappingRow {
        channel_status: raw,
        status,
        payment_status: None,
        overridden: true,
    }));
    rows
}

/// Most overrides one request (and one channel) may hold.
pub const MAX_OVERRIDES: usize = 100;

/// Sets (`Some`) or removes (`None`) overrides of raw statuses for one channel. Applies to updates from now on.
pub async fn update_mapping(
    db: &DatabaseConnection,
    channel_id: i64,
    changes: Vec<(String, Option<OrderStatus>)>,
) -> ServiceResult<channel::Model> {
    let mut errors = Vec::new();
    if changes.is_empty() || changes.len() > MAX_OVERRIDES {
        errors.push(FieldError::new(&["mappings"], ErrorCode::TooMany, format!("give 1 to {MAX_OVERRIDES} mappings")));
    }
    let mut clean = Vec::new();
    for (i, (raw, status)) in changes.iter().enumerate() {
        match text::required("channelStatus", raw, text::MAX_CODE_LEN) {
            Ok(raw) => clean.push((raw, *status)),
            Err(e) => errors.push(e.under(&["mappings".to_owned(), i.to_string()])),
        }
        if *status == Some(OrderStatus::Unrecognized) {
            errors.push(FieldError::new(
                &["mappings", &i.to_string(), "status"],
                ErrorCode::Invalid,
                "map to a hub status; UNRECOGNIZED is what unmapped statuses get",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::Rejected(errors));
    }
    let txn = begin_write(db).await?;
    let channel = channel::Entity::find_by_id(channel_id)
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::not_found(&["channelId"], "Channel"))?;
    let mut map: BTreeMap<String, OrderStatus> = overrides_of(&channel).into_iter().collect();
    for (raw, status) in clean {
        map.retain(|k, _| !k.eq_ignore_ascii_case(&raw));
        if let Some(status) = status {
            map.insert(raw, status);
        }
    }
    if map.len() > MAX_OVERRIDES {
        return Err(ServiceError::rejected(
            &["mappings"],
            ErrorCode::TooMany,
            format!("a channel holds at most {MAX_OVERRIDES} overrides"),
        ));
    }
    let json = serde_json::to_value(&map).map_err(anyhow::Error::from)?;
    let mut active: channel::ActiveModel = channel.into();
    active.status_mapping_overrides = Set(if map.is_empty() { None } else { Some(json) });
    active.updated_at = Set(now());
    let saved = active.update(&txn).await?;
    txn.commit().await?;
    Ok(saved)
}
