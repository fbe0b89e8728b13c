//! The HTTP service against a real server on 127.0.0.1 with a real SQLite
//! file: health, tenants, tokens and agents, with every refusal (no token,
//! wrong token, missing scope, other tenant, bad body, unknown ids).
use serde_json::json;
use skillhost_tests::http::{OPERATOR_TOKEN, TestServer};

/// Creates a tenant and returns its first admin token.
async fn tenant(server: &TestServer, name: &str) -> String {
    let r = server.request("POST", "/api/tenants", Some(OPERATOR_TOKEN), Some(json!({"name": name}))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json["token"]["secret"].as_str().unwrap().to_owned()
}

/// Mints a token with `scopes` using an admin token.
async fn token(server: &TestServer, admin: &str, scopes: &[&str]) -> String {
    let r = server.request("POST", "/api/tokens", Some(admin), Some(json!({"name": "t", "scopes": scopes}))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json["token"]["secret"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn health_and_readiness_and_request_ids() {
    let server = TestServer::start("health").await;
    let r = server.request("GET", "/healthz", None, None).await;
    assert_eq!((r.status, r.json["status"].as_str()), (200, Some("ok")));
    let r = server.request("GET", "/readyz", None, None).await;
    assert_eq!((r.status, r.json["status"].as_str()), (200, Some("ready")));
    assert!(r.request_id.as_deref().is_some_and(|id| id.len() == 36), "{:?}", r.request_id);
    let r = server.request("GET", "/nope", None, None).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json["code"], "not_found");
    server.stop().await;
}

#[tokio::test]
async fn missing_wrong_and_malformed_tokens_are_401() {
    let server = TestServer::start("auth").await;
    for path in ["/api/agents", "/api/tokens", "/api/tenants"] {
        let r = server.request("GET", path, None, None).await;
        assert_eq!(r.status, 401, "{path}");
        assert_eq!(r.json["code"], "unauthorized");
        assert!(r.json["error"].as_str().unwrap().contains("Authorization"), "{}", r.text);
        let r = server.request("GET", path, Some("shk_wrong"), None).await;
        assert_eq!(r.status, 401, "{path}");
        assert!(!r.text.contains("shk_wrong"), "tokens never echo back: {}", r.text);
    }
    let r = server.raw("GET", "/api/agents", None, None, None).await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn tenants_are_created_by_the_operator_only() {
    let server = TestServer::start("tenants").await;
    let acme = tenant(&server, "acme").await;
    assert!(acme.starts_with("shk_") && acme.len() == 68);
    // A tenant admin is not the operator.
    let r = server.request("POST", "/api/tenants", Some(&acme), Some(json!({"name": "evil"}))).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json["code"], "forbidden");
    let r = server.request("GET", "/api/tenants", Some(&acme), None).await;
    assert_eq!(r.status, 403);
    // Duplicates and bad names.
    let r = server.request("POST", "/api/tenants", Some(OPERATOR_TOKEN), Some(json!({"name": "acme"}))).await;
    assert_eq!((r.status, r.json["code"].as_str()), (409, Some("tenant_exists")));
    for body in [json!({"name": "Bad Name"}), json!({"name": ""}), json!({"nom": "x"}), json!([1])] {
        let r = server.request("POST", "/api/tenants", Some(OPERATOR_TOKEN), Some(body.clone())).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert!(r.json["error"].is_string() && r.json["code"].is_string());
    }
    let r = server.raw("POST", "/api/tenants", Some(OPERATOR_TOKEN), Some(b"{not json"), Some("application/json")).await;
    assert_eq!(r.status, 400);
    let r = server.raw("POST", "/api/tenants", Some(OPERATOR_TOKEN), Some(b"{}"), Some("text/plain")).await;
    assert_eq!(r.status, 400);
    assert!(r.json["error"].as_str().unwrap().contains("Content-Type"), "{}", r.text);
    let r = server.request("GET", "/api/tenants", Some(OPERATOR_TOKEN), None).await;
    let names: Vec<_> = r.json["tenants"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["acme", "default"]);
}

#[tokio::test]
async fn tokens_are_scoped_shown_once_and_revocable() {
    let server = TestServer::start("tokens").await;
    let admin = tenant(&server, "acme").await;
    let reader = token(&server, &admin, &["skills:read"]).await;
    // Unknown scopes and empty scope lists are refused.
    for scopes in [json!(["root"]), json!([])] {
        let r = server.request("POST", "/api/tokens", Some(&admin), Some(json!({"name": "x", "scopes": scopes}))).await;
        assert_eq!((r.status, r.json["code"].as_str()), (400, Some("invalid_scopes")), "{}", r.text);
    }
    // A reader cannot mint or list tokens, nor create agents.
    let r = server.request("POST", "/api/tokens", Some(&reader), Some(json!({"name": "x", "scopes": ["admin"]}))).await;
    assert_eq!(r.status, 403);
    assert!(r.json["error"].as_str().unwrap().contains("admin"));
    let r = server.request("POST", "/api/agents", Some(&reader), Some(json!({"name": "bot"}))).await;
    assert_eq!(r.status, 403);
    assert_eq!(server.request("GET", "/api/agents", Some(&reader), None).await.status, 200);
    // Lists never carry secrets or hashes.
    let r = server.request("GET", "/api/tokens", Some(&admin), None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["total"], 2);
    assert!(!r.text.contains(&reader) && !r.text.contains(&admin) && !r.text.contains("hash"), "{}", r.text);
    // Revoke the reader; it stops working at once.
    let id = r.json["tokens"].as_array().unwrap().iter().find(|t| t["scopes"] == json!(["skills:read"])).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = server.request("DELETE", &format!("/api/tokens/{id}"), Some(&admin), None).await;
    assert_eq!((r.status, r.json["success"].as_bool()), (200, Some(true)));
    assert_eq!(server.request("GET", "/api/agents", Some(&reader), None).await.status, 401);
    let r = server.request("DELETE", &format!("/api/tokens/{id}"), Some(&admin), None).await;
    assert_eq!(r.status, 404);
    // Another tenant's token id is simply not found.
    let other = tenant(&server, "other").await;
    let r = server.request("GET", "/api/tokens", Some(&admin), None).await;
    let admin_token_id = r.json["tokens"][0]["id"].as_str().unwrap().to_owned();
    let r = server.request("DELETE", &format!("/api/tokens/{admin_token_id}"), Some(&other), None).await;
    assert_eq!(r.status, 404);
    assert_eq!(server.request("GET", "/api/agents", Some(&admin), None).await.status, 200);
}

#[tokio::test]
async fn agents_are_per_tenant_by_name_or_id() {
    let server = TestServer::start("agents").await;
    let acme = tenant(&server, "acme").await;
    let other = tenant(&server, "other").await;
    let r = server.request("POST", "/api/agents", Some(&acme), Some(json!({"name": "devops"}))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json["agent"]["id"].as_str().unwrap().to_owned();
    let r = server.request("POST", "/api/agents", Some(&acme), Some(json!({"name": "devops"}))).await;
    assert_eq!((r.status, r.json["code"].as_str()), (409, Some("agent_exists")));
    for bad in ["", "has space", "../etc", &"x".repeat(65)] {
        let r = server.request("POST", "/api/agents", Some(&acme), Some(json!({"name": bad}))).await;
        assert_eq!(r.status, 400, "{bad:?}");
    }
    // The same name in another tenant is another agent.
    let r = server.request("POST", "/api/agents", Some(&other), Some(json!({"name": "devops"}))).await;
    assert_eq!(r.status, 201);
    for key in [id.as_str(), "devops"] {
        let r = server.request("GET", &format!("/api/agents/{key}"), Some(&acme), None).await;
        assert_eq!((r.status, r.json["agent"]["id"].as_str()), (200, Some(id.as_str())));
    }
    // Another tenant cannot see it by id: 404, not 403.
    let r = server.request("GET", &format!("/api/agents/{id}"), Some(&other), None).await;
    assert_eq!(r.status, 404);
    let r = server.request("DELETE", &format!("/api/agents/{id}"), Some(&other), None).await;
    assert_eq!(r.status, 404);
    let r = server.request("GET", "/api/agents", Some(&acme), None).await;
    assert_eq!(r.json["total"], 1);
    let r = server.request("DELETE", "/api/agents/devops", Some(&acme), None).await;
    assert_eq!((r.status, r.json["success"].as_bool()), (200, Some(true)));
    assert_eq!(server.request("GET", &format!("/api/agents/{id}"), Some(&acme), None).await.status, 404);
    assert_eq!(server.request("GET", "/api/agents/no-such", Some(&acme), None).await.json["error"], "Agent not found");
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let server = TestServer::start("limits").await;
    let body = format!("{{\"name\":\"{}\"}}", "a".repeat(33 << 20));
    let r = server.raw("POST", "/api/agents", Some(OPERATOR_TOKEN), Some(body.as_bytes()), Some("application/json")).await;
    assert_eq!(r.status, 413, "{}", r.text);
    assert_eq!(r.json["code"], "payload_too_large");
}

#[tokio::test]
async fn a_restart_keeps_tenants_tokens_and_agents() {
    let server = TestServer::start("restart").await;
    let acme = tenant(&server, "acme").await;
    server.request("POST", "/api/agents", Some(&acme), Some(json!({"name": "keeper"}))).await;
    let dir = server.stop().await;
    assert!(dir.join("skillhost.db").exists());
    let server = TestServer::start_in(dir).await;
    let r = server.request("GET", "/api/agents/keeper", Some(&acme), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
}
