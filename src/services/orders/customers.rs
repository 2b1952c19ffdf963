//! The buyers of imported orders: one customer per phone number (else per channel buyer id), read for a whole
//! batch at once and saved as each order is applied.

use std::collections::{BTreeSet, HashMap};

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
};

use entity::{channel, customer};

use crate::domain::channel::ChannelOrder;
use crate::domain::orders as rules;
use crate::services::{ServiceError, ServiceResult, now};

/// The buyers a batch may name, read at once: by phone (the oldest customer of a phone is the one) and by the
/// channel's buyer id.
#[derive(Default)]
pub(super) struct Customers {
    by_phone: HashMap<String, customer::Model>,
    by_buyer: HashMap<String, customer::Model>,
}

impl Customers {
    pub(super) async fn load(
        txn: &DatabaseTransaction,
        channel_id: i64,
        orders: &[&ChannelOrder],
    ) -> ServiceResult<Self> {
        let phones: BTreeSet<String> = orders.iter().filter_map(|co| customer_phone(co)).collect();
        let buyers: BTreeSet<String> =
            orders.iter().filter_map(|co| co.customer.external_id.clone().filter(|e| !e.is_empty())).collect();
        let mut out = Self::default();
        if !phones.is_empty() {
            let found = customer::Entity::find()
                .filter(customer::Column::Phone.is_in(phones))
                .order_by_asc(customer::Column::Id)
                .all(txn)
                .await?;
            for c in found {
                if let Some(phone) = c.phone.clone() {
                    out.by_phone.entry(phone).or_insert(c);
                }
            }
        }
        if !buyers.is_empty() {
            let found = customer::Entity::find()
                .filter(customer::Column::ChannelId.eq(channel_id))
                .filter(customer::Column::ExternalId.is_in(buyers))
                .all(txn)
                .await?;
            for c in found {
                if let Some(buyer) = c.external_id.clone() {
                    out.by_buyer.insert(buyer, c);
                }
            }
        }
        Ok(out)
    }

    fn find(&self, phone: Option<&str>, buyer: Option<&str>) -> Option<customer::Model> {
        phone.and_then(|p| self.by_phone.get(p)).or_else(|| buyer.and_then(|b| self.by_buyer.get(b))).cloned()
    }

    fn remember(&mut self, channel_id: i64, c: &customer::Model) {
        if let Some(phone) = &c.phone {
            match self.by_phone.get(phone) {
                Some(known) if known.id != c.id => {}
                _ => {
                    self.by_phone.insert(phone.clone(), c.clone());
                }
            }
        }
        if c.channel_id == Some(channel_id)
            && let Some(buyer) = &c.external_id
        {
            self.by_buyer.insert(buyer.clone(), c.clone());
        }
    }
}

/// The buyer's phone, normalized (the shipping address's when the buyer has none).
fn customer_phone(co: &ChannelOrder) -> Option<String> {
    rules::normalize_phone(co.customer.phone.as_deref().or(co.shipping_address.phone.as_deref()))
}

/// Saves the buyer: one customer per phone number (else per channel buyer id).
pub(super) async fn save_customer(
    txn: &DatabaseTransaction,
    channel: &channel::Model,
    co: &ChannelOrder,
    customers: &mut Customers,
) -> ServiceResult<Option<customer::Model>> {
    let phone = customer_phone(co);
    let name = co
        .customer
        .name
        .clone()
        .or_else(|| co.shipping_address.name.clone())
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    let external_id = co.customer.external_id.clone().filter(|e| !e.is_empty());
    if phone.is_none() && name.is_none() && external_id.is_none() {
        return Ok(None);
    }
    let email = rules::customer_email(
        crate::channels::marketplace(channel.kind).orders.customer_email,
        phone.as_deref(),
        &channel.country,
        co.customer.email.as_deref(),
    );
    let address = serde_json::to_value(rules::saved_address(
        crate::channels::marketplace(channel.kind).orders.keeps_ward,
        &co.shipping_address,
    ))
    .map_err(anyhow::Error::from)?;
    let at = now();
    let display = name.clone().or_else(|| phone.clone()).unwrap_or_else(|| "Customer".to_owned());
    let saved = match customers.find(phone.as_deref(), external_id.as_deref()) {
        Some(c) => {
            let unchanged = c.name == display
                && c.email == email.clone().or(c.email.clone())
                && c.address.as_ref() == Some(&address)
                && (phone.is_none() || c.phone == phone);
            if unchanged {
                c
            } else {
                let mut active: customer::ActiveModel = c.clone().into();
                active.name = Set(display);
                if phone.is_some() {
                    active.phone = Set(phone);
                }
                if email.is_some() {
                    active.email = Set(email);
                }
                active.address = Set(Some(address));
                active.updated_at = Set(at);
                active.update(txn).await?
            }
        }
        None => {
            let row = customer::ActiveModel {
                channel_id: Set(Some(channel.id)),
                external_id: Set(external_id.clone()),
                name: Set(display),
                phone: Set(phone),
                email: Set(email),
                address: Set(Some(address)),
                created_at: Set(at),
                updated_at: Set(at),
                ..Default::default()
            };
            // Two imports of one buyer at once (two channels' workers): the second takes the first's row instead
            // of failing on the (channel, buyer id) unique index.
            let inserted = customer::Entity::insert(row)
                .on_conflict(
                    OnConflict::columns([customer::Column::ChannelId, customer::Column::ExternalId])
                        .do_nothing()
                        .to_owned(),
                )
                .exec_with_returning(txn)
                .await;
            match inserted {
                Ok(model) => model,
                Err(sea_orm::DbErr::RecordNotInserted) => customer::Entity::find()
                    .filter(customer::Column::ChannelId.eq(channel.id))
                    .filter(customer::Column::ExternalId.eq(external_id.clone()))
                    .one(txn)
                    .await?
                    .ok_or_else(|| {
                        ServiceError::Unexpected(anyhow::anyhow!(
                            "customer {external_id:?} vanished inside its transaction"
                        ))
                    })?,
                Err(err) => return Err(err.into()),
            }
        }
    };
    customers.remember(channel.id, &saved);
    Ok(Some(saved))
}
