//! Opaque paging cursors: the hex of the sort key of the last item returned.
//! Clients pass `nextCursor` back unchanged; its content is not an API.
use super::error::ApiError;

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
