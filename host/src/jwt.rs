//! HS256 JWTs signed with the operator's secret: they carry the same claims
//! as API tokens (`tenant`, `scopes`, `exp`) for deployments that issue
//! their own tokens, and optionally `agent`, the id of the one agent or
//! runner of the tenant the JWT acts as (as an agent-bound API token does).

/// The claims of an accepted JWT.
#[derive(Debug, serde::Deserialize, serde::Serialize)]
pub struct Claims {
    /// Who the token was issued to.
    pub sub: String,
    /// The tenant id the token acts in.
    pub tenant: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Expiry (seconds since the epoch); required.
    pub exp: u64,
    /// The id (not the name: a name can be given again to a new agent) of
    /// the agent or runner of `tenant` the JWT is bound to; absent, it may
    /// act as any. A bound JWT cannot carry the `admin` scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
}

/// Why a JWT was refused, in words a caller may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JwtRefused {
    /// Past its `exp`.
    #[error("the JWT has expired")]
    Expired,
    /// Bad signature, shape or claims.
    #[error("invalid JWT")]
    Invalid,
}

/// Verifies HS256 JWTs; cheap to clone (the service state is cloned per
/// request).
#[derive(Clone)]
pub struct JwtVerifier(std::sync::Arc<VerifierInner>);

struct VerifierInner {
    key: jsonwebtoken::DecodingKey,
    validation: jsonwebtoken::Validation,
}

impl JwtVerifier {
    /// A verifier for tokens signed with `secret`.
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub"]);
        JwtVerifier(std::sync::Arc::new(VerifierInner {
            key: jsonwebtoken::DecodingKey::from_secret(secret),
            validation,
        }))
    }

    /// The token's claims, when its signature and expiry hold.
    pub fn verify(&self, token: &str) -> Result<Claims, JwtRefused> {
        jsonwebtoken::decode::<Claims>(token, &self.0.key, &self.0.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => JwtRefused::Expired,
                _ => JwtRefused::Invalid,
            })
    }
}
