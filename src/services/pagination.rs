//! Keyset pagination over the primary key: stable under inserts, O(page) per request.
//! Sorting style everywhere: by id (creation order), ascending, or descending with `reverse`.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};

use super::ServiceResult;

/// Page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE_SIZE: u64 = 50;
/// Largest page a client may ask for.
pub const MAX_PAGE_SIZE: u64 = 100;

/// Validated paging arguments (cursors already decoded to ids).
#[derive(Debug, Clone, Default)]
pub struct PageArgs {
    pub after: Option<i64>,
    pub before: Option<i64>,
    pub first: Option<u64>,
    pub last: Option<u64>,
    pub reverse: bool,
}

#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_previous_page: bool,
    pub has_next_page: bool,
    pub total_count: u64,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            has_previous_page: self.has_previous_page,
            has_next_page: self.has_next_page,
            total_count: self.total_count,
        }
    }
}

/// One page of `select`, keyed on its integer primary key `id_col`.
pub async fn paginate<E, C>(
    db: &C,
    select: Select<E>,
    id_col: E::Column,
    args: &PageArgs,
) -> ServiceResult<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Send + Sync,
    C: ConnectionTrait,
{
    let total_count = select.clone().count(db).await?;
    // "after" always means further along the chosen order.
    let (forward_gt, backward) = (!args.reverse, args.last.is_some() && args.first.is_none());
    let mut window = select.clone();
    if let Some(after) = args.after {
        window = window.filter(if forward_gt { id_col.gt(after) } else { id_col.lt(after) });
    }
    if let Some(before) = args.before {
        window = window.filter(if forward_gt { id_col.lt(before) } else { id_col.gt(before) });
    }
    let limit = if backward { args.last } else { args.first }.unwrap_or(DEFAULT_PAGE_SIZE).min(MAX_PAGE_SIZE);
    // Walking backwards (`last`) reads the window from its far end, then restores the order.
    let ascending = forward_gt != backward;
    let ordered = if ascending { window.order_by_asc(id_col) } else { window.order_by_desc(id_col) };
    let mut items = ordered.limit(limit + 1).all(db).await?;
    let has_more = items.len() as u64 > limit;
    items.truncate(limit as usize);
    if backward {
        items.reverse();
    }
    // Whether anything lies on the other side of the cursor we started from.
    let beyond = |cursor: Option<i64>, toward_start: bool| {
        let select = select.clone();
        async move {
            let Some(cursor) = cursor else { return Ok::<bool, sea_orm::DbErr>(false) };
            let before_start = toward_start == forward_gt;
            let cond = if before_start { id_col.lte(cursor) } else { id_col.gte(cursor) };
            Ok(select.filter(cond).select_only().column(id_col).limit(1).into_tuple::<i64>().one(db).await?.is_some())
        }
    };
    let (has_previous_page, has_next_page) = if backward {
        (has_more, beyond(args.before, false).await?)
    } else {
        (beyond(args.after, true).await?, has_more)
    };
    Ok(Page { items, has_previous_page, has_next_page, total_count })
}
