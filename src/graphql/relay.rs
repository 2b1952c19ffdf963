//! Relay conventions: opaque global ids, cursors, and connection arguments.

use super::errors::int;
use std::borrow::Cow;

use async_graphql::connection::{Edge, EmptyFields, PageInfo};
use async_graphql::{ErrorExtensions, ID, Object, OutputType, TypeName};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

use crate::domain::errors::ErrorCode;
use crate::services::pagination::{MAX_PAGE_SIZE, Page, PageArgs};

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

fn cursor(id: i64) -> String {
    B64.encode(format!("cursor:{id}"))
}

fn decode_cursor(arg: &str, value: &str) -> async_graphql::Result<i64> {
    B64.decode(value)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("cursor:").and_then(|n| n.parse().ok()))
        .ok_or_else(|| bad_request(format!("`{arg}` is not a cursor returned by this API"), "BAD_CURSOR"))
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
    /// Validates and decodes: page sizes 0..=100, not both `first` and `last`, cursors of this API.
    pub fn page(&self) -> async_graphql::Result<PageArgs> {
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
            after: self.after.as_deref().map(|c| decode_cursor("after", c)).transpose()?,
            before: self.before.as_deref().map(|c| decode_cursor("before", c)).transpose()?,
            first: size("first", self.first)?,
            last: size("last", self.last)?,
            reverse: self.reverse.unwrap_or(false),
        })
    }
}

/// A page of a list: the `<Item>Connection` of every list field. Ours rather than async-graphql's `Connection`,
/// whose type has no description; the fields and their meaning are the same (`totalCount` added).
pub struct Conn<T: OutputType> {
    edges: Vec<Edge<String, T, EmptyFields>>,
    has_previous_page: bool,
    has_next_page: bool,
    total_count: u64,
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
        int(self.total_count)
    }
}

impl<T: OutputType> TypeName for Conn<T> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Connection", T::type_name()).into()
    }
}

/// Builds a connection from a service page; `id_of` gives each item's key for its cursor.
pub fn connection<M, T: OutputType>(page: Page<M>, id_of: impl Fn(&M) -> i64, wrap: impl Fn(M) -> T) -> Conn<T> {
    Conn {
        edges: page.items.into_iter().map(|m| Edge::new(cursor(id_of(&m)), wrap(m))).collect(),
        has_previous_page: page.has_previous_page,
        has_next_page: page.has_next_page,
        total_count: page.total_count,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_ids_round_trip_and_are_typed() {
        let id = global_id("Product", 42);
        assert_eq!(decode_id("Product", &id), Some(42));
        assert_eq!(decode_id("Warehouse", &id), None);
        assert_eq!(decode_id("Product", &ID("not-an-id".into())), None);
        assert_eq!(decode_id("Product", &ID(B64.encode("Product:-1"))), None);
    }

    #[test]
    fn page_args_refuse_oversize_negative_and_bad_cursors() {
        let args = |first: Option<i32>, after: Option<&str>| ConnectionArgs {
            after: after.map(str::to_owned),
            before: None,
            first,
            last: None,
            reverse: None,
        };
        assert!(args(Some(101), None).page().is_err());
        assert!(args(Some(-1), None).page().is_err());
        assert!(args(Some(10), Some("garbage")).page().is_err());
        assert_eq!(args(Some(100), Some(&cursor(7))).page().expect("ok").after, Some(7));
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
