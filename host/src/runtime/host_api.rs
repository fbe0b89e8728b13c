//! The `skillhost:skill/host` interface: logging, secrets, configuration
//! and session state, as the guest sees them.
use super::bindings::skillhost::skill::host::{Host, LogLevel};
use super::session::{MAX_KEY_BYTES, MAX_VALUE_BYTES, SessionError};
use super::state::HostState;

/// Longest log message kept; the rest is cut so a guest cannot flood logs.
const MAX_LOG_MESSAGE: usize = 4096;

impl Host for HostState {
    async fn log(
        &mut self,
        level: LogLevel,
        message: String,
        fields: Vec<(String, String)>,
    ) -> wasmtime::Result<()> {
        if self.log_budget == 0 {
            return Ok(());
        }
        self.log_budget -= 1;
        // Redacted whole, then cut: a cut first could leave part of a
        // secret that no longer matches. The text is already in host memory
        // (the guest paid for it), and redaction is one linear pass.
        let redactor = &self.guest_text;
        let message = redactor.redact(&message);
        let message = truncate(&message, MAX_LOG_MESSAGE);
        let fields: Vec<(String, String)> = fields
            .into_iter()
            .take(32)
            .map(|(k, v)| {
                let (k, v) = (redactor.redact(&k), redactor.redact(&v));
                (truncate(&k, 64).to_owned(), truncate(&v, 512).to_owned())
            })
            .collect();
        let skill = &*self.info.skill;
        let invocation_id = &*self.info.invocation;
        match level {
            LogLevel::Trace => {
                tracing::trace!(target: "skillhost::guest", skill, invocation_id, ?fields, "{message}")
            }
            LogLevel::Debug => {
                tracing::debug!(target: "skillhost::guest", skill, invocation_id, ?fields, "{message}")
            }
            LogLevel::Info => {
                tracing::info!(target: "skillhost::guest", skill, invocation_id, ?fields, "{message}")
            }
            LogLevel::Warn => {
                tracing::warn!(target: "skillhost::guest", skill, invocation_id, ?fields, "{message}")
            }
            LogLevel::Error => {
                tracing::error!(target: "skillhost::guest", skill, invocation_id, ?fields, "{message}")
            }
        }
        Ok(())
    }

    async fn secret(&mut self, name: String) -> wasmtime::Result<Result<String, String>> {
        let name = truncate(&name, 128).to_owned();
        if let Some(value) = self.policy.secrets.get(&name) {
            tracing::debug!(secret = %name, "secret read");
            return Ok(Ok(value.expose().to_owned()));
        }
        let reason = if self.policy.declared_secrets.contains(&name) {
            "declared but not supplied by the operator"
        } else {
            "not declared in the skill's manifest"
        };
        self.denials
            .record("secret", name.clone(), reason.to_owned());
        Ok(Err(format!("secret `{name}` is {reason}")))
    }

    async fn config(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        Ok(self.policy.config.get(&key).cloned())
    }

    async fn session_get(&mut self, key: String) -> wasmtime::Result<Option<Vec<u8>>> {
        let Some(scope) = self.session.clone() else {
            return Ok(None);
        };
        if key.len() > MAX_KEY_BYTES {
            return Ok(None);
        }
        match self.sessions.get(&scope, &key).await {
            Ok(value) => Ok(value),
            Err(error) => Err(self.host_failure(error)),
        }
    }

    async fn session_set(
        &mut self,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), String>> {
        let Some(scope) = self.session.clone() else {
            return Ok(Err(
                "this call has no session; pass a session id to keep state".into(),
            ));
        };
        if key.is_empty() || key.len() > MAX_KEY_BYTES {
            return Ok(Err(format!("session keys must be 1-{MAX_KEY_BYTES} bytes")));
        }
        if value.len() > MAX_VALUE_BYTES {
            return Ok(Err(format!(
                "session values are limited to {MAX_VALUE_BYTES} bytes"
            )));
        }
        match self.sessions.set(&scope, &key, value).await {
            Ok(()) => Ok(Ok(())),
            Err(SessionError::TooManyKeys) => Ok(Err(SessionError::TooManyKeys.to_string())),
            Err(error) => Err(self.host_failure(error)),
        }
    }

    async fn session_delete(&mut self, key: String) -> wasmtime::Result<()> {
        let Some(scope) = self.session.clone() else {
            return Ok(());
        };
        match self.sessions.delete(&scope, &key).await {
            Ok(()) => Ok(()),
            Err(error) => Err(self.host_failure(error)),
        }
    }
}

impl HostState {
    /// Marks the call as failed by the host (reported as `internal`, not as
    /// the guest's fault) and returns the trap that ends it.
    fn host_failure(&mut self, error: SessionError) -> wasmtime::Error {
        tracing::error!(%error, skill = &*self.info.skill, invocation_id = &*self.info.invocation, "session storage failed");
        self.host_failed = true;
        wasmtime::format_err!("session storage failed")
    }
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
