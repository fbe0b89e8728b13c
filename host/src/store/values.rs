//! How values are stored: new ids, times as sortable text, JSON in text
//! columns.

/// A JSON text column as `T`.
pub(super) fn decode<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, sqlx::Error> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// The current time as stored: RFC 3339, UTC, with a fixed six-digit
/// fraction so that text order is time order (audit paging relies on it).
pub fn now() -> String {
    stamp(time::OffsetDateTime::now_utc())
}

/// A time as stored (see [`now`]).
pub fn stamp(at: time::OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    );
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .expect("the timestamp formats")
}

/// Parses an RFC 3339 time into the stored format, or `None`.
pub fn normalize_time(text: &str) -> Option<String> {
    let t =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    Some(stamp(t))
}

/// A new random id.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
