//! The error an ability returns.
use std::fmt;

/// Why an ability produced no output. The host reports each variant to the
/// agent as a distinct category, so pick the one that tells the caller what to
/// do next.
///
/// ```
/// use skillhost_sdk::Error;
/// let e = Error::invalid_input("`city` must not be empty");
/// assert_eq!(e.to_string(), "invalid input: `city` must not be empty");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The input was unusable; fixing the input fixes the call.
    InvalidInput(String),
    /// The ability ran and failed.
    Failed(String),
    /// The sandbox refused something the ability needed.
    Denied(String),
}

impl Error {
    /// An [`Error::InvalidInput`] with `message`.
    ///
    /// ```
    /// let e = skillhost_sdk::Error::invalid_input("no text");
    /// assert!(matches!(e, skillhost_sdk::Error::InvalidInput(_)));
    /// ```
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Error::InvalidInput(message.into())
    }

    /// An [`Error::Failed`] with `message`.
    ///
    /// ```
    /// let e = skillhost_sdk::Error::failed("upstream said 500");
    /// assert!(matches!(e, skillhost_sdk::Error::Failed(_)));
    /// ```
    pub fn failed(message: impl Into<String>) -> Self {
        Error::Failed(message.into())
    }

    /// An [`Error::Denied`] with `message`.
    ///
    /// ```
    /// let e = skillhost_sdk::Error::denied("network to example.com");
    /// assert!(matches!(e, skillhost_sdk::Error::Denied(_)));
    /// ```
    pub fn denied(message: impl Into<String>) -> Self {
        Error::Denied(message.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidInput(m) => write!(f, "invalid input: {m}"),
            Error::Failed(m) => write!(f, "failed: {m}"),
            Error::Denied(m) => write!(f, "denied: {m}"),
        }
    }
}

impl std::error::Error for Error {}

/// File errors: a refusal by the sandbox (a read-only mount, a path outside
/// every mount) becomes [`Error::Denied`] tagged `filesystem: ` (so the host
/// reports it as a filesystem denial), anything else [`Error::Failed`].
impl From<std::io::Error> for Error {
    fn from(error: std::io::Error) -> Self {
        use std::io::ErrorKind::*;
        match error.kind() {
            PermissionDenied | ReadOnlyFilesystem => Error::Denied(format!("filesystem: {error}")),
            _ => Error::Failed(error.to_string()),
        }
    }
}

/// JSON errors while building output are failures of the ability.
impl From<serde_json::Error> for Error {
    fn from(error: serde_json::Error) -> Self {
        Error::Failed(format!("JSON: {error}"))
    }
}
