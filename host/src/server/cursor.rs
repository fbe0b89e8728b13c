//! Opaque paging cursors: the hex of the sort key of the last item returned.
//! Clients pass `nextCursor` back unchanged; its content is not an API.
use super::error::ApiError;

/// A page size: `limit` (100 when absent), 1 to 1000.
pub(super) fn page_limit(limit: Option<i64>) -> Result<i64, ApiError> {
    let limit = limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_limit",
            "limit must be between 1 and 1000",
        ));
    }
    Ok(limit)
}

/// A cursor for the sort key `parts` (none may contain a newline).
pub(super) fn encode(parts: &[&str]) -> String {
    hex::encode(parts.join("\n"))
}

/// The `N` parts of a cursor made by [`encode`].
pub(super) fn decode<const N: usize>(cursor: &str) -> Result<[String; N], ApiError> {
    let bad = || {
        ApiError::bad_request(
            "invalid_cursor",
            "`cursor` must be a nextCursor value from an earlier page",
        )
    };
    let text = String::from_utf8(hex::decode(cursor).map_err(|_| bad())?).map_err(|_| bad())?;
    let parts: Vec<String> = text.split('\n').map(str::to_owned).collect();
    parts.try_into().map_err(|_| bad())
}

/// For the fuzz targets only (`fuzz/`): [`decode`] as the skill list (3
/// parts) and the audit log (2 parts) call it.
#[doc(hidden)]
pub fn fuzz_decode(cursor: &str) {
    let _ = decode::<2>(cursor);
    let _ = decode::<3>(cursor);
}

/// Seed 002's list parameters: `cursor` (the id of the last item seen),
/// `take` (1-100, default 50) and `order` (`desc`, the default, or `asc`).
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub(super) struct ListParams {
    /// The id of the last item of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Page size, 1-100; 50 when absent.
    // Text, parsed here: numbers do not survive `#[serde(flatten)]` in
    // query strings.
    #[serde(default)]
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    pub take: Option<String>,
    /// `desc` (newest first, the default) or `asc`.
    #[serde(default)]
    #[param(value_type = Option<String>, pattern = "^(asc|desc)$")]
    pub order: Option<String>,
}

impl ListParams {
    /// The page these parameters ask for over a tenant's rows of `table`.
    pub(super) async fn page(
        &self,
        state: &crate::services::AppState,
        table: &'static str,
        tenant_id: &str,
    ) -> Result<crate::store::Page, ApiError> {
        use crate::store::{Order, Page};
        let take = match self.take.as_deref() {
            None => 50,
            Some(text) => text.parse::<i64>().unwrap_or(0),
        };
        if !(1..=100).contains(&take) {
            return Err(ApiError::bad_request(
                "invalid_take",
                "`take` must be between 1 and 100",
            ));
        }
        let order = match self.order.as_deref() {
            None | Some("desc") => Order::Desc,
            Some("asc") => Order::Asc,
            Some(other) => {
                return Err(ApiError::bad_request(
                    "invalid_order",
                    format!("`order` must be `asc` or `desc`, not `{other}`"),
                ));
            }
        };
        let after = match &self.cursor {
            None => None,
            Some(id) => Some(
                state
                    .store
                    .sort_key(table, tenant_id, id)
                    .await?
                    .ok_or_else(|| {
                        ApiError::bad_request(
                            "invalid_cursor",
                            "`cursor` must be the id of an item of an earlier page",
                        )
                    })?,
            ),
        };
        Ok(Page { after, take, order })
    }
}
