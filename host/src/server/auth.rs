//! Bearer-token authentication and scopes. API tokens are random secrets
//! whose SHA-256 is stored; a lookup by hash is a constant-time comparison in
//! effect (the hash of an unknown secret reveals nothing about stored ones).
//! HS256 JWTs signed with the operator's secret carry the same claims
//! (`tenant`, `scopes`, `exp`) for deployments that issue their own tokens.
//!
//! A token (or a JWT, by its `agent` claim) may be bound to one agent or
//! runner. It then acts only as that principal: it reaches only the routes
//! marked [`AgentRoute`] (those that act as the agent their path names),
//! every other agent is absent to it (`crate::server::lookup`), and its
//! scopes apply within that agent's own resources. Tenant-wide routes —
//! the catalog, skillsets, integrations, secrets, tasks, audit, tokens —
//! refuse it with 403, as do creating and deleting agents and seed 003's
//! installs under the agent's path (they write the shared catalog); an
//! `admin` token cannot be bound at all.
use super::error::ApiError;
use crate::jwt::JwtRefused;
use crate::services::AppState;
use crate::store::{Agent, TokenRecord};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};

/// A scope a token may carry.
pub const SCOPES: &[&str] = &["skills:read", "skills:write", "admin"];

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The caller's tenant; every query is scoped to it.
    pub tenant_id: String,
    /// Token id, for the audit trail.
    pub token_id: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// The operator's bootstrap token: may also manage tenants.
    pub operator: bool,
    /// The agent or runner (id) this token is bound to, if any: it acts
    /// as no other.
    pub agent_id: Option<String>,
}

/// Marks the routes that act as the one agent or runner their path names
/// (put in the request's extensions by those routers). A bound token is
/// refused everywhere else: a new route is closed to it until it is marked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AgentRoute;

impl Principal {
    /// Fails with 403 unless the caller has `scope` (`admin` implies all).
    pub fn require(&self, scope: &'static str) -> Result<(), ApiError> {
        if self.scopes.iter().any(|s| s == scope || s == "admin") {
            Ok(())
        } else {
            Err(ApiError::Forbidden(scope))
        }
    }

    /// Whether this principal may act as `agent`: any agent of its
    /// tenant, unless it is bound to one.
    pub fn may_act_as(&self, agent: &Agent) -> bool {
        agent.tenant_id == self.tenant_id
            && self
                .agent_id
                .as_ref()
                .is_none_or(|bound| *bound == agent.id)
    }

    /// Fails with 403 when this token is bound to an agent: `what` (creating
    /// or deleting agents) manages the tenant's principals, which a token
    /// acting as one of them may not.
    pub fn require_unbound(&self, what: &'static str) -> Result<(), ApiError> {
        match &self.agent_id {
            None => Ok(()),
            Some(agent) => Err(ApiError::BoundToAgent {
                agent: agent.clone(),
                refused: what,
            }),
        }
    }

    /// Fails with 403 unless this is the operator.
    pub fn require_operator(&self) -> Result<(), ApiError> {
        if self.operator {
            Ok(())
        } else {
            Err(ApiError::OperatorOnly)
        }
    }
}

/// Hex SHA-256 of a token secret, as stored.
pub fn hash_token(secret: &str) -> String {
    hash_token_into(secret, &mut [0u8; 64]).to_owned()
}

/// [`hash_token`] written into `out` rather than a new string: every
/// request looks its token up by this hash.
fn hash_token_into<'a>(secret: &str, out: &'a mut [u8; 64]) -> &'a str {
    hex::encode_to_slice(Sha256::digest(secret.as_bytes()), out)
        .expect("64 hex digits for 32 bytes");
    std::str::from_utf8(out).expect("hex digits are ASCII")
}

/// A new token secret: `shk_` and 256 random bits.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    format!("shk_{}", hex::encode(bytes))
}

/// A credential refused: the error, and (for a 401) the challenge that
/// points an OAuth client at the protected-resource document.
#[derive(Debug)]
pub struct Refused {
    /// What was wrong.
    pub error: ApiError,
    challenge: Option<String>,
}

impl axum::response::IntoResponse for Refused {
    fn into_response(self) -> axum::response::Response {
        let mut response = self.error.into_response();
        if let Some(value) = self
            .challenge
            .and_then(|c| axum::http::HeaderValue::from_str(&c).ok())
        {
            response
                .headers_mut()
                .insert(axum::http::header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

/// RFC 6750's challenge for a request to `resource_path` (`""`: the
/// server as a whole), naming RFC 9728's document for it; with
/// `invalid_token` when a token was presented.
pub(crate) fn challenge(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    resource_path: &str,
) -> String {
    let base = crate::server::request::public_base(state, headers);
    let error = if headers.contains_key(axum::http::header::AUTHORIZATION) {
        "error=\"invalid_token\", "
    } else {
        ""
    };
    format!(
        "Bearer {error}resource_metadata=\"{base}/.well-known/oauth-protected-resource{resource_path}\""
    )
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = Refused;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Principal::authenticate(parts, state)
            .await
            .map_err(|error| Refused {
                challenge: (error.status() == axum::http::StatusCode::UNAUTHORIZED)
                    .then(|| challenge(state, &parts.headers, "")),
                error,
            })
    }
}

impl Principal {
    /// The bearer token's principal, admitted to this route.
    async fn authenticate(parts: &mut Parts, state: &AppState) -> Result<Principal, ApiError> {
        let header =
            parts
                .headers
                .get(axum::http::header::AUTHORIZATION)
                .ok_or(ApiError::Unauthorized(
                    "missing `Authorization: Bearer <token>` header",
                ))?;
        let value = header
            .to_str()
            .map_err(|_| ApiError::Unauthorized("malformed Authorization header"))?;
        let secret = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or(ApiError::Unauthorized(
                "the Authorization header must be `Bearer <token>`",
            ))?;
        if secret.split('.').count() == 3 {
            // Routed by `iss`: a configured issuer's token, else an HS256
            // JWT of the operator's.
            if let Some(oauth) = state.oauth.as_ref().filter(|o| o.claims_issuer(secret)) {
                let principal = oauth_principal(state, oauth, secret, parts).await?;
                return admit(principal, parts);
            }
            let verifier = state
                .jwt
                .as_ref()
                .ok_or(ApiError::Unauthorized("this server does not accept JWTs"))?;
            let claims = verifier.verify(secret).map_err(|refused| match refused {
                JwtRefused::Expired => ApiError::Unauthorized("the JWT has expired"),
                JwtRefused::Invalid => ApiError::Unauthorized("invalid JWT"),
            })?;
            if let Some(bad) = claims.scopes.iter().find(|s| !SCOPES.contains(&s.as_str())) {
                tracing::warn!(scope = %bad, "JWT with an unknown scope");
                return Err(ApiError::Unauthorized("invalid JWT"));
            }
            if claims.agent.is_some() && claims.scopes.iter().any(|s| s == "admin") {
                return Err(ApiError::Unauthorized(
                    "invalid JWT: a JWT with the `agent` claim cannot carry the `admin` scope",
                ));
            }
            let principal = Principal {
                tenant_id: claims.tenant,
                token_id: format!("jwt:{}", claims.sub),
                scopes: claims.scopes,
                operator: false,
                agent_id: claims.agent,
            };
            return admit(principal, parts);
        }
        let mut hash = [0u8; 64];
        let record: TokenRecord = state
            .store
            .token_by_hash(hash_token_into(secret, &mut hash))
            .await?
            .ok_or(ApiError::Unauthorized("invalid or revoked token"))?;
        let principal = Principal {
            tenant_id: record.tenant_id,
            token_id: record.id,
            scopes: record.scopes,
            operator: record.operator,
            agent_id: record.agent_id,
        };
        admit(principal, parts)
    }
}

/// The principal of an OAuth access token: its tenant and agent looked up
/// (by id or name), its scopes those this server knows, its audience
/// this server at the URL the client used.
async fn oauth_principal(
    state: &AppState,
    oauth: &crate::oauth::OAuth,
    token: &str,
    parts: &Parts,
) -> Result<Principal, ApiError> {
    let base = crate::server::request::public_base(state, &parts.headers);
    // The server as a whole, or the MCP endpoint the request is for.
    let mut audiences = vec![base.clone(), format!("{base}/")];
    let path = parts.uri.path();
    if path.starts_with("/mcp/") {
        audiences.push(format!("{base}{path}"));
    }
    let access = oauth
        .verify(state.loader.outbound(), token, &audiences)
        .await
        .map_err(|refused| {
            tracing::info!(reason = ?refused, "OAuth access token refused");
            ApiError::Unauthorized(refused.message())
        })?;
    let tenant = match state.store.tenant(&access.tenant).await? {
        Some(tenant) => tenant,
        None => state
            .store
            .tenant_by_name(&access.tenant)
            .await?
            .ok_or(ApiError::Unauthorized(
                "the access token's tenant does not exist on this server",
            ))?,
    };
    let scopes: Vec<String> = access
        .scopes
        .into_iter()
        .filter(|s| SCOPES.contains(&s.as_str()))
        .collect();
    let agent_id = match &access.agent {
        None => None,
        Some(agent) => {
            if scopes.iter().any(|s| s == "admin") {
                return Err(ApiError::Unauthorized(
                    "an access token that names an agent cannot carry the `admin` scope",
                ));
            }
            let found =
                state
                    .store
                    .agent(&tenant.id, agent)
                    .await?
                    .ok_or(ApiError::Unauthorized(
                        "the access token's agent does not exist in its tenant",
                    ))?;
            Some(found.id)
        }
    };
    Ok(Principal {
        tenant_id: tenant.id,
        // What the audit records: the subject, and which issuer vouched.
        token_id: format!("oauth:{}@{}", access.subject, access.issuer),
        scopes,
        operator: false,
        agent_id,
    })
}

/// A bound principal only on the routes that act as one agent.
fn admit(principal: Principal, parts: &Parts) -> Result<Principal, ApiError> {
    match &principal.agent_id {
        Some(agent) if parts.extensions.get::<AgentRoute>().is_none() => {
            Err(ApiError::BoundToAgent {
                agent: agent.clone(),
                refused: "use tenant-wide routes",
            })
        }
        _ => Ok(principal),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_token_hash_is_the_hex_sha256_of_the_secret() {
        assert_eq!(
            super::hash_token(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            super::hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
