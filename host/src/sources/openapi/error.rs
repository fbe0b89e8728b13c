//! Why a document cannot be used.

/// Operations one document may define. Each is a tool in an agent's list;
/// past a few hundred a model no longer picks well, and the host's
/// manifests allow at most 256 abilities per skill.
pub(super) const MAX_OPERATIONS: usize = 256;

/// Why a document cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpecError {
    /// Neither JSON nor YAML.
    #[error(
        "the document is neither JSON ({json}) nor YAML ({yaml}): give an OpenAPI 3.0 or 3.1 document in either"
    )]
    Unreadable {
        /// serde_json's reason.
        json: String,
        /// yaml_serde's reason.
        yaml: String,
    },
    /// YAML that passes a parsing limit (alias expansion, depth).
    #[error("the document is refused as YAML: {0}")]
    Limit(crate::untrusted::YamlError),
    /// Swagger 2.0.
    #[error(
        "Swagger 2.0 documents are not supported: convert it to OpenAPI 3 (for example with swagger2openapi or the Swagger Editor) and give that"
    )]
    Swagger2,
    /// No `openapi` field.
    #[error(
        "the document has no `openapi` version field, so it is not an OpenAPI 3 document (is the URL an HTML page rather than the document itself?)"
    )]
    NotOpenApi,
    /// A version other than 3.0 or 3.1.
    #[error("OpenAPI version `{0}` is not supported: give a 3.0.x or 3.1.x document")]
    UnsupportedVersion(String),
    /// What oas3 or the host refuses, with where.
    #[error("the document is not valid OpenAPI: {reason}")]
    Invalid {
        /// What is wrong, and where.
        reason: String,
    },
    /// Nothing to call.
    #[error("the document defines no operations under `paths`: nothing to call")]
    NoOperations,
    /// More operations than a tool list can usefully hold.
    #[error(
        "the document defines {count} operations, more than the {MAX_OPERATIONS} a skill may offer: split it, or remove the operations agents do not need"
    )]
    TooManyOperations {
        /// How many it defines.
        count: usize,
    },
    /// No usable base URL.
    #[error("servers[0]: {reason}")]
    Server {
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// One operation's input schema is too big or too deep.
    #[error(
        "operation `{operation}`: {reason}; simplify its parameter or body schemas, or remove the operation"
    )]
    Schema {
        /// The tool name.
        operation: String,
        /// Which limit.
        reason: String,
    },
}
