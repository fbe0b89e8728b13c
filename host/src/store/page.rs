//! Seed 002's paging: `cursor` is the id of the last item of the previous
//! page, `order` is `desc` (newest first, the default) or `asc`, `take` the
//! page size.

/// Sort direction by creation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Newest first.
    #[default]
    Desc,
    /// Oldest first.
    Asc,
}

/// One page of a list.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// The sort key `(created_at, id)` of the last item already seen,
    /// resolved from the cursor id by the caller.
    pub after: Option<(String, String)>,
    /// Items at most.
    pub take: i64,
    /// Direction.
    pub order: Order,
}

impl Page {
    /// The condition and ordering for a table whose rows have `created_at`
    /// and `id`, with the cursor bound at `$first` and `$first + 1` and the
    /// page size at `$first + 2`. Always binds three values: see [`Page::binds`].
    pub(super) fn clause(&self, first: usize) -> String {
        let (cmp, dir) = match self.order {
            Order::Desc => ("<", "DESC"),
            Order::Asc => (">", "ASC"),
        };
        let (t, i, n) = (first, first + 1, first + 2);
        format!(
            "AND (${t} IS NULL OR created_at {cmp} ${t} OR (created_at = ${t} AND id {cmp} ${i})) \
             ORDER BY created_at {dir}, id {dir} LIMIT ${n}"
        )
    }

    /// The three values [`Page::clause`] binds, in order.
    pub(super) fn binds(&self) -> (Option<String>, Option<String>, i64) {
        match &self.after {
            Some((t, id)) => (Some(t.clone()), Some(id.clone()), self.take),
            None => (None, None, self.take),
        }
    }
}
