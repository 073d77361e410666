//! Keyset pagination over time-ordered (UUID v7) ids.

use uuid::Uuid;

/// Which page of a list to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Return records whose id comes after this one.
    pub after: Option<Uuid>,
    /// At most this many records.
    pub limit: u64,
}

/// One page of a list, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The records.
    pub items: Vec<T>,
    /// The id to pass as `after` for the next page; `None` on the last page.
    pub next: Option<Uuid>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows: the extra row only proves there is more.
    pub(crate) fn from_rows<R>(
        mut rows: Vec<R>,
        request: PageRequest,
        id: impl Fn(&R) -> Uuid,
        convert: impl FnMut(R) -> Result<T, crate::StoreError>,
    ) -> Result<Self, crate::StoreError> {
        let limit = usize::try_from(request.limit).unwrap_or(usize::MAX);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next = if more { rows.last().map(id) } else { None };
        let items = rows.into_iter().map(convert).collect::<Result<_, _>>()?;
        Ok(Page { items, next })
    }
}
