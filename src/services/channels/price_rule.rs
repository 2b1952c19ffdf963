//! A channel's price rule as a merchant sets it (`domain::price_rules`): a percent and amounts in the channel's
//! currency, decoded to minor units, checked against the prices of the variants linked to the channel (no price
//! may be taken to 0 or below), stored in four columns of the channel.

use rust_decimal::Decimal;
use sea_orm::sea_query::Query;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use entity::enums::PricePolicy;
use entity::{channel, product_link, product_variant};

use crate::domain::errors::{ErrorCode, FieldError};
use crate::domain::money;
use crate::domain::price_rules::{self, PriceRule, Rounding};
use crate::domain::stock_push::policy_price;
use crate::services::ServiceResult;
use crate::services::link_marks::variant_prices;

/// A price rule as written (amounts in the channel's currency); it replaces the channel's whole rule, an omitted
/// part being none.
#[derive(Debug, Clone, Default)]
pub struct PriceRuleInput {
    /// Percent, up to 2 decimals: 10 = +10%, -5.5 = -5.5%.
    pub adjust_percent: Option<Decimal>,
    /// Added (> 0) or taken off (< 0).
    pub adjust_amount: Option<Decimal>,
    pub round_to: Option<Decimal>,
    pub round_up_to_ending: Option<Decimal>,
}

const PATH: [&str; 2] = ["settings", "priceRule"];

fn field(name: &str) -> Vec<&str> {
    PATH.iter().copied().chain([name]).collect()
}

/// The rule in minor units, or what is wrong with each field.
pub fn decode(input: &PriceRuleInput, currency: &str) -> Result<PriceRule, Vec<FieldError>> {
    let mut errors = Vec::new();
    let basis_points = match input.adjust_percent {
        None => Some(0),
        Some(percent) => {
            let scaled = (percent * Decimal::from(100)).normalize();
            let whole = (scaled.scale() == 0).then(|| i64::try_from(scaled).ok()).flatten();
            if whole.is_none() {
                errors.push(FieldError::new(
                    &field("adjustPercent"),
                    ErrorCode::Invalid,
                    format!(
                        "adjustPercent must be a percent with at most 2 decimal places, got {}",
                        percent.normalize()
                    ),
                ));
            }
            whole
        }
    };
    // Amounts in the channel's currency; only the adjustment may be negative.
    let mut minor = |name: &str, value: Option<Decimal>, may_be_negative: bool| -> Option<i64> {
        let value = value?;
        if value.is_sign_negative() && !value.is_zero() && !may_be_negative {
            errors.push(FieldError::new(&field(name), ErrorCode::Invalid, format!("{name} can't be negative")));
            return None;
        }
        match money::to_minor(&field(name), value.abs(), currency) {
            Ok(m) if value.is_sign_negative() => Some(-m),
            Ok(m) => Some(m),
            Err(e) => {
                errors.push(e);
                None
            }
        }
    };
    let amount = minor("adjustAmount", input.adjust_amount, true).unwrap_or(0);
    let round_to = minor("roundTo", input.round_to, false);
    let ending = minor("roundUpToEnding", input.round_up_to_ending, false);
    let rounding = match (round_to, ending) {
        (Some(step), None) => Rounding::NearestMultiple { step },
        (None, Some(ending)) => Rounding::UpToEnding { ending },
        (Some(_), Some(_)) => {
            errors.push(FieldError::new(
                &field("roundUpToEnding"),
                ErrorCode::Invalid,
                "give roundTo or roundUpToEnding, not both",
            ));
            Rounding::None
        }
        (None, None) => Rounding::None,
    };
    match basis_points {
        Some(adjust_basis_points) if errors.is_empty() => {
            Ok(PriceRule { adjust_basis_points, adjust_amount: amount, rounding })
        }
        _ => Err(errors),
    }
}

/// Checks `input` for `channel` (`None` on connect: nothing is linked yet) under the price policy it will have.
pub async fn check<C: ConnectionTrait>(
    db: &C,
    channel: Option<&channel::Model>,
    policy: PricePolicy,
    input: &PriceRuleInput,
    currency: &str,
) -> ServiceResult<Vec<FieldError>> {
    let rule = match decode(input, currency) {
        Ok(rule) => rule,
        Err(errors) => return Ok(errors),
    };
    let lowest = match channel {
        Some(channel) => lowest_linked_price(db, channel.id, policy).await?,
        None => None,
    };
    Ok(price_rules::check(&PATH, &rule, &lowest.into_iter().collect::<Vec<_>>()))
}

/// The lowest price the policy gives among the variants linked to the channel: the rule is monotonic in the
/// price, so if it leaves this one above 0 it leaves every one.
async fn lowest_linked_price<C: ConnectionTrait>(
    db: &C,
    channel_id: i64,
    policy: PricePolicy,
) -> ServiceResult<Option<i64>> {
    let linked = Query::select()
        .column(product_link::Column::VariantId)
        .from(product_link::Entity)
        .and_where(product_link::Column::ChannelId.eq(channel_id))
        .and_where(product_link::Column::VariantId.is_not_null())
        .to_owned();
    let variants =
        product_variant::Entity::find().filter(product_variant::Column::Id.in_subquery(linked)).all(db).await?;
    Ok(variants.iter().map(|v| policy_price(variant_prices(v), policy)).filter(|p| *p > 0).min())
}

/// Stores `rule` in the channel's columns.
pub fn store(active: &mut channel::ActiveModel, rule: &PriceRule) {
    active.price_adjust_basis_points = Set(rule.adjust_basis_points);
    active.price_adjust_amount_minor = Set(rule.adjust_amount);
    let (round_to, ending) = match rule.rounding {
        Rounding::None => (None, None),
        Rounding::NearestMultiple { step } => (Some(step), None),
        Rounding::UpToEnding { ending } => (None, Some(ending)),
    };
    active.price_round_to_minor = Set(round_to);
    active.price_round_up_to_ending_minor = Set(ending);
}
