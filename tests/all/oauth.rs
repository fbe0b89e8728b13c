//! skillhost as an OAuth 2.1 resource server, against a real authorization
//! server (oidc-provider, `tests/mcp/authorization_server.mjs`) on
//! 127.0.0.1: the official TypeScript client signs in on its own (401,
//! protected-resource document, registration, authorization code with
//! PKCE, retry) and calls a tool; the token works where its audience says
//! and nowhere else. Tokens no client could get are refused: wrong
//! audience or issuer, expired or early, an unknown key, algorithm
//! confusion, `none`, claims that name no tenant or another agent, and a
//! missing scope (403 naming it). Runs on SQLite or PostgreSQL.
use serde_json::{Value, json};
use skillhost::oauth::OAuthConfig;
use skillhost::server::ServiceOptions;
use skillhost_tests::http::TestServer;
use skillhost_tests::mcp::{AuthorizationServer, ts_oauth_client};
use std::time::{SystemTime, UNIX_EPOCH};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn header(reply: &skillhost_tests::http::Reply, name: &str) -> String {
    reply
        .headers
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn oauth_access_tokens_are_checked_like_a_resource_server_should() {
    let authorization = AuthorizationServer::start();
    let issuer = authorization.issuer.clone();
    let options = ServiceOptions {
        oauth: OAuthConfig {
            issuers: vec![url::Url::parse(&issuer).unwrap()],
            // Short, so that the test sees a rotation picked up.
            refetch_after: std::time::Duration::from_secs(2),
            ..OAuthConfig::default()
        },
        ..ServiceOptions::default()
    };
    let s = TestServer::start_with("oauth", options).await;
    let base = format!("http://{}", s.addr);
    let admin = s.tenant("acme").await;
    let globex = s.tenant("globex").await;
    s.install_for_agent(&admin, "text-tools", "bot").await;
    s.agent(&admin, "scout").await;
    s.install_for_agent(&globex, "text-tools", "bot").await;
    let bot = format!("{base}/mcp/agents/bot");

    // The protected-resource document names the authorization server.
    let r = s
        .request(
            "GET",
            "/.well-known/oauth-protected-resource/mcp/agents/bot",
            None,
            None,
        )
        .await;
    assert_eq!(
        r.json["authorization_servers"],
        json!([issuer]),
        "{}",
        r.text
    );
    assert_eq!(r.json["resource"], bot);
    assert_eq!(r.json["scopes_supported"], json!(["skills:read"]));
    // A REST 401 points there too.
    let r = s.request("GET", "/api/skills", None, None).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        header(&r, "www-authenticate"),
        format!("Bearer resource_metadata=\"{base}/.well-known/oauth-protected-resource\"")
    );

    // The official client signs in on its own and calls a tool.
    let call = json!([{"name": "text-tools__slugify", "arguments": {"text": "Signed In"}}]);
    let out = ts_oauth_client(&bot, "alice", call.clone()).await.unwrap();
    assert_eq!(
        out["calls"],
        json!([{"isError": false, "text": ["signed-in"]}]),
        "{out}"
    );
    assert!(
        out["tools"]
            .as_array()
            .unwrap()
            .contains(&json!("text-tools__slugify"))
    );
    assert_eq!(out["asked"]["resource"], bot, "{out}");
    let token = out["accessToken"].as_str().unwrap().to_owned();
    // Its audience is that endpoint: not the REST API, not another agent.
    let r = s.request("GET", "/api/skills", Some(&token), None).await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert!(r.text.contains("audience"), "{}", r.text);
    assert!(header(&r, "www-authenticate").starts_with("Bearer error=\"invalid_token\""));
    let r = s
        .send(
            "POST",
            "/mcp/agents/scout",
            Some(&token),
            &[("content-type", "application/json")],
            Some(b"{}"),
        )
        .await;
    assert_eq!(r.status, 401, "{}", r.text);
    // The caller's token never reaches an upstream: a guest's request
    // carries only what the guest and its grant put there.
    let upstream = skillhost_tests::upstream::Upstream::start("127.0.0.1");
    let hostile = s.installed(&admin, "hostile").await;
    s.approve(&admin, &hostile, Some(json!({"allowPrivateNetwork": true})))
        .await;
    s.assign(&admin, &hostile, json!({"agentId": "bot"})).await;
    let echo = upstream.localhost_url("/echo");
    let out = ts_oauth_client(
        &bot,
        "alice",
        json!([{"name": "hostile__fetch", "arguments": {"target": echo}}]),
    )
    .await
    .unwrap();
    let seen = out["calls"][0]["text"][0].as_str().unwrap();
    assert!(seen.starts_with("200 "), "{out}");
    let fetched_with = out["accessToken"].as_str().unwrap();
    assert!(
        !seen.contains(fetched_with) && !seen.to_lowercase().contains("authorization"),
        "{seen}"
    );

    // bob's tenant is globex: acme's agents are not there for him.
    let scout = format!("{base}/mcp/agents/scout");
    let failure = ts_oauth_client(&scout, "bob", call).await.unwrap_err();
    assert!(
        failure.sdk_error().contains("agent not found"),
        "{}",
        failure.stderr
    );

    // Tokens signed with the issuer's keys, for this server as a whole.
    let claims = |extra: Value| {
        let mut claims = json!({
            "iss": issuer, "sub": "carol", "aud": base, "tenant": "acme",
            "scope": "skills:read", "iat": now(), "exp": now() + 300,
        });
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                claims.as_object_mut().unwrap().remove(k);
            } else {
                claims[k] = v.clone();
            }
        }
        claims
    };
    for key in ["rs256", "es256", "eddsa"] {
        let token = authorization.mint(key, json!({}), claims(json!({}))).await;
        let r = s.request("GET", "/api/skills", Some(&token), None).await;
        assert_eq!(r.status, 200, "{key}: {}", r.text);
    }
    // A token bound to an agent acts only as it.
    let bound = authorization
        .mint("rs256", json!({}), claims(json!({"agent": "scout"})))
        .await;
    let r = s.request("GET", "/api/skills", Some(&bound), None).await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (403, Some("token_bound_to_agent")),
        "{}",
        r.text
    );
    // A missing scope: 403, and the challenge names exactly the scope.
    let reader = authorization
        .mint("rs256", json!({}), claims(json!({})))
        .await;
    let r = s
        .request(
            "POST",
            "/api/agents",
            Some(&reader),
            Some(json!({"name": "new"})),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(
        header(&r, "www-authenticate"),
        "Bearer error=\"insufficient_scope\", scope=\"skills:write\""
    );

    // Refused, each with its reason.
    let before = authorization.jwks_fetches().await;
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "wrong audience",
            authorization
                .mint(
                    "rs256",
                    json!({}),
                    claims(json!({"aud": "http://127.0.0.1:1/elsewhere"})),
                )
                .await,
            "audience",
        ),
        (
            "expired",
            authorization
                .mint("rs256", json!({}), claims(json!({"exp": now() - 3600})))
                .await,
            "expired",
        ),
        (
            "not yet valid",
            authorization
                .mint("rs256", json!({}), claims(json!({"nbf": now() + 3600})))
                .await,
            "not valid yet",
        ),
        (
            "unknown key",
            authorization
                .mint("stranger", json!({}), claims(json!({})))
                .await,
            "does not publish",
        ),
        (
            "a published kid, another key",
            authorization
                .mint("stranger", json!({"kid": "test-rs256"}), claims(json!({})))
                .await,
            "signature",
        ),
        (
            "algorithm confusion",
            authorization
                .mint("hs-with-public-key", json!({}), claims(json!({})))
                .await,
            "alg",
        ),
        (
            "ES256 header on the RSA key",
            authorization
                .mint("es256", json!({"kid": "test-rs256"}), claims(json!({})))
                .await,
            "alg",
        ),
        (
            "alg none",
            authorization
                .mint("none", json!({"kid": "test-rs256"}), claims(json!({})))
                .await,
            "not a JWT",
        ),
        (
            "no tenant",
            authorization
                .mint("rs256", json!({}), claims(json!({"tenant": null})))
                .await,
            "claim",
        ),
        (
            "no subject",
            authorization
                .mint("rs256", json!({}), claims(json!({"sub": null})))
                .await,
            "claim",
        ),
        (
            "a tenant that does not exist",
            authorization
                .mint("rs256", json!({}), claims(json!({"tenant": "initech"})))
                .await,
            "tenant does not exist",
        ),
        (
            "an agent that does not exist",
            authorization
                .mint("rs256", json!({}), claims(json!({"agent": "ghost"})))
                .await,
            "agent does not exist",
        ),
        (
            "admin bound to an agent",
            authorization
                .mint(
                    "rs256",
                    json!({}),
                    claims(json!({"agent": "scout", "scope": "admin"})),
                )
                .await,
            "admin",
        ),
    ];
    for (case, token, says) in &cases {
        let r = s.request("GET", "/api/skills", Some(token), None).await;
        assert_eq!(r.status, 401, "{case}: {}", r.text);
        assert!(
            r.text.contains(says),
            "{case}: expected `{says}` in {}",
            r.text
        );
        assert!(
            !r.text.contains(token.as_str()),
            "{case}: the token is echoed"
        );
    }
    // Another issuer's token is no OAuth token here: an HS256 JWT that does
    // not verify.
    let foreign = authorization
        .mint(
            "rs256",
            json!({}),
            claims(json!({"iss": "http://127.0.0.1:1"})),
        )
        .await;
    let r = s.request("GET", "/api/skills", Some(&foreign), None).await;
    assert_eq!(
        (r.status, r.json["error"].as_str()),
        (401, Some("Invalid JWT")),
        "{}",
        r.text
    );
    // Unknown keys did not make the server fetch the issuer's keys again
    // and again.
    assert!(authorization.jwks_fetches().await <= before + 1);

    // A key the issuer publishes later (a rotation) is fetched when a
    // token names it, once the refetch pause has passed.
    authorization.publish_stranger().await;
    let rotated = authorization
        .mint("stranger", json!({}), claims(json!({})))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let r = s.request("GET", "/api/skills", Some(&rotated), None).await;
    assert_eq!(r.status, 200, "{}", r.text);

    // An admin's decision made with an OAuth token: the audit names the
    // subject and the issuer, never the token.
    let operator_like = authorization
        .mint("rs256", json!({}), claims(json!({"scope": "admin"})))
        .await;
    let id = s.installed(&operator_like, "calc").await;
    s.approve(&operator_like, &id, None).await;
    let r = s
        .request("GET", "/api/audit/approvals", Some(&admin), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        r.text.contains(&format!("\"oauth:carol@{issuer}\"")),
        "{}",
        r.text
    );
    assert!(!r.text.contains(&operator_like) && !r.text.contains(&token));
}
