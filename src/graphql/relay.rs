//! Relay conventions: opaque global ids, cursors, and connection arguments.

use super::errors::int;
use std::borrow::Cow;

use async_graphql::connection::{Edge, EmptyFields, PageInfo};
use async_graphql::{Context, ErrorExtensions, ID, Object, OutputType, TypeName};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

use crate::domain::errors::ErrorCode;
use chrono::SecondsFormat;

use crate::services::pagination::{
    ById, Cursor, ID_SORT_KEY, MAX_PAGE_SIZE, Page, PageArgs, SortKey, SortValue, SortValueKind,
};

/// `Product` + 42 → an opaque id. Clients must not parse it.
pub fn global_id(type_name: &str, id: i64) -> ID {
    ID(B64.encode(format!("{type_name}:{id}")))
}

/// The numeric id inside a global id of `type_name`, or `None` when it is not one.
pub fn decode_id(type_name: &str, id: &ID) -> Option<i64> {
    let (kind, raw) = decode_any(id)?;
    (kind == type_name).then_some(raw)
}

/// Type name and numeric id of any global id.
pub fn decode_any(id: &ID) -> Option<(String, i64)> {
    let bytes = B64.decode(id.as_str()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (kind, raw) = text.split_once(':')?;
    let raw: i64 = raw.parse().ok().filter(|n: &i64| *n > 0)?;
    Some((kind.to_owned(), raw))
}

/// For a query argument: a GraphQL error when the id is not of `type_name`.
pub fn require_id(type_name: &str, id: &ID) -> async_graphql::Result<i64> {
    decode_id(type_name, id).ok_or_else(|| invalid_id(id, type_name))
}

/// The error of a query argument that is not an id of this API (`INVALID_ID`), the same for every field taking
/// ids (`node`, `product`, …), so a client handles it once.
pub fn invalid_id(id: &ID, expected: &str) -> async_graphql::Error {
    async_graphql::Error::new(format!("\"{}\" is not a {expected} id", id.as_str()))
        .extend_with(|_, e| e.set("code", "INVALID_ID"))
}

/// For a mutation argument: a user error naming the field when the id is not of `type_name`.
pub fn input_id(type_name: &str, id: &ID, field: &[&str]) -> Result<i64, crate::domain::errors::FieldError> {
    decode_id(type_name, id).ok_or_else(|| {
        crate::domain::errors::FieldError::new(
            field,
            ErrorCode::InvalidId,
            format!("\"{}\" is not a {type_name} id", id.as_str()),
        )
    })
}

/// A cursor as clients see it: base64 of `cursor:<id>` under the primary-key order (the form every list had
/// before sort keys, so those cursors stay valid), else `cursor:<KEY>:<id>:<value>` with times in RFC 3339 (UTC, as
/// precise as stored). Opaque: clients must not parse it.
fn encode_cursor(cursor: &Cursor) -> String {
    let text = match &cursor.value {
        None => format!("cursor:{}", cursor.id),
        Some(value) => {
            let value = match value {
                SortValue::Text(text) => text.clone(),
                SortValue::Time(at) => at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            };
            format!("cursor:{}:{}:{value}", cursor.sort_key, cursor.id)
        }
    };
    B64.encode(text)
}

/// The parts of a cursor's text: sort key name, id and raw sort value.
fn cursor_parts(value: &str) -> Option<(String, i64, Option<String>)> {
    let text = String::from_utf8(B64.decode(value).ok()?).ok()?;
    let rest = text.strip_prefix("cursor:")?;
    if let Ok(id) = rest.parse() {
        return Some((ID_SORT_KEY.to_owned(), id, None));
    }
    let mut parts = rest.splitn(3, ':');
    let (key, id, raw) = (parts.next()?, parts.next()?.parse().ok()?, parts.next()?);
    Some((key.to_owned(), id, Some(raw.to_owned())))
}

/// Decodes the cursor argument `arg` for a list sorted by `sort`: a cursor taken under another sort key would
/// start the page at the wrong place, so it is refused rather than followed.
fn decode_cursor<K: SortKey>(arg: &str, value: &str, sort: K) -> async_graphql::Result<Cursor> {
    let not_ours = || bad_request(format!("`{arg}` is not a cursor returned by this API"), "BAD_CURSOR");
    let (key, id, raw) = cursor_parts(value).ok_or_else(not_ours)?;
    if key != sort.name() {
        return Err(bad_request(
            format!(
                "`{arg}` is a cursor of this list sorted by {key}; it can't continue the list sorted by {}: ask \
                 for the first page again",
                sort.name()
            ),
            "BAD_CURSOR",
        ));
    }
    let value = match (sort.value_kind(), raw) {
        (None, None) => None,
        (Some(SortValueKind::Text), Some(text)) => Some(SortValue::Text(text)),
        (Some(SortValueKind::Time), Some(time)) => Some(SortValue::Time(
            chrono::DateTime::parse_from_rfc3339(&time).map_err(|_| not_ours())?.with_timezone(&chrono::Utc),
        )),
        _ => return Err(not_ours()),
    };
    Ok(Cursor { sort_key: sort.name(), value, id })
}

fn bad_request(message: String, code: &'static str) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(move |_, e| e.set("code", code))
}

/// The query cost of a connection field: itself, plus its selection once per item the page may hold (the
/// page size asked for, or the default 50), so a page of 100 costs about twice a page of 50.
pub fn page_cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let items = usize::try_from(first.or(last).unwrap_or(50)).unwrap_or(0).max(1);
    1 + items * child_complexity
}

/// The arguments of every connection field.
pub struct ConnectionArgs {
    pub after: Option<String>,
    pub before: Option<String>,
    pub first: Option<i32>,
    pub last: Option<i32>,
    pub reverse: Option<bool>,
}

impl ConnectionArgs {
    /// Validates and decodes for a list in primary-key order: page sizes 0..=100, not both `first` and `last`,
    /// cursors of this API. The rows are counted only when the connection's `totalCount` is selected.
    pub fn page(&self, ctx: &Context<'_>) -> async_graphql::Result<PageArgs> {
        self.sorted_page(ctx, ById)
    }

    /// As `page`, for a list sorted by `sort`: its cursors must have been taken under the same sort key.
    pub fn sorted_page<K: SortKey>(&self, ctx: &Context<'_>, sort: K) -> async_graphql::Result<PageArgs<K>> {
        let mut args = self.decode(sort)?;
        args.count_total = ctx.look_ahead().field("totalCount").exists();
        Ok(args)
    }

    /// The arguments alone, decoded and validated (nothing counted).
    fn decode<K: SortKey>(&self, sort: K) -> async_graphql::Result<PageArgs<K>> {
        if self.first.is_some() && self.last.is_some() {
            return Err(bad_request("pass `first` or `last`, not both".into(), "BAD_PAGINATION"));
        }
        let size = |name: &str, v: Option<i32>| -> async_graphql::Result<Option<u64>> {
            match v {
                None => Ok(None),
                Some(n) if n < 0 => Err(bad_request(format!("`{name}` can't be negative"), "BAD_PAGINATION")),
                Some(n) if n as u64 > MAX_PAGE_SIZE => Err(bad_request(
                    format!("`{name}` is {n}, above the maximum page size of {MAX_PAGE_SIZE}"),
                    "PAGE_TOO_LARGE",
                )),
                Some(n) => Ok(Some(n as u64)),
            }
        };
        Ok(PageArgs {
            sort,
            after: self.after.as_deref().map(|c| decode_cursor("after", c, sort)).transpose()?,
            before: self.before.as_deref().map(|c| decode_cursor("before", c, sort)).transpose()?,
            first: size("first", self.first)?,
            last: size("last", self.last)?,
            reverse: self.reverse.unwrap_or(false),
            count_total: false,
        })
    }
}

/// A page of a list: the `<Item>Connection` of every list field. Ours rather than async-graphql's `Connection`,
/// whose type has no description; the fields and their meaning are the same (`totalCount` added).
pub struct Conn<T: OutputType> {
    edges: Vec<Edge<String, T, EmptyFields>>,
    has_previous_page: bool,
    has_next_page: bool,
    total_count: Option<u64>,
}

/// One page of a list, in the list's order, with the cursors to ask for the pages around it (a Relay
/// connection). A page holds at most 100 items.
#[Object(name_type)]
impl<T: OutputType> Conn<T> {
    /// Information to aid in pagination.
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_previous_page: self.has_previous_page,
            has_next_page: self.has_next_page,
            start_cursor: self.edges.first().map(|edge| edge.cursor.clone()),
            end_cursor: self.edges.last().map(|edge| edge.cursor.clone()),
        }
    }

    /// A list of edges.
    async fn edges(&self) -> &[Edge<String, T, EmptyFields>] {
        &self.edges
    }

    /// A list of nodes.
    async fn nodes(&self) -> Vec<&T> {
        self.edges.iter().map(|edge| &edge.node).collect()
    }

    /// Items matching the filter, across all pages.
    async fn total_count(&self) -> async_graphql::Result<i32> {
        // `ConnectionArgs::page` counts whenever this field is selected; a page built otherwise is a bug.
        let counted = self.total_count.ok_or_else(|| super::errors::internal(anyhow::anyhow!("rows not counted")))?;
        int(counted)
    }
}

impl<T: OutputType> TypeName for Conn<T> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Connection", T::type_name()).into()
    }
}

/// Builds a connection from a service page, each item wrapped by `wrap`.
pub fn connection<M, T: OutputType>(page: Page<M>, wrap: impl Fn(M) -> T) -> Conn<T> {
    Conn {
        edges: page.items.into_iter().zip(&page.cursors).map(|(m, c)| Edge::new(encode_cursor(c), wrap(m))).collect(),
        has_previous_page: page.has_previous_page,
        has_next_page: page.has_next_page,
        total_count: page.total_count,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::catalog::ProductSortKey;

    #[test]
    fn global_ids_round_trip_and_are_typed() {
        let id = global_id("Product", 42);
        assert_eq!(decode_id("Product", &id), Some(42));
        assert_eq!(decode_id("Warehouse", &id), None);
        assert_eq!(decode_id("Product", &ID("not-an-id".into())), None);
        assert_eq!(decode_id("Product", &ID(B64.encode("Product:-1"))), None);
    }

    fn args(after: Option<String>) -> ConnectionArgs {
        ConnectionArgs { after, before: None, first: Some(10), last: None, reverse: None }
    }

    fn code(err: &async_graphql::Error) -> String {
        err.extensions.as_ref().and_then(|e| e.get("code")).map(ToString::to_string).unwrap_or_default()
    }

    #[test]
    fn page_args_refuse_oversize_negative_and_bad_cursors() {
        let sized = |first: Option<i32>, after: Option<&str>| ConnectionArgs {
            after: after.map(str::to_owned),
            before: None,
            first,
            last: None,
            reverse: None,
        };
        assert!(sized(Some(101), None).decode(ById).is_err());
        assert!(sized(Some(-1), None).decode(ById).is_err());
        assert!(sized(Some(10), Some("garbage")).decode(ById).is_err());
        let seven = encode_cursor(&Cursor { sort_key: ID_SORT_KEY, value: None, id: 7 });
        assert_eq!(sized(Some(100), Some(&seven)).decode(ById).expect("ok").after.map(|c| c.id), Some(7));
    }

    #[test]
    fn primary_key_cursors_keep_their_old_form() {
        let cursor = Cursor { sort_key: ID_SORT_KEY, value: None, id: 42 };
        assert_eq!(encode_cursor(&cursor), B64.encode("cursor:42"), "cursors handed out before sort keys stay valid");
        assert_eq!(args(Some(B64.encode("cursor:42"))).decode(ById).expect("decoded").after, Some(cursor));
    }

    #[test]
    fn sorted_cursors_carry_key_value_and_id_exactly() {
        let title = Cursor { sort_key: "TITLE", value: Some(SortValue::Text("Áo: size M: đỏ".into())), id: 3 };
        let decoded = args(Some(encode_cursor(&title))).decode(ProductSortKey::Title).expect("decoded");
        assert_eq!(decoded.after, Some(title), "colons and non-ASCII survive");

        // Nanoseconds (SQLite keeps them) and whole seconds both come back as the same instant.
        for at in ["2026-12-05T10:11:12.123456789Z", "2026-12-05T10:11:12Z", "2026-12-05T10:11:12.5Z"] {
            let at = at.parse::<chrono::DateTime<chrono::Utc>>().expect("a time");
            let cursor = Cursor { sort_key: "UPDATED_AT", value: Some(SortValue::Time(at)), id: 9 };
            let decoded = args(Some(encode_cursor(&cursor))).decode(ProductSortKey::UpdatedAt).expect("decoded");
            assert_eq!(decoded.after, Some(cursor));
        }
    }

    #[test]
    fn a_cursor_of_another_sort_key_is_refused() {
        let title = encode_cursor(&Cursor { sort_key: "TITLE", value: Some(SortValue::Text("A".into())), id: 1 });
        let by_id = encode_cursor(&Cursor { sort_key: ID_SORT_KEY, value: None, id: 1 });
        for (cursor, sort) in
            [(&title, ProductSortKey::UpdatedAt), (&title, ProductSortKey::Id), (&by_id, ProductSortKey::Title)]
        {
            let err = args(Some(cursor.clone())).decode(sort).expect_err("refused");
            assert_eq!(code(&err), "\"BAD_CURSOR\"");
            assert!(err.message.contains(&format!("sorted by {}", sort.name())), "{}", err.message);
        }
        let err = args(Some(title)).decode(ById).expect_err("a list without sort keys refuses it too");
        assert_eq!(code(&err), "\"BAD_CURSOR\"");
    }

    #[test]
    fn a_cursor_whose_value_does_not_fit_its_key_is_refused() {
        for text in ["cursor:UPDATED_AT:4:yesterday", "cursor:UPDATED_AT:4", "cursor:UPDATED_AT:x:2026-12-05T10:11:12Z"]
        {
            let err = args(Some(B64.encode(text))).decode(ProductSortKey::UpdatedAt).expect_err(text);
            assert!(err.message.contains("not a cursor returned by this API"), "{text}: {}", err.message);
        }
    }

    #[test]
    fn a_connection_costs_itself_plus_its_selection_per_item_asked_for() {
        assert_eq!(page_cost(Some(10), None, 3), 31);
        assert_eq!(page_cost(None, Some(4), 3), 13);
        assert_eq!(page_cost(None, None, 2), 101, "the default page is 50");
        assert_eq!(page_cost(Some(0), None, 5), 6, "an empty page still costs one item");
        assert_eq!(page_cost(Some(-3), None, 5), 6, "refused later; costed as one item");
    }
}
