use super::super::{Body, Parameter};
use super::*;
use serde_json::json;

fn base() -> Url {
    Url::parse("https://api.example.com/v1").unwrap()
}

fn param(name: &str, location: Location, required: bool) -> Parameter {
    Parameter {
        name: name.into(),
        property: name.into(),
        location,
        required,
    }
}

fn op(path: &str, parameters: Vec<Parameter>) -> Operation {
    Operation {
        name: "op".into(),
        description: "d".into(),
        method: "GET".into(),
        path: path.into(),
        parameters,
        body: None,
        security: Vec::new(),
        input_schema: json!({"type": "object"}),
    }
}

fn input(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

fn build(op: &Operation, value: Value) -> Result<Prepared, RequestError> {
    build_request(&base(), op, &BTreeMap::new(), &input(value), None)
}

#[test]
fn values_side_by_side_cannot_spell_a_dot_segment() {
    let pair = op(
        "/files/{a}{b}/raw",
        vec![
            param("a", Location::Path, true),
            param("b", Location::Path, true),
        ],
    );
    let err = build(&pair, json!({"a": ".", "b": "."})).unwrap_err();
    assert!(matches!(err, RequestError::InvalidInput { .. }), "{err}");
    let fine = build(&pair, json!({"a": "x", "b": ".txt"})).unwrap();
    assert_eq!(fine.url.path(), "/v1/files/x.txt/raw");
}

#[test]
fn hostile_path_values_stay_under_the_base_url() {
    let op = &op(
        "/pets/{petId}/toys",
        vec![param("petId", Location::Path, true)],
    );
    let cases = [
        ("../admin", "/v1/pets/..%2Fadmin/toys"),
        ("%2e%2e", "/v1/pets/%252e%252e/toys"),
        ("%2E%2E%2Fadmin", "/v1/pets/%252E%252E%252Fadmin/toys"),
        ("a/b", "/v1/pets/a%2Fb/toys"),
        ("?x=1", "/v1/pets/%3Fx%3D1/toys"),
        ("#frag", "/v1/pets/%23frag/toys"),
        (
            "http://evil.example",
            "/v1/pets/http%3A%2F%2Fevil.example/toys",
        ),
        ("//evil.example", "/v1/pets/%2F%2Fevil.example/toys"),
        ("a\r\nHost: evil", "/v1/pets/a%0D%0AHost%3A%20evil/toys"),
        ("\\..\\", "/v1/pets/%5C..%5C/toys"),
        ("…", "/v1/pets/%E2%80%A6/toys"),
    ];
    for (value, path) in cases {
        let prepared = build(op, json!({"petId": value})).unwrap();
        assert_eq!(prepared.url.host_str(), Some("api.example.com"), "{value}");
        assert_eq!(prepared.url.path(), path, "{value}");
        assert_eq!(prepared.url.query(), None, "{value}");
        assert_eq!(prepared.url.fragment(), None, "{value}");
        assert!(prepared.headers.is_empty());
    }
    for value in ["..", ".", ""] {
        let err = build(op, json!({"petId": value})).unwrap_err();
        assert!(
            matches!(&err, RequestError::InvalidInput { field, .. } if field == "petId"),
            "{value}: {err}"
        );
    }
    for value in [json!({"a": 1}), json!([1]), json!(null)] {
        assert!(build(op, json!({"petId": value})).is_err());
    }
    let ok = build(op, json!({"petId": 7})).unwrap();
    assert_eq!(ok.url.as_str(), "https://api.example.com/v1/pets/7/toys");

    let missing = build(op, json!({})).unwrap_err();
    assert_eq!(missing.to_string(), "input `petId`: is required");
}

#[test]
fn a_template_escaping_the_base_path_is_refused() {
    // A document (or tampered stored form) whose own template climbs.
    let op = op("/../admin/{id}", vec![param("id", Location::Path, true)]);
    let err = build(&op, json!({"id": "x"})).unwrap_err();
    assert!(
        matches!(err, RequestError::InvalidInput { ref field, .. } if field == "path"),
        "{err}"
    );
    let root = Url::parse("https://api.example.com").unwrap();
    let fine = build_request(
        &root,
        &op,
        &BTreeMap::new(),
        &input(json!({"id": "x"})),
        None,
    )
    .unwrap();
    assert_eq!(fine.url.as_str(), "https://api.example.com/admin/x");
}

#[test]
fn query_header_and_cookie_parameters() {
    let mut p = vec![
        param("tags", Location::Query, false),
        param("limit", Location::Query, false),
        param("filter", Location::Query, false),
        param("q", Location::Query, false),
        param("X-Request-Id", Location::Header, true),
        param("X-Ids", Location::Header, false),
        param("session", Location::Cookie, false),
        param("theme", Location::Cookie, false),
        param("skip", Location::Query, false),
    ];
    p[3].property = "q_query".into();
    let op = op("/search", p);
    let prepared = build(
        &op,
        json!({
            "tags": ["a b", "c&d"], "limit": 10, "filter": {"x": 1}, "q_query": "é",
            "X-Request-Id": "abc", "X-Ids": [1, 2], "session": "s;1", "theme": "dark", "skip": null
        }),
    )
    .unwrap();
    assert_eq!(
        prepared.url.as_str(),
        "https://api.example.com/v1/search?tags=a+b&tags=c%26d&limit=10&filter=%7B%22x%22%3A1%7D&q=%C3%A9"
    );
    let headers: Vec<(String, String)> = prepared
        .headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        headers,
        [
            ("x-request-id".into(), "abc".into()),
            ("x-ids".into(), "1,2".into()),
            ("cookie".into(), "session=s%3B1; theme=dark".into())
        ]
    );
    assert!(!prepared.headers[2].1.is_sensitive());

    for bad in ["a\r\nX-Evil: 1", "a\nb", "a\0"] {
        let err = build(&op, json!({"X-Request-Id": bad})).unwrap_err();
        assert!(
            matches!(&err, RequestError::InvalidInput { field, .. } if field == "X-Request-Id"),
            "{err}"
        );
    }
    assert!(build(&op, json!({"X-Request-Id": {"a": 1}})).is_err());
    assert!(build(&op, json!({})).is_err(), "the header is required");
}

#[test]
fn bodies_are_encoded_by_content_type() {
    let mut json_op = op("/pets", Vec::new());
    json_op.method = "POST".into();
    json_op.body = Some(Body {
        content_type: "application/json".into(),
        required: true,
    });
    let prepared = build(
        &json_op,
        json!({"requestBody": {"name": "Rex", "tags": [1]}}),
    )
    .unwrap();
    assert_eq!(prepared.method, Method::POST);
    let (ct, bytes) = prepared.body.unwrap();
    assert_eq!(ct, "application/json");
    assert_eq!(
        serde_json::from_slice::<Value>(&bytes).unwrap(),
        json!({"name": "Rex", "tags": [1]})
    );
    assert_eq!(
        build(&json_op, json!({})).unwrap_err().to_string(),
        "input `requestBody`: is required"
    );

    let mut form_op = json_op.clone();
    form_op.body = Some(Body {
        content_type: "application/x-www-form-urlencoded".into(),
        required: false,
    });
    let prepared = build(
        &form_op,
        json!({"requestBody": {"name": "R x", "n": 2, "ok": true, "ids": [1, 2], "none": null}}),
    )
    .unwrap();
    let (_, bytes) = prepared.body.unwrap();
    assert_eq!(
        String::from_utf8(bytes).unwrap(),
        "ids=1&ids=2&n=2&name=R+x&ok=true"
    );
    assert!(build(&form_op, json!({"requestBody": "x"})).is_err());
    assert!(build(&form_op, json!({})).unwrap().body.is_none());

    let mut text_op = json_op.clone();
    text_op.body = Some(Body {
        content_type: "application/xml".into(),
        required: true,
    });
    let prepared = build(&text_op, json!({"requestBody": "<pet/>"})).unwrap();
    assert_eq!(
        prepared.body.unwrap(),
        ("application/xml".to_owned(), b"<pet/>".to_vec())
    );
    assert!(build(&text_op, json!({"requestBody": {"a": 1}})).is_err());
}

fn secured(security: Value) -> Operation {
    let mut op = op(
        "/me",
        vec![
            param("X-Key", Location::Header, false),
            param("key", Location::Query, false),
        ],
    );
    op.security = serde_json::from_value(security).unwrap();
    op
}

fn schemes() -> BTreeMap<String, Scheme> {
    BTreeMap::from([
        (
            "header_key".into(),
            Scheme::ApiKey {
                name: "X-Key".into(),
                location: Location::Header,
            },
        ),
        (
            "query_key".into(),
            Scheme::ApiKey {
                name: "key".into(),
                location: Location::Query,
            },
        ),
        (
            "cookie_key".into(),
            Scheme::ApiKey {
                name: "sid".into(),
                location: Location::Cookie,
            },
        ),
        ("bearer".into(), Scheme::Bearer),
        ("basic".into(), Scheme::Basic),
        ("oauth".into(), Scheme::OAuth),
        (
            "mtls".into(),
            Scheme::Unsupported {
                kind: "mutualTLS".into(),
            },
        ),
    ])
}

fn call(
    security: Value,
    input_value: Value,
    credential: Option<&str>,
) -> Result<Prepared, RequestError> {
    build_request(
        &base(),
        &secured(security),
        &schemes(),
        &input(input_value),
        credential,
    )
}

fn header<'a>(prepared: &'a Prepared, name: &str) -> Vec<&'a HeaderValue> {
    prepared
        .headers
        .iter()
        .filter(|(n, _)| n.as_str() == name)
        .map(|(_, v)| v)
        .collect()
}

#[test]
fn credentials_are_rendered_per_scheme() {
    let p = call(
        json!([{"header_key": []}]),
        json!({"X-Key": "from-input"}),
        Some("s3cret\n"),
    )
    .unwrap();
    let values = header(&p, "x-key");
    assert_eq!(values.len(), 1, "the credential replaces the input header");
    assert_eq!(values[0], "s3cret");
    assert!(values[0].is_sensitive());

    let p = call(
        json!([{"query_key": []}]),
        json!({"key": "from-input"}),
        Some("s3cret"),
    )
    .unwrap();
    assert_eq!(p.url.query(), Some("key=s3cret"));

    let p = call(json!([{"cookie_key": []}]), json!({}), Some("abc123")).unwrap();
    assert_eq!(header(&p, "cookie")[0], "sid=abc123");
    assert!(header(&p, "cookie")[0].is_sensitive());

    for (security, secret, expected) in [
        ("bearer", "tok", "Bearer tok"),
        ("bearer", "Bearer tok", "Bearer tok"),
        ("oauth", "tok", "Bearer tok"),
        ("basic", "ada:pw", "Basic YWRhOnB3"),
        ("basic", "YWRhOnB3", "Basic YWRhOnB3"),
    ] {
        let p = call(json!([{security: []}]), json!({}), Some(secret)).unwrap();
        let auth = header(&p, "authorization");
        assert_eq!(auth.len(), 1);
        assert_eq!(auth[0], expected, "{security} {secret}");
        assert!(auth[0].is_sensitive());
    }
}

#[test]
fn the_first_fillable_alternative_is_used() {
    // AND of two schemes needs two secrets: skipped for the next.
    let security = json!([{"header_key": [], "query_key": []}, {"mtls": []}, {"bearer": []}]);
    let p = call(security.clone(), json!({}), Some("tok")).unwrap();
    assert_eq!(header(&p, "authorization")[0], "Bearer tok");
    assert!(header(&p, "x-key").is_empty() && p.url.query().is_none());

    let err = call(security, json!({}), None).unwrap_err();
    assert_eq!(
        err,
        RequestError::CredentialRequired {
            schemes: vec!["bearer".into()]
        }
    );
    assert!(err.to_string().contains("`credentialId`"), "{err}");

    let err = call(json!([{"mtls": []}]), json!({}), Some("tok")).unwrap_err();
    assert!(
        matches!(&err, RequestError::Unsupported { reason } if reason.contains("mtls (mutualTLS)")),
        "{err}"
    );
    let undefined = call(json!([{"nowhere": []}]), json!({}), Some("tok")).unwrap_err();
    assert!(matches!(undefined, RequestError::Unsupported { .. }));

    // `{}` makes the credential optional; a credential is still used.
    let optional = json!([{}, {"bearer": []}]);
    assert!(
        call(optional.clone(), json!({}), None)
            .unwrap()
            .headers
            .is_empty()
    );
    assert_eq!(
        call(optional, json!({}), Some("t")).unwrap().headers.len(),
        1
    );
    // No security: a credential is not sent.
    assert!(
        call(json!([]), json!({}), Some("tok"))
            .unwrap()
            .headers
            .is_empty()
    );
    assert!(matches!(
        call(json!([{"bearer": []}]), json!({}), Some("  ")),
        Err(RequestError::CredentialRequired { .. })
    ));
}

#[test]
fn a_credential_never_appears_in_errors() {
    let secret = "line1\r\nsecret-value";
    for security in ["header_key", "bearer", "basic", "cookie_key"] {
        let err = call(json!([{security: []}]), json!({}), Some(secret)).unwrap_err();
        assert!(
            matches!(err, RequestError::Credential { .. }),
            "{security}: {err}"
        );
        assert!(
            !err.to_string().contains("secret-value")
                && !format!("{err:?}").contains("secret-value")
        );
    }
}
