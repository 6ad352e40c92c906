//! Pages of a list: every list the issuer serves is read a page at a time, so that no list
//! grows a response (or a dashboard) without bound, and no row is lost past a cap.
//!
//! Paging is by key, not by offset: a page names the key of its last row as `next_after`,
//! and the next page is the rows after that key. Rows written between two pages therefore
//! never shift a row into the next page twice or out of both; a walk from the first page
//! meets every row that existed throughout the walk exactly once.

use serde::{Deserialize, Serialize};

use crate::error::{IssuerError, Result};

/// Rows in a page when the caller does not say.
pub const DEFAULT_LIMIT: u32 = 100;
/// The most rows a caller may ask for in one page.
pub const MAX_LIMIT: u32 = 500;

/// Which page to read: at most `limit` rows after the row whose key is `after`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRequest {
    limit: u32,
    after: Option<String>,
}

impl PageRequest {
    /// A page of `limit` rows (the default if `None`) after `after` (from the start if
    /// `None`); refuses a limit of 0 or over [`MAX_LIMIT`].
    pub fn new(limit: Option<u32>, after: Option<String>) -> Result<Self> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(IssuerError::Invalid(format!(
                "limit {limit}: expected 1 to {MAX_LIMIT} rows per page"
            )));
        }
        Ok(Self { limit, after })
    }

    /// The first page of the default size.
    pub fn first() -> Self {
        Self {
            limit: DEFAULT_LIMIT,
            after: None,
        }
    }

    /// The first page of the largest size, for walking a whole list.
    fn largest() -> Self {
        Self {
            limit: MAX_LIMIT,
            after: None,
        }
    }

    /// The most rows this page holds.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// How many rows a query reads: one more than the page holds, to know if more follow.
    pub(crate) fn fetch(&self) -> u32 {
        self.limit + 1
    }

    /// The key after which the page starts, for a list keyed by a row id.
    pub(crate) fn after_id(&self) -> Result<Option<u64>> {
        self.after
            .as_deref()
            .map(|text| text.parse().map_err(|_| bad_cursor(text)))
            .transpose()
    }

    /// The key after which the page starts, for a list keyed by a text id.
    pub(crate) fn after_text(&self) -> Option<&str> {
        self.after.as_deref()
    }

    /// The key after which the page starts, for a list keyed by a time and a text id.
    pub(crate) fn after_time_and_id(&self) -> Result<Option<(i64, String)>> {
        self.after
            .as_deref()
            .map(|text| {
                let (at, id) = text.split_once('.').ok_or_else(|| bad_cursor(text))?;
                let at = at.parse().map_err(|_| bad_cursor(text))?;
                Ok((at, id.to_owned()))
            })
            .transpose()
    }

    /// The page after `page`, if it said more rows follow.
    fn following<T>(&self, page: &Page<T>) -> Option<Self> {
        page.next_after.clone().map(|after| Self {
            limit: self.limit,
            after: Some(after),
        })
    }
}

fn bad_cursor(text: &str) -> IssuerError {
    IssuerError::Invalid(format!(
        "after {text:?}: expected the next_after of an earlier page of this list"
    ))
}

/// One page of a list, and where the next one starts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The rows, in the list's order.
    pub items: Vec<T>,
    /// Pass as `after` to read the next page; absent on the last page.
    pub next_after: Option<String>,
}

impl<T> Page<T> {
    /// The page made of `rows` read with `request.fetch()` as their limit, each with its
    /// key: the extra row, if there is one, only says that another page follows.
    pub(crate) fn from_keyed<K: ToString>(mut rows: Vec<(K, T)>, request: &PageRequest) -> Self {
        let limit = usize::try_from(request.limit).unwrap_or(usize::MAX);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_after = if more {
            rows.last().map(|(key, _)| key.to_string())
        } else {
            None
        };
        Self {
            items: rows.into_iter().map(|(_, item)| item).collect(),
            next_after,
        }
    }
}

/// Every row of a list, read page by page with `read`: for the operator's CLI, which wants
/// the whole list from its own store; for a site's bundle, which carries every ban; and for
/// the rider's help form, whose site picker lists every site (a province's 6,000 sites want
/// a search there instead, which the rider page's redesign brings).
pub fn every<T>(mut read: impl FnMut(&PageRequest) -> Result<Page<T>>) -> Result<Vec<T>> {
    let mut request = PageRequest::largest();
    let mut all = Vec::new();
    loop {
        let page = read(&request)?;
        let next = request.following(&page);
        all.extend(page.items);
        match next {
            Some(next) => request = next,
            None => return Ok(all),
        }
    }
}

/// The `limit` and `after` of a request's query string.
#[derive(Debug, Default, Deserialize)]
pub struct PageParams {
    /// Rows per page.
    pub limit: Option<u32>,
    /// The `next_after` of the previous page.
    pub after: Option<String>,
}

impl PageParams {
    /// The page these parameters ask for.
    pub fn request(self) -> Result<PageRequest> {
        PageRequest::new(self.limit, self.after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A page of `rows` (the keys) as a store would read it.
    fn read(rows: &[u64], request: &PageRequest) -> Result<Page<u64>> {
        let after = request.after_id()?;
        let fetched: Vec<(u64, u64)> = rows
            .iter()
            .filter(|&&k| after.is_none_or(|a| k > a))
            .take(usize::try_from(request.fetch()).unwrap())
            .map(|&k| (k, k))
            .collect();
        Ok(Page::from_keyed(fetched, request))
    }

    #[test]
    fn a_limit_outside_one_to_the_maximum_is_refused_by_name() {
        for bad in [0, MAX_LIMIT + 1, u32::MAX] {
            let error = PageRequest::new(Some(bad), None).unwrap_err().to_string();
            assert!(error.contains(&format!("limit {bad}")), "{error}");
        }
        assert_eq!(PageRequest::new(None, None).unwrap().limit(), DEFAULT_LIMIT);
    }

    #[test]
    fn a_cursor_that_no_page_gave_is_refused_with_what_was_expected() {
        for bad in ["x", "-1", "1.5", ""] {
            let request = PageRequest::new(None, Some(bad.into())).unwrap();
            let error = request.after_id().unwrap_err().to_string();
            assert!(error.contains("next_after"), "{error}");
        }
        let request = PageRequest::new(None, Some("no-dot".into())).unwrap();
        assert!(request.after_time_and_id().is_err());
        let request = PageRequest::new(None, Some("17.ab.cd".into())).unwrap();
        assert_eq!(
            request.after_time_and_id().unwrap(),
            Some((17, "ab.cd".into()))
        );
    }

    #[test]
    fn the_last_page_says_no_more_follow_even_when_it_is_exactly_full() {
        let rows: Vec<u64> = (1..=4).collect();
        let request = PageRequest::new(Some(2), None).unwrap();
        let first = read(&rows, &request).unwrap();
        assert_eq!(first.items, [1, 2]);
        assert_eq!(first.next_after.as_deref(), Some("2"));
        let second = read(&rows, &request.following(&first).unwrap()).unwrap();
        assert_eq!((second.items, second.next_after), (vec![3, 4], None));
    }

    proptest! {
        #[test]
        fn a_walk_meets_every_row_once_in_order(
            mut rows in proptest::collection::btree_set(0u64..10_000, 0..1_200),
            limit in 1u32..=MAX_LIMIT,
        ) {
            let rows: Vec<u64> = std::mem::take(&mut rows).into_iter().collect();
            let mut seen = Vec::new();
            let mut request = Some(PageRequest::new(Some(limit), None).unwrap());
            while let Some(r) = request {
                let page = read(&rows, &r).unwrap();
                prop_assert!(page.items.len() <= usize::try_from(limit).unwrap());
                request = r.following(&page);
                seen.extend(page.items);
            }
            prop_assert_eq!(&seen, &rows);
            prop_assert_eq!(every(|r| read(&rows, r)).unwrap(), rows);
        }
    }
}
