//! Session state: bytes by key, kept by the host across the calls that carry
//! the same session id, and invisible to every other session.
//!
//! ```no_run
//! use skillhost_sdk::session;
//! let visits: u64 = session::get_json("visits")?.unwrap_or(0);
//! session::set_json("visits", &(visits + 1))?;
//! # Ok::<(), skillhost_sdk::Error>(())
//! ```
use crate::__private::skillhost::skill::host;
use crate::Error;
use serde::{Serialize, de::DeserializeOwned};

/// Reads `key`; `None` when unset or when the call has no session.
///
/// ```no_run
/// let notes = skillhost_sdk::session::get("notes");
/// ```
pub fn get(key: &str) -> Option<Vec<u8>> {
    host::session_get(key)
}

/// Stores `value` under `key`. Fails when the call has no session or the host
/// refuses the size.
///
/// ```no_run
/// skillhost_sdk::session::set("notes", b"first")?;
/// # Ok::<(), skillhost_sdk::Error>(())
/// ```
pub fn set(key: &str, value: &[u8]) -> Result<(), Error> {
    host::session_set(key, value).map_err(Error::Failed)
}

/// Removes `key`.
///
/// ```no_run
/// skillhost_sdk::session::delete("notes");
/// ```
pub fn delete(key: &str) {
    host::session_delete(key)
}

/// Reads `key` as JSON.
///
/// ```no_run
/// let n: Option<u32> = skillhost_sdk::session::get_json("n")?;
/// # Ok::<(), skillhost_sdk::Error>(())
/// ```
pub fn get_json<T: DeserializeOwned>(key: &str) -> Result<Option<T>, Error> {
    match get(key) {
        None => Ok(None),
        Some(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            Error::failed(format!("session key `{key}` is not the expected JSON: {e}"))
        }),
    }
}

/// Stores `value` under `key` as JSON.
///
/// ```no_run
/// skillhost_sdk::session::set_json("n", &3)?;
/// # Ok::<(), skillhost_sdk::Error>(())
/// ```
pub fn set_json<T: Serialize>(key: &str, value: &T) -> Result<(), Error> {
    set(key, &serde_json::to_vec(value)?)
}
