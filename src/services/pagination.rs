//! Keyset pagination: stable under inserts and under many rows sharing a sort value, O(page) per request.
//!
//! A list is ordered by one sort key: its primary key (the default, creation order), or a column with the primary
//! key breaking ties, so rows with equal values still have one fixed order and a page boundary falls between two
//! distinct (value, id) pairs. Ascending, or descending with `reverse`. A cursor carries the key it was taken under,
//! the row's sort value and its id; a page continues strictly past that pair.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, ModelTrait, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Select, Value,
};

use super::{ServiceError, ServiceResult};

/// Page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE_SIZE: u64 = 50;
/// Largest page a client may ask for.
pub const MAX_PAGE_SIZE: u64 = 100;
/// The name of the primary-key order in cursors (every list has it).
pub const ID_SORT_KEY: &str = "ID";

/// The kind of value a sort key orders by, so a cursor's value is read back as what it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortValueKind {
    /// Text, compared by the database's collation (byte order on SQLite, the database's on PostgreSQL).
    Text,
    /// A UTC timestamp.
    Time,
}

/// A row's value of the list's sort column, as carried in a cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortValue {
    Text(String),
    Time(DateTime<Utc>),
}

impl SortValue {
    pub fn kind(&self) -> SortValueKind {
        match self {
            Self::Text(_) => SortValueKind::Text,
            Self::Time(_) => SortValueKind::Time,
        }
    }

    fn into_value(self) -> Value {
        match self {
            Self::Text(text) => Value::String(Some(text)),
            Self::Time(at) => Value::ChronoDateTimeUtc(Some(at)),
        }
    }
}

/// Where a page starts or ends: the sort key it was taken under, that row's sort value (none under the primary
/// key) and its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub sort_key: &'static str,
    pub value: Option<SortValue>,
    pub id: i64,
}

/// One sort key of a list (each list has an enum of them). Its sort column must be NOT NULL.
pub trait SortKey: Copy {
    /// As the API spells it (`UPDATED_AT`); cursors carry it, so one taken under another key is refused.
    fn name(self) -> &'static str;
    /// The kind of its column's values; `None` for the primary key alone.
    fn value_kind(self) -> Option<SortValueKind>;
}

/// The column a sort key of entity `E`'s list orders by; `None` for the primary key alone.
pub trait SortColumn<E: EntityTrait>: SortKey {
    fn column(self) -> Option<E::Column>;
}

/// The primary-key order, the only one of lists without sort keys.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ById;

impl SortKey for ById {
    fn name(self) -> &'static str {
        ID_SORT_KEY
    }

    fn value_kind(self) -> Option<SortValueKind> {
        None
    }
}

impl<E: EntityTrait> SortColumn<E> for ById {
    fn column(self) -> Option<E::Column> {
        None
    }
}

/// Validated paging arguments: cursors decoded and taken under `sort`.
#[derive(Debug, Clone, Default)]
pub struct PageArgs<K = ById> {
    pub sort: K,
    pub after: Option<Cursor>,
    pub before: Option<Cursor>,
    pub first: Option<u64>,
    pub last: Option<u64>,
    pub reverse: bool,
    /// Count the rows matching the filter across all pages (a `COUNT(*)`, the dearest part of a page on a large
    /// list): only when the client asked for `totalCount`.
    pub count_total: bool,
}

/// One page: the items in the list's order, each with its cursor.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub cursors: Vec<Cursor>,
    pub has_previous_page: bool,
    pub has_next_page: bool,
    /// Rows matching the filter across all pages; `None` unless `PageArgs::count_total` asked for it.
    pub total_count: Option<u64>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            cursors: self.cursors,
            has_previous_page: self.has_previous_page,
            has_next_page: self.has_next_page,
            total_count: self.total_count,
        }
    }
}

/// The keyset of one list: its sort column (if any) and primary key.
struct Keyset<C> {
    sort_column: Option<C>,
    id_column: C,
}

impl<C: ColumnTrait> Keyset<C> {
    /// Rows past `cursor` in ascending (`greater`) or descending order, the cursor's own row included or not.
    fn past(&self, cursor: &Cursor, greater: bool, inclusive: bool) -> ServiceResult<SimpleExpr> {
        // Here only: its `min` and `max` would shadow the integers' elsewhere in this module.
        use sea_orm::sea_query::ExprTrait;
        let id = Expr::col(self.id_column.as_column_ref());
        let (left, right) = match (self.sort_column, cursor.value.clone()) {
            (None, None) => (id, Expr::val(cursor.id)),
            // Row values: one comparison the index on (column, id) serves, on SQLite and PostgreSQL alike.
            (Some(column), Some(value)) => (
                Expr::tuple([Expr::col(column.as_column_ref()), id]),
                Expr::tuple([Expr::val(value.into_value()), Expr::val(cursor.id)]),
            ),
            _ => return Err(mismatched(cursor)),
        };
        Ok(match (greater, inclusive) {
            (true, false) => left.gt(right),
            (true, true) => left.gte(right),
            (false, false) => left.lt(right),
            (false, true) => left.lte(right),
        })
    }

    fn order<E: EntityTrait<Column = C>>(&self, select: Select<E>, ascending: bool) -> Select<E> {
        let direction = if ascending { Order::Asc } else { Order::Desc };
        let select = match self.sort_column {
            Some(column) => select.order_by(column, direction.clone()),
            None => select,
        };
        select.order_by(self.id_column, direction)
    }

    fn cursor_of<E: EntityTrait<Column = C>>(&self, model: &E::Model, sort_key: &'static str) -> ServiceResult<Cursor> {
        let id = match model.get(self.id_column) {
            Value::BigInt(Some(id)) => id,
            Value::Int(Some(id)) => i64::from(id),
            other => return Err(unexpected(format!("a primary key of {other:?}"))),
        };
        let value = match self.sort_column.map(|column| model.get(column)) {
            None => None,
            Some(Value::String(Some(text))) => Some(SortValue::Text(text)),
            Some(Value::ChronoDateTimeUtc(Some(at))) => Some(SortValue::Time(at)),
            Some(other) => return Err(unexpected(format!("a sort value of {other:?}"))),
        };
        Ok(Cursor { sort_key, value, id })
    }
}

/// One page of `select` in the order of `args.sort`; `id_col` is its integer primary key.
pub async fn paginate<E, C, K>(
    db: &C,
    select: Select<E>,
    id_col: E::Column,
    args: &PageArgs<K>,
) -> ServiceResult<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Send + Sync,
    C: ConnectionTrait,
    K: SortColumn<E>,
{
    let keyset = Keyset { sort_column: args.sort.column(), id_column: id_col };
    let sort_key = args.sort.name();
    for cursor in args.after.iter().chain(&args.before) {
        if cursor.sort_key != sort_key {
            return Err(mismatched(cursor));
        }
    }
    let total_count = if args.count_total { Some(select.clone().count(db).await?) } else { None };
    // "after" always means further along the chosen order.
    let (forward_gt, backward) = (!args.reverse, args.last.is_some() && args.first.is_none());
    let mut window = select.clone();
    if let Some(after) = &args.after {
        window = window.filter(keyset.past(after, forward_gt, false)?);
    }
    if let Some(before) = &args.before {
        window = window.filter(keyset.past(before, !forward_gt, false)?);
    }
    let limit = if backward { args.last } else { args.first }.unwrap_or(DEFAULT_PAGE_SIZE).min(MAX_PAGE_SIZE);
    // Walking backwards (`last`) reads the window from its far end, then restores the order.
    let ascending = forward_gt != backward;
    let mut items = keyset.order(window, ascending).limit(limit + 1).all(db).await?;
    let has_more = items.len() as u64 > limit;
    items.truncate(limit as usize);
    if backward {
        items.reverse();
    }
    // Whether anything lies on the other side of the cursor we started from (its own row included).
    let beyond = async |cursor: Option<&Cursor>, toward_start: bool| -> ServiceResult<bool> {
        let Some(cursor) = cursor else { return Ok(false) };
        let condition = keyset.past(cursor, toward_start != forward_gt, true)?;
        let found = select.clone().filter(condition).select_only().column(id_col).limit(1).into_tuple::<i64>();
        Ok(found.one(db).await?.is_some())
    };
    let (has_previous_page, has_next_page) = if backward {
        (has_more, beyond(args.before.as_ref(), false).await?)
    } else {
        (beyond(args.after.as_ref(), true).await?, has_more)
    };
    let cursors = items.iter().map(|item| keyset.cursor_of::<E>(item, sort_key)).collect::<ServiceResult<_>>()?;
    Ok(Page { items, cursors, has_previous_page, has_next_page, total_count })
}

/// A cursor that does not fit the list's sort key. The API layer refuses these when it decodes them
/// (`graphql::relay`), so reaching here is a bug, not a client error.
fn mismatched(cursor: &Cursor) -> ServiceError {
    unexpected(format!("a cursor taken under {} reached a list sorted otherwise", cursor.sort_key))
}

fn unexpected(what: String) -> ServiceError {
    ServiceError::Unexpected(anyhow::anyhow!("pagination: {what}"))
}

#[cfg(test)]
mod tests {
    use entity::product;
    use sea_orm::{DbBackend, QueryTrait};

    use super::*;

    fn sql(keyset: &Keyset<product::Column>, cursor: &Cursor, greater: bool, inclusive: bool) -> String {
        let condition = keyset.past(cursor, greater, inclusive).expect("a condition");
        product::Entity::find().filter(condition).build(DbBackend::Sqlite).to_string()
    }

    #[test]
    fn a_sorted_page_continues_past_the_value_and_id_pair() {
        let keyset = Keyset { sort_column: Some(product::Column::Title), id_column: product::Column::Id };
        let cursor = Cursor { sort_key: "TITLE", value: Some(SortValue::Text("Beta".into())), id: 3 };
        let after = sql(&keyset, &cursor, true, false);
        assert!(after.ends_with(r#"WHERE ("products"."title", "products"."id") > ('Beta', 3)"#), "{after}");
        let back_to = sql(&keyset, &cursor, false, true);
        assert!(back_to.ends_with(r#"WHERE ("products"."title", "products"."id") <= ('Beta', 3)"#), "{back_to}");
    }

    #[test]
    fn the_primary_key_order_compares_ids_alone() {
        let keyset = Keyset { sort_column: None, id_column: product::Column::Id };
        let cursor = Cursor { sort_key: ID_SORT_KEY, value: None, id: 7 };
        assert!(sql(&keyset, &cursor, false, false).ends_with(r#"WHERE "products"."id" < 7"#));
    }

    #[test]
    fn a_cursor_without_the_lists_kind_of_value_is_a_fault_not_a_page() {
        let sorted = Keyset { sort_column: Some(product::Column::Title), id_column: product::Column::Id };
        let by_id = Cursor { sort_key: ID_SORT_KEY, value: None, id: 7 };
        assert!(sorted.past(&by_id, true, false).is_err());
        let plain = Keyset { sort_column: None, id_column: product::Column::Id };
        let titled = Cursor { sort_key: "TITLE", value: Some(SortValue::Text("A".into())), id: 7 };
        assert!(plain.past(&titled, true, false).is_err());
    }
}
