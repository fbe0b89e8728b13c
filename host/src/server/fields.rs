//! Checks of free-form fields shared by the API's bodies: lengths, the
//! `meta` object, and `null` meaning "clear" in partial updates.
use crate::server::error::ApiError;
use serde::Deserialize;
use serde_json::Value;

/// For `Option<Option<T>>` fields with `#[serde(default)]`: absent is
/// `None` (keep), `null` is `Some(None)` (clear).
pub(crate) fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// `meta` must be an object when given.
pub(crate) fn check_meta(meta: Option<&Value>) -> Result<(), ApiError> {
    match meta {
        None | Some(Value::Object(_)) => Ok(()),
        Some(_) => Err(ApiError::bad_request(
            "invalid_meta",
            "`meta` must be an object",
        )),
    }
}

/// A required text field: 1 to `max` characters.
pub(crate) fn check_text(field: &'static str, value: &str, max: usize) -> Result<(), ApiError> {
    if value.trim().is_empty() || value.chars().count() > max {
        return Err(ApiError::bad_request(
            "invalid_body",
            format!("`{field}` must be 1-{max} characters"),
        ));
    }
    Ok(())
}
