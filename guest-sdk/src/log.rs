//! Structured logging into the host's log.
//!
//! Records are tagged by the host with the skill and invocation id. Never log
//! secret values.
//!
//! ```no_run
//! skillhost_sdk::log::info("fetched forecast", &[("city", "Oslo")]);
//! ```
use crate::__private::skillhost::skill::host::{self, LogLevel};

fn emit(level: LogLevel, message: &str, fields: &[(&str, &str)]) {
    let fields: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    host::log(level, message, &fields);
}

/// Logs at debug level.
///
/// ```no_run
/// skillhost_sdk::log::debug("cache miss", &[]);
/// ```
pub fn debug(message: &str, fields: &[(&str, &str)]) {
    emit(LogLevel::Debug, message, fields)
}

/// Logs at info level.
///
/// ```no_run
/// skillhost_sdk::log::info("done", &[("items", "3")]);
/// ```
pub fn info(message: &str, fields: &[(&str, &str)]) {
    emit(LogLevel::Info, message, fields)
}

/// Logs at warn level.
///
/// ```no_run
/// skillhost_sdk::log::warn("retrying", &[("attempt", "2")]);
/// ```
pub fn warn(message: &str, fields: &[(&str, &str)]) {
    emit(LogLevel::Warn, message, fields)
}

/// Logs at error level.
///
/// ```no_run
/// skillhost_sdk::log::error("upstream failed", &[("status", "502")]);
/// ```
pub fn error(message: &str, fields: &[(&str, &str)]) {
    emit(LogLevel::Error, message, fields)
}
