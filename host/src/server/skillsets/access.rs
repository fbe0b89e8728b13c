//! Who an integration's runtime URL admits: the bearer of its access
//! token (compared by hash), for the integration of that kind only.
use crate::server::auth::hash_token;
use crate::server::error::ApiError;
use crate::services::AppState;
use crate::store::IntegrationRow;

/// The kinds of integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Seed 000's text-first skill server.
    SkillServer,
    /// An MCP server.
    McpServer,
}

impl Kind {
    /// The stored name, also the path segment.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::SkillServer => "skillserver",
            Kind::McpServer => "mcpserver",
        }
    }

    pub(crate) fn noun(self) -> &'static str {
        match self {
            Kind::SkillServer => "skill server",
            Kind::McpServer => "MCP server",
        }
    }
}

/// The integration of `kind` whose access token the request carries;
/// `None` for no token, a wrong one, another integration's, or a deleted
/// integration (all 401, never told apart). The token's hash is compared
/// in constant time.
pub(crate) async fn authenticate(
    state: &AppState,
    kind: Kind,
    id: &str,
    headers: &axum::http::HeaderMap,
) -> Result<Option<IntegrationRow>, ApiError> {
    use subtle::ConstantTimeEq;
    let Some(token) = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
    else {
        return Ok(None);
    };
    let presented = hash_token(token);
    let Some(integration) = state.store.integration_by_id(kind.as_str(), id).await? else {
        return Ok(None);
    };
    let equal: bool = presented
        .as_bytes()
        .ct_eq(integration.token_hash.as_bytes())
        .into();
    Ok(equal.then_some(integration))
}
