//! The buyers of imported orders: one customer per phone number (E.164, unique across channels; else one per
//! channel buyer id), read for a whole batch at once and saved as each order is applied; and the customers list.

use std::collections::{BTreeSet, HashMap};

use sea_orm::sea_query::{ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder,
};

use entity::{channel, customer, derived};

use crate::domain::channel::ChannelOrder;
use crate::domain::orders as rules;
use crate::services::pagination::{Page, PageArgs, paginate};
use crate::services::{ServiceError, ServiceResult, now};

/// Customers in the order first seen; `search`: name, phone (any spelling) or e-mail, folded.
pub async fn customers(
    db: &DatabaseConnection,
    search: Option<&str>,
    page: &PageArgs,
) -> ServiceResult<Page<customer::Model>> {
    let mut select = customer::Entity::find();
    if let Some(term) = search.map(str::trim).filter(|t| !t.is_empty()) {
        select = select.filter(super::reads::search_condition(customer::Column::SearchText, term));
    }
    paginate(db, select, customer::Column::Id, page).await
}

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
        channel: &channel::Model,
        orders: &[&ChannelOrder],
    ) -> ServiceResult<Self> {
        let channel_id = channel.id;
        let phones: BTreeSet<String> = orders.iter().filter_map(|co| customer_phone(channel, co)).collect();
        let buyers: BTreeSet<String> =
            orders.iter().filter_map(|co| co.customer.external_id.clone().filter(|e| !e.is_empty())).collect();
        let mut out = Self::default();
        if !phones.is_empty() {
            let found = customer::Entity::find().filter(customer::Column::Phone.is_in(phones)).all(txn).await?;
            for c in found {
                if let Some(phone) = c.phone.clone() {
                    out.by_phone.insert(phone, c);
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

/// The phone the buyer gave (the shipping address's when the buyer has none).
fn given_phone(co: &ChannelOrder) -> Option<&str> {
    co.customer.phone.as_deref().or(co.shipping_address.phone.as_deref())
}

/// The buyer's phone in E.164, read in the channel's country; none when it is not a valid number (masked).
fn customer_phone(channel: &channel::Model, co: &ChannelOrder) -> Option<String> {
    given_phone(co).and_then(|raw| derived::phone_e164(raw, &channel.country))
}

/// Saves the buyer: one customer per phone number (else per channel buyer id).
pub(super) async fn save_customer(
    txn: &DatabaseTransaction,
    channel: &channel::Model,
    co: &ChannelOrder,
    customers: &mut Customers,
) -> ServiceResult<Option<customer::Model>> {
    let phone = customer_phone(channel, co);
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
        given_phone(co),
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
    let search_text = |phone: Option<&str>, email: Option<&str>| derived::customer_search_text(&display, phone, email);
    let saved = match customers.find(phone.as_deref(), external_id.as_deref()) {
        Some(c) => {
            let unchanged = c.name == display
                && c.email == email.clone().or(c.email.clone())
                && c.address.as_ref() == Some(&address)
                && (phone.is_none() || c.phone == phone);
            if unchanged {
                c
            } else {
                let phone = phone.or(c.phone.clone());
                let email = email.or(c.email.clone());
                let mut active: customer::ActiveModel = c.clone().into();
                active.search_text = Set(search_text(phone.as_deref(), email.as_deref()));
                active.name = Set(display);
                active.phone = Set(phone);
                active.email = Set(email);
                active.address = Set(Some(address));
                active.updated_at = Set(at);
                active.update(txn).await?
            }
        }
        None => {
            let row = customer::ActiveModel {
                channel_id: Set(Some(channel.id)),
                external_id: Set(external_id.clone()),
                search_text: Set(search_text(phone.as_deref(), email.as_deref())),
                name: Set(display),
                phone: Set(phone.clone()),
                email: Set(email),
                address: Set(Some(address)),
                created_at: Set(at),
                updated_at: Set(at),
                ..Default::default()
            };
            // Two imports of one buyer at once (two channels' workers, one phone; or one channel's buyer id):
            // the second takes the first's row instead of failing on a unique index.
            let inserted = customer::Entity::insert(row)
                .on_conflict(OnConflict::new().do_nothing().to_owned())
                .exec_with_returning(txn)
                .await;
            match inserted {
                Ok(model) => model,
                Err(err) if crate::services::not_inserted(&err) => {
                    let same_phone = phone.clone().map(|p| customer::Column::Phone.eq(p));
                    let same_buyer = customer::Column::ChannelId
                        .eq(channel.id)
                        .and(customer::Column::ExternalId.eq(external_id.clone()));
                    let taken = match same_phone {
                        Some(same_phone) => same_phone.or(same_buyer),
                        None => same_buyer,
                    };
                    customer::Entity::find()
                        .filter(taken)
                        .order_by_asc(customer::Column::Id)
                        .one(txn)
                        .await?
                        .ok_or_else(|| {
                            ServiceError::Unexpected(anyhow::anyhow!(
                                "customer {external_id:?} vanished inside its transaction"
                            ))
                        })?
                }
                Err(err) => return Err(err.into()),
            }
        }
    };
    customers.remember(channel.id, &saved);
    Ok(Some(saved))
}
