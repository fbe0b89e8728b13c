//! skillhost as an OAuth 2.1 resource server: JWT access tokens from the
//! authorization servers the operator names (`--oauth-issuer`), checked
//! against each issuer's published keys.
//!
//! A token is routed by its `iss`. Its signature must verify with a key
//! of that issuer's JWKS, in the algorithm the key is for (RS256, ES256
//! or EdDSA: the key decides, never the token's header, so `none` and an
//! HMAC made with a public key are refused). `iss` must be the issuer,
//! `exp` and `nbf` hold within [`LEEWAY`], and the audience must be a
//! resource this server is (RFC 8707): the URL the client used, under
//! the public base URL the operator set. Scopes come from `scope`; the
//! tenant (id or name) and an optional agent come from claims the
//! operator names.
//!
//! The issuer's metadata and keys are fetched through the outbound module
//! with its limits; the issuer is the operator's choice, so a private
//! address is allowed for it. Keys are cached and fetched again when a
//! token names an unknown `kid`, at most once per
//! [`OAuthConfig::refetch_after`].
use crate::outbound::Outbound;
use crate::sources::fetch::{FetchPolicy, fetch_as};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Clock skew allowed on `exp` and `nbf`.
pub const LEEWAY: Duration = Duration::from_secs(30);

/// How long after a fetch of an issuer's keys an unknown `kid` may fetch
/// them again, by default: a flood of made-up key ids costs one fetch per
/// period.
pub const REFETCH_AFTER: Duration = Duration::from_secs(30);

/// Largest metadata or key set read.
const MAX_DOCUMENT_BYTES: usize = 256 << 10;

/// The operator's settings.
#[derive(Debug, Clone)]
pub struct OAuthConfig {
    /// Issuers whose access tokens are accepted, as their `iss` writes them.
    pub issuers: Vec<url::Url>,
    /// The claim naming the tenant (its id or name).
    pub tenant_claim: String,
    /// The claim naming the one agent (id or name) the token may act as;
    /// absent from a token, it may act as any agent of the tenant.
    pub agent_claim: String,
    /// How soon after fetching an issuer's keys a token naming an unknown
    /// `kid` may fetch them again.
    pub refetch_after: Duration,
}

impl Default for OAuthConfig {
    fn default() -> Self {
        OAuthConfig {
            issuers: Vec::new(),
            tenant_claim: "tenant".into(),
            agent_claim: "agent".into(),
            refetch_after: REFETCH_AFTER,
        }
    }
}

/// What an accepted access token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    /// The issuer.
    pub issuer: String,
    /// Who the token was issued to.
    pub subject: String,
    /// The tenant, by id or name.
    pub tenant: String,
    /// The agent, by id or name, when the token names one.
    pub agent: Option<String>,
    /// Its scopes, as written.
    pub scopes: Vec<String>,
}

/// Why a token was refused. [`OAuthRefused::message`] is said to the
/// caller (no key material, no token), so that whoever configures a
/// client can fix it; the claim's name goes to the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub enum OAuthRefused {
    /// Not a JWT, or its header does not read.
    Malformed,
    /// `alg` is not the algorithm of the key it names (or not one this
    /// server accepts).
    Algorithm,
    /// The issuer has no key with this `kid`, even after fetching its keys.
    UnknownKey,
    /// The signature does not verify.
    Signature,
    /// Past `exp`, or before `nbf`.
    Expired,
    /// The audience is not this server.
    Audience,
    /// A required claim is missing or has the wrong form.
    Claim(String),
    /// The issuer's metadata or keys could not be read.
    IssuerUnavailable,
}

impl OAuthRefused {
    /// What the caller is told.
    pub fn message(&self) -> &'static str {
        match self {
            OAuthRefused::Malformed => "the access token is not a JWT this server can read",
            OAuthRefused::Algorithm => {
                "the access token's `alg` is not the algorithm of the issuer's key it names"
            }
            OAuthRefused::UnknownKey => "the access token names a key its issuer does not publish",
            OAuthRefused::Signature => "the access token's signature does not verify",
            OAuthRefused::Expired => "the access token has expired or is not valid yet",
            OAuthRefused::Audience => {
                "the access token is for another resource: its audience must be this server's URL (or the MCP endpoint's)"
            }
            OAuthRefused::Claim(_) => {
                "the access token lacks a claim this server needs (sub, exp, aud, and the tenant claim the operator named)"
            }
            OAuthRefused::IssuerUnavailable => {
                "the access token's issuer could not be reached to check it; try again"
            }
        }
    }
}

/// Verifies access tokens of the configured issuers.
pub struct OAuth {
    config: OAuthConfig,
    issuers: Vec<Issuer>,
}

struct Issuer {
    /// As configured; `iss` must equal it (a trailing slash aside).
    name: String,
    url: url::Url,
    keys: Mutex<Keys>,
    refetch_after: Duration,
}

#[derive(Default)]
struct Keys {
    by_kid: HashMap<String, (DecodingKey, Algorithm)>,
    /// Keys without a `kid`: used only when the issuer has exactly one.
    unnamed: Vec<(DecodingKey, Algorithm)>,
    fetched: Option<Instant>,
}

fn trimmed(issuer: &str) -> &str {
    issuer.strip_suffix('/').unwrap_or(issuer)
}

impl OAuth {
    /// A verifier when `config` names issuers.
    pub fn configured(config: &OAuthConfig) -> Option<OAuth> {
        (!config.issuers.is_empty()).then(|| OAuth::new(config.clone()))
    }

    /// A verifier for `config`'s issuers; keys are fetched on first use.
    pub fn new(config: OAuthConfig) -> OAuth {
        let issuers = config
            .issuers
            .iter()
            .map(|url| Issuer {
                name: trimmed(url.as_str()).to_owned(),
                url: url.clone(),
                keys: Mutex::default(),
                refetch_after: config.refetch_after,
            })
            .collect();
        OAuth { config, issuers }
    }

    /// The issuers, as their `iss` reads.
    pub fn issuers(&self) -> Vec<String> {
        self.issuers.iter().map(|i| i.name.clone()).collect()
    }

    /// Whether `token` is a JWT from one of the configured issuers (read,
    /// not verified: it only routes the token).
    pub fn claims_issuer(&self, token: &str) -> bool {
        self.issuer_of(token).is_some()
    }

    fn issuer_of(&self, token: &str) -> Option<&Issuer> {
        let iss = unverified_issuer(token)?;
        self.issuers.iter().find(|i| i.name == trimmed(&iss))
    }

    /// Verifies `token` for one of `audiences` (the resources this request
    /// is for).
    pub async fn verify(
        &self,
        outbound: &Outbound,
        token: &str,
        audiences: &[String],
    ) -> Result<AccessToken, OAuthRefused> {
        let issuer = self.issuer_of(token).ok_or(OAuthRefused::Malformed)?;
        let header = jsonwebtoken::decode_header(token).map_err(|_| OAuthRefused::Malformed)?;
        let (key, algorithm) = issuer.key(outbound, header.kid.as_deref()).await?;
        if header.alg != algorithm {
            return Err(OAuthRefused::Algorithm);
        }
        let mut validation = Validation::new(algorithm);
        validation.leeway = LEEWAY.as_secs();
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Both spellings of the issuer: `iss` is compared as a string.
        validation.set_issuer(&[issuer.name.clone(), format!("{}/", issuer.name)]);
        validation.set_audience(audiences);
        let claims =
            jsonwebtoken::decode::<serde_json::Map<String, Value>>(token, &key, &validation)
                .map_err(|e| {
                    use jsonwebtoken::errors::ErrorKind;
                    match e.kind() {
                        ErrorKind::ExpiredSignature | ErrorKind::ImmatureSignature => {
                            OAuthRefused::Expired
                        }
                        ErrorKind::InvalidAudience => OAuthRefused::Audience,
                        ErrorKind::InvalidAlgorithm => OAuthRefused::Algorithm,
                        ErrorKind::MissingRequiredClaim(claim) => {
                            OAuthRefused::Claim(claim.clone())
                        }
                        ErrorKind::InvalidIssuer => OAuthRefused::Claim("iss".into()),
                        _ => OAuthRefused::Signature,
                    }
                })?
                .claims;
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
        let subject = text("sub").ok_or_else(|| OAuthRefused::Claim("sub".into()))?;
        let tenant = text(&self.config.tenant_claim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| OAuthRefused::Claim(self.config.tenant_claim.clone()))?;
        let agent = match claims.get(&self.config.agent_claim) {
            None | Some(Value::Null) => None,
            Some(Value::String(agent)) if !agent.is_empty() => Some(agent.clone()),
            Some(_) => return Err(OAuthRefused::Claim(self.config.agent_claim.clone())),
        };
        let scopes = text("scope")
            .unwrap_or_default()
            .split_ascii_whitespace()
            .map(str::to_owned)
            .collect();
        Ok(AccessToken {
            issuer: issuer.name.clone(),
            subject,
            tenant,
            agent,
            scopes,
        })
    }
}

/// `iss` of a JWT's payload, unverified.
fn unverified_issuer(token: &str) -> Option<String> {
    use base64::Engine;
    let mut parts = token.split('.');
    let (_, payload, _) = (parts.next()?, parts.next()?, parts.next()?);
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("iss")?.as_str().map(str::to_owned)
}

impl Issuer {
    /// The key `kid` names (the issuer's one key when there is no `kid`),
    /// fetching the issuer's keys when unknown and not fetched lately.
    async fn key(
        &self,
        outbound: &Outbound,
        kid: Option<&str>,
    ) -> Result<(DecodingKey, Algorithm), OAuthRefused> {
        let mut keys = self.keys.lock().await;
        if let Some(found) = keys.find(kid) {
            return Ok(found);
        }
        if keys
            .fetched
            .is_some_and(|at| at.elapsed() < self.refetch_after)
        {
            return Err(OAuthRefused::UnknownKey);
        }
        let fetched = self.fetch_keys(outbound).await;
        // A failed fetch counts too: an unreachable issuer is asked again
        // only after the same pause.
        keys.fetched = Some(Instant::now());
        match fetched {
            Ok(set) => {
                let (by_kid, unnamed) = decoding_keys(&set);
                keys.by_kid = by_kid;
                keys.unnamed = unnamed;
            }
            Err(error) => {
                tracing::warn!(issuer = %self.name, %error, "fetching an OAuth issuer's keys failed");
                if keys.by_kid.is_empty() && keys.unnamed.is_empty() {
                    return Err(OAuthRefused::IssuerUnavailable);
                }
            }
        }
        keys.find(kid).ok_or(OAuthRefused::UnknownKey)
    }

    /// The issuer's JWKS, found through its metadata (RFC 8414, then
    /// OpenID Connect discovery).
    async fn fetch_keys(&self, outbound: &Outbound) -> Result<JwkSet, String> {
        let policy = FetchPolicy {
            allow_private: true,
            max_bytes: MAX_DOCUMENT_BYTES,
        };
        let mut last = String::new();
        for metadata in metadata_urls(&self.url) {
            let document = match fetch_as(outbound, &metadata, "application/json", policy).await {
                Ok(fetched) => fetched,
                Err(error) => {
                    last = error.to_string();
                    continue;
                }
            };
            let document: Value = serde_json::from_slice(&document.bytes)
                .map_err(|e| format!("{metadata} is not JSON: {e}"))?;
            let issuer = document.get("issuer").and_then(Value::as_str).unwrap_or("");
            if trimmed(issuer) != self.name {
                return Err(format!(
                    "{metadata} names the issuer `{issuer}`, not `{}`",
                    self.name
                ));
            }
            let jwks = document
                .get("jwks_uri")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{metadata} has no `jwks_uri`"))?;
            let jwks = url::Url::parse(jwks).map_err(|e| format!("`jwks_uri` {jwks}: {e}"))?;
            let set = fetch_as(outbound, &jwks, "application/json", policy)
                .await
                .map_err(|e| e.to_string())?;
            return serde_json::from_slice(&set.bytes)
                .map_err(|e| format!("{jwks} is not a JWK set: {e}"));
        }
        Err(last)
    }
}

impl Keys {
    fn find(&self, kid: Option<&str>) -> Option<(DecodingKey, Algorithm)> {
        match kid {
            Some(kid) => self.by_kid.get(kid).cloned(),
            None if self.unnamed.len() + self.by_kid.len() == 1 => self
                .unnamed
                .first()
                .or_else(|| self.by_kid.values().next())
                .cloned(),
            None => None,
        }
    }
}

/// RFC 8414's metadata address for an issuer (the well-known segment
/// before any path), then OpenID Connect's (after it).
fn metadata_urls(issuer: &url::Url) -> Vec<url::Url> {
    let path = issuer.path().trim_end_matches('/');
    let mut urls = Vec::new();
    for well_known in [
        format!("/.well-known/oauth-authorization-server{path}"),
        format!("{path}/.well-known/openid-configuration"),
    ] {
        let mut url = issuer.clone();
        url.set_path(&well_known);
        url.set_query(None);
        urls.push(url);
    }
    urls
}

/// The signing keys of a set, each with the one algorithm it verifies.
#[allow(clippy::type_complexity)]
fn decoding_keys(
    set: &JwkSet,
) -> (
    HashMap<String, (DecodingKey, Algorithm)>,
    Vec<(DecodingKey, Algorithm)>,
) {
    let mut by_kid = HashMap::new();
    let mut unnamed = Vec::new();
    for jwk in &set.keys {
        if jwk
            .common
            .public_key_use
            .as_ref()
            .is_some_and(|u| *u != jsonwebtoken::jwk::PublicKeyUse::Signature)
        {
            continue;
        }
        let Some(algorithm) = algorithm_of(jwk) else {
            continue;
        };
        let Ok(key) = DecodingKey::from_jwk(jwk) else {
            continue;
        };
        match &jwk.common.key_id {
            Some(kid) => {
                by_kid.insert(kid.clone(), (key, algorithm));
            }
            None => unnamed.push((key, algorithm)),
        }
    }
    (by_kid, unnamed)
}

/// The algorithm a public key verifies: its `alg` when it names one
/// accepted here, else its type's (RSA: RS256, P-256: ES256, Ed25519:
/// EdDSA). Symmetric keys and other algorithms verify nothing.
fn algorithm_of(jwk: &Jwk) -> Option<Algorithm> {
    let by_type = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
            Algorithm::ES256
        }
        AlgorithmParameters::OctetKeyPair(okp) if okp.curve == EllipticCurve::Ed25519 => {
            Algorithm::EdDSA
        }
        _ => return None,
    };
    match jwk.common.key_algorithm {
        None => Some(by_type),
        Some(KeyAlgorithm::RS256) if by_type == Algorithm::RS256 => Some(Algorithm::RS256),
        Some(KeyAlgorithm::ES256) if by_type == Algorithm::ES256 => Some(Algorithm::ES256),
        Some(KeyAlgorithm::EdDSA) if by_type == Algorithm::EdDSA => Some(Algorithm::EdDSA),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_is_looked_for_where_both_specifications_put_it() {
        let at = |s: &str| {
            metadata_urls(&url::Url::parse(s).unwrap())
                .iter()
                .map(|u| u.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            at("https://id.example.com"),
            [
                "https://id.example.com/.well-known/oauth-authorization-server",
                "https://id.example.com/.well-known/openid-configuration"
            ]
        );
        assert_eq!(
            at("https://id.example.com/realms/acme/"),
            [
                "https://id.example.com/.well-known/oauth-authorization-server/realms/acme",
                "https://id.example.com/realms/acme/.well-known/openid-configuration"
            ]
        );
    }

    #[test]
    fn a_key_verifies_only_its_own_algorithm() {
        let set: JwkSet = serde_json::from_value(serde_json::json!({"keys": [
            {"kty": "RSA", "kid": "r", "n": "sXch", "e": "AQAB"},
            {"kty": "RSA", "kid": "r-ps", "alg": "PS256", "n": "sXch", "e": "AQAB"},
            {"kty": "EC", "kid": "e", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty": "oct", "kid": "h", "k": "c2VjcmV0"},
            {"kty": "OKP", "kid": "o", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": "sXch", "e": "AQAB"}
        ]}))
        .unwrap();
        let (by_kid, unnamed) = decoding_keys(&set);
        let mut algorithms: Vec<(&str, Algorithm)> =
            by_kid.iter().map(|(k, (_, a))| (k.as_str(), *a)).collect();
        algorithms.sort_by_key(|(k, _)| *k);
        assert_eq!(
            algorithms,
            [
                ("e", Algorithm::ES256),
                ("o", Algorithm::EdDSA),
                ("r", Algorithm::RS256)
            ]
        );
        assert!(unnamed.is_empty());
    }

    #[test]
    fn only_a_configured_issuer_routes_a_token() {
        use base64::Engine;
        let oauth = OAuth::new(OAuthConfig {
            issuers: vec![url::Url::parse("http://127.0.0.1:9/").unwrap()],
            ..OAuthConfig::default()
        });
        let jwt = |claims: Value| {
            let encode =
                |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
            format!(
                "{}.{}.sig",
                encode(&serde_json::json!({"alg": "RS256"})),
                encode(&claims)
            )
        };
        assert!(oauth.claims_issuer(&jwt(serde_json::json!({"iss": "http://127.0.0.1:9"}))));
        assert!(oauth.claims_issuer(&jwt(serde_json::json!({"iss": "http://127.0.0.1:9/"}))));
        assert!(!oauth.claims_issuer(&jwt(serde_json::json!({"iss": "http://127.0.0.1:10"}))));
        assert!(!oauth.claims_issuer(&jwt(serde_json::json!({"sub": "x"}))));
        assert!(!oauth.claims_issuer("shk_not_a_jwt"));
    }
}
