//! How a CLI command fails: a message to print and an exit code.

/// A failure of a CLI command: what to print, and the exit code.
#[derive(Debug)]
pub struct CliError {
    pub(super) message: String,
    pub(super) code: u8,
}

impl CliError {
    pub(super) fn new(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            code: 1,
        }
    }
}

impl<E: std::error::Error> From<E> for CliError {
    fn from(error: E) -> Self {
        CliError::new(error.to_string())
    }
}
