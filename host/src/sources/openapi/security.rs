//! Security: what a document's schemes are as far as one secret can fill
//! them, and which of an operation's requirements that secret meets.
use super::spec::{ApiSpec, Location, Scheme};
use std::collections::BTreeMap;

impl Scheme {
    fn supported(&self) -> bool {
        !matches!(self, Scheme::Unsupported { .. })
    }
}

impl ApiSpec {
    /// Seed 004's `authType`: the kind of credential an attachment gives
    /// (`api_key`, `bearer` for http bearer or basic, `oauth`), from the
    /// first operation that can use one; `None` when none needs one.
    pub fn auth_type(&self) -> Option<&'static str> {
        self.operations.iter().find_map(|op| {
            match fillable(&op.security, &self.schemes).next()?.1 {
                Scheme::ApiKey { .. } => Some("api_key"),
                Scheme::Bearer | Scheme::Basic => Some("bearer"),
                Scheme::OAuth => Some("oauth"),
                Scheme::Unsupported { .. } => None,
            }
        })
    }
}

/// The alternatives one secret can fill, in order: one supported scheme
/// each. An alternative of several schemes needs several secrets at once,
/// and an attachment carries one.
pub(super) fn fillable<'a>(
    security: &'a [BTreeMap<String, Vec<String>>],
    schemes: &'a BTreeMap<String, Scheme>,
) -> impl Iterator<Item = (&'a String, &'a Scheme)> {
    security.iter().filter_map(move |requirement| {
        let mut names = requirement.keys();
        match (names.next(), names.next()) {
            (Some(name), None) => schemes
                .get(name)
                .filter(|s| s.supported())
                .map(|s| (name, s)),
            _ => None,
        }
    })
}

pub(super) fn security_schemes(spec: &oas3::Spec) -> BTreeMap<String, Scheme> {
    use oas3::spec::SecurityScheme as S;
    let defined = spec
        .components
        .iter()
        .flat_map(|c| c.security_schemes.iter());
    defined
        .map(|(name, scheme)| {
            let scheme = match scheme.resolve(spec) {
                Ok(S::ApiKey { name, location, .. }) => match location.as_str() {
                    "header" => Scheme::ApiKey {
                        name,
                        location: Location::Header,
                    },
                    "query" => Scheme::ApiKey {
                        name,
                        location: Location::Query,
                    },
                    "cookie" => Scheme::ApiKey {
                        name,
                        location: Location::Cookie,
                    },
                    other => Scheme::Unsupported {
                        kind: format!("apiKey in {other}"),
                    },
                },
                Ok(S::Http { scheme, .. }) if scheme.eq_ignore_ascii_case("bearer") => {
                    Scheme::Bearer
                }
                Ok(S::Http { scheme, .. }) if scheme.eq_ignore_ascii_case("basic") => Scheme::Basic,
                Ok(S::Http { scheme, .. }) => Scheme::Unsupported {
                    kind: format!("http {scheme}"),
                },
                Ok(S::OAuth2 { .. } | S::OpenIdConnect { .. }) => Scheme::OAuth,
                Ok(S::MutualTls { .. }) => Scheme::Unsupported {
                    kind: "mutualTLS".into(),
                },
                Err(e) => Scheme::Unsupported {
                    kind: format!("unresolvable ({e})"),
                },
            };
            (name.clone(), scheme)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::tests::{doc_url, minimal};
    use super::super::{build_request, parse};
    use super::*;
    use serde_json::{Map, json};

    #[test]
    fn security_schemes_map_to_what_one_secret_fills() {
        let doc = r##"
openapi: 3.0.1
info: {title: t, version: '1'}
paths:
  /a: {get: {security: [{oauth: [read]}]}}
  /b: {get: {security: [{mtls: []}, {digest: []}, {basic: []}]}}
  /c: {get: {}}
components:
  securitySchemes:
    oauth:
      type: oauth2
      flows:
        clientCredentials: {tokenUrl: /oauth/token, scopes: {read: Read}}
    oidc: {type: openIdConnect, openIdConnectUrl: https://id.example/.well-known/openid-configuration}
    mtls: {type: mutualTLS}
    digest: {type: http, scheme: Digest}
    basic: {type: http, scheme: Basic}
    cookie: {type: apiKey, in: cookie, name: sid}
"##;
        let spec = parse(doc.as_bytes(), &doc_url()).unwrap();
        assert_eq!(spec.schemes["oauth"], Scheme::OAuth);
        assert_eq!(spec.schemes["oidc"], Scheme::OAuth);
        assert_eq!(
            spec.schemes["mtls"],
            Scheme::Unsupported {
                kind: "mutualTLS".into()
            }
        );
        assert_eq!(
            spec.schemes["digest"],
            Scheme::Unsupported {
                kind: "http Digest".into()
            }
        );
        assert_eq!(spec.schemes["basic"], Scheme::Basic);
        assert_eq!(
            spec.schemes["cookie"],
            Scheme::ApiKey {
                name: "sid".into(),
                location: Location::Cookie
            }
        );
        assert_eq!(spec.auth_type(), Some("oauth"));
        assert_eq!(
            spec.operations[0].security,
            vec![BTreeMap::from([(
                "oauth".to_owned(),
                vec!["read".to_owned()]
            )])]
        );
        assert!(spec.operations[2].security.is_empty());
        let b = build_request(
            &spec.base_url,
            &spec.operations[1],
            &spec.schemes,
            &Map::new(),
            Some("ada:pw"),
        )
        .unwrap();
        assert_eq!(b.headers[0].1, "Basic YWRhOnB3");

        let open = parse(&minimal(json!([])), &doc_url()).unwrap();
        assert_eq!(open.auth_type(), None);
        let undefined = json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
            "security": [{"ghost": []}], "paths": {"/a": {"get": {}}}});
        let spec = parse(undefined.to_string().as_bytes(), &doc_url()).unwrap();
        assert!(matches!(spec.schemes["ghost"], Scheme::Unsupported { .. }));
        assert_eq!(spec.auth_type(), None);
    }
}
