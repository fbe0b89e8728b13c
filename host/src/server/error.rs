//! The one error type of the HTTP surface, mapped once to a status code and
//! the JSON body `{"error": "...", "code": "..."}`. Internal detail is
//! logged, never returned.
use crate::invocation::{Answer, Category, Failure};
use crate::services::Internal;
use crate::store::StoreError;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// An API error.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed or invalid.
    #[error("{message}")]
    BadRequest {
        /// Machine-readable code.
        code: &'static str,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// 401: no credential, or one that is not valid.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// 403: the credential lacks a scope.
    #[error("this token lacks the `{0}` scope")]
    Forbidden(&'static str),
    /// 403: only the operator's token may do this.
    #[error("only the operator's token may do this")]
    OperatorOnly,
    /// 403: a token bound to one agent asked for something beyond it.
    #[error(
        "this token is bound to agent `{agent}` and acts only as it (routes under \
         /api/agents/{agent}, /api/runners/{agent}, /api/skills/agent/{agent} and \
         /mcp/agents/{agent}); it cannot {refused}: use a token that is not bound to an agent"
    )]
    BoundToAgent {
        /// The agent's id.
        agent: String,
        /// What it may not do.
        refused: &'static str,
    },
    /// 404: absent, or another tenant's (never told apart).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 404 with its own code: a named thing outside the tenant is absent
    /// (seed 004's `REGISTRY_SERVER_NOT_FOUND`).
    #[error("{message}")]
    NotFoundWith {
        /// Machine-readable code.
        code: &'static str,
        /// What is absent, and where it was looked for.
        message: String,
    },
    /// 409: conflicts with existing state.
    #[error("{message}")]
    Conflict {
        /// Machine-readable code.
        code: &'static str,
        /// What conflicts.
        message: String,
    },
    /// 422: well-formed but unusable (an invalid component, a grant that
    /// widens the declaration, input that fails the schema).
    #[error("{message}")]
    Unprocessable {
        /// Machine-readable code.
        code: &'static str,
        /// What is wrong.
        message: String,
    },
    /// 413: the body exceeds the limit.
    #[error("the request body exceeds the limit of {0} bytes")]
    TooLarge(usize),
    /// 502: a source the server fetches from failed.
    #[error("{message}")]
    BadGateway {
        /// Machine-readable code.
        code: &'static str,
        /// What failed.
        message: String,
    },
    /// A call's outcome that is not an answer: its status from the
    /// invocation path's table for the surface.
    #[error("{message}")]
    Call {
        /// The status.
        status: StatusCode,
        /// The category's code.
        code: &'static str,
        /// What happened.
        message: String,
    },
    /// 500: a failure of ours; the detail went to the log.
    #[error("internal error")]
    Internal,
}

impl ApiError {
    /// A 400 with a code.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code,
            message: message.into(),
        }
    }

    /// A call's failure as `answer` answers it.
    pub fn call(answer: Answer, failure: Failure) -> Self {
        match failure.category {
            Category::Internal => ApiError::Internal,
            category => ApiError::Call {
                status: answer.status(category),
                code: category.code(),
                message: failure.message,
            },
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status_and_code().0
    }

    /// For a missing scope, RFC 6750's challenge naming it, so that an
    /// OAuth client can ask for exactly that scope.
    pub fn scope_challenge(&self) -> Option<HeaderValue> {
        match self {
            ApiError::Forbidden(scope) => HeaderValue::from_str(&format!(
                "Bearer error=\"insufficient_scope\", scope=\"{scope}\""
            ))
            .ok(),
            _ => None,
        }
    }

    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        self.status_and_code().1
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) | ApiError::OperatorOnly => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::BoundToAgent { .. } => (StatusCode::FORBIDDEN, "token_bound_to_agent"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::NotFoundWith { code, .. } => (StatusCode::NOT_FOUND, code),
            ApiError::Conflict { code, .. } => (StatusCode::CONFLICT, code),
            ApiError::Unprocessable { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, code),
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::BadGateway { code, .. } => (StatusCode::BAD_GATEWAY, code),
            ApiError::Call { status, code, .. } => (*status, code),
            ApiError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

/// `{"success": true}`: what seed 001 answers for a change with nothing
/// more to say.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Success {
    /// Always `true`.
    pub success: bool,
}

impl Success {
    /// The one value.
    pub const TRUE: Success = Success { success: true };
}

/// The body of every error answer.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong and how to fix it, for people.
    pub error: String,
    /// The same, for programs: `not_found`, `forbidden`, `invalid_body`, …
    pub code: &'static str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let mut error = self.to_string();
        // Seed 001's bodies capitalise: `{ "error": "Skill not found" }`.
        if let Some(first) = error.get(..1) {
            error = first.to_uppercase() + &error[1..];
        }
        let challenge = self.scope_challenge();
        let mut response = (status, Json(ErrorBody { error, code })).into_response();
        if let Some(challenge) = challenge {
            response
                .headers_mut()
                .insert(axum::http::header::WWW_AUTHENTICATE, challenge);
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict => ApiError::Conflict {
                code: "conflict",
                message: "already exists".into(),
            },
            StoreError::Database(e) => {
                tracing::error!(error = %e, "database failure");
                ApiError::Internal
            }
            StoreError::Audit(e) => {
                tracing::error!(error = %e, "audit write failure");
                ApiError::Internal
            }
        }
    }
}

impl From<Internal> for ApiError {
    fn from(_: Internal) -> Self {
        ApiError::Internal
    }
}

/// JSON bodies that fail to parse answer in the same error shape.
impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::BytesRejection(_)
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                ApiError::TooLarge(crate::server::request::MAX_BODY_BYTES)
            }
            JsonRejection::MissingJsonContentType(_) => ApiError::bad_request(
                "invalid_body",
                "send the body as JSON with `Content-Type: application/json`",
            ),
            other => ApiError::bad_request("invalid_body", other.body_text()),
        }
    }
}

/// Query strings that fail to parse answer in the same error shape.
impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::QueryRejection) -> Self {
        ApiError::bad_request("invalid_query", rejection.body_text())
    }
}

/// A query-string extractor whose rejection is an [`ApiError`].
#[derive(Debug, Clone, Copy, Default, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct QueryParams<T>(pub T);

/// A JSON request body whose rejection is an [`ApiError`]. Every body of
/// the API is an object: serde's derived `Deserialize` would also read a
/// struct from an array of its fields in order (`[null, null]` passing for
/// an update whose fields are optional), so anything else is refused here,
/// once. So is a NUL character in any string: PostgreSQL cannot store one,
/// and SQLite would store what PostgreSQL refuses.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(request.headers()) {
            return Err(ApiError::bad_request(
                "invalid_body",
                "Expected request with `Content-Type: application/json`",
            ));
        }
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::TooLarge(crate::server::request::MAX_BODY_BYTES)
                } else {
                    ApiError::bad_request("invalid_body", rejection.body_text())
                }
            })?;
        // Both checks look at the bytes, so a good body (every invoke) is
        // parsed once, into `T`; only a refused one is read as a tree, to
        // say what it is or where the NUL is.
        let opens_object = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        if !opens_object || has_escaped_nul(&bytes) {
            if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes) {
                if !value.is_object() {
                    return Err(ApiError::bad_request(
                        "invalid_body",
                        format!(
                            "the body must be a JSON object (`{{...}}`), not {}",
                            json_kind(&value)
                        ),
                    ));
                }
                if let Some(at) = nul_at(&value, String::new()) {
                    return Err(ApiError::bad_request(
                        "invalid_body",
                        format!(
                            "`{at}` contains a NUL character (\\u0000), which cannot be stored: remove it"
                        ),
                    ));
                }
            }
        }
        Json::<T>::from_bytes(&bytes)
            .map(|Json(body)| JsonBody(body))
            .map_err(ApiError::from)
    }
}

/// Whether the content type is JSON (`application/json`, `…+json`).
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Whether the JSON text holds a `\u0000` escape (JSON can write NUL no
/// other way); a preceding even run of backslashes is an escaped backslash.
fn has_escaped_nul(bytes: &[u8]) -> bool {
    bytes.windows(6).enumerate().any(|(i, w)| {
        w == b"\\u0000" && bytes[..i].iter().rev().take_while(|b| **b == b'\\').count() % 2 == 0
    })
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Where (a JSON path such as `meta.note` or `args[2]`) the first string or
/// key holding a NUL character is.
fn nul_at(value: &serde_json::Value, at: String) -> Option<String> {
    match value {
        serde_json::Value::String(s) if s.contains('\0') => Some(at),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_at(item, format!("{at}[{i}]"))),
        serde_json::Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            let path = if at.is_empty() {
                key.clone()
            } else {
                format!("{at}.{key}")
            };
            if key.contains('\0') {
                Some(path)
            } else {
                nul_at(item, path)
            }
        }),
        _ => None,
    }
}
