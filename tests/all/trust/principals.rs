//! Trust boundaries between the callers of one tenant (security issue 20),
//! against a real server (SQLite, or PostgreSQL with
//! `SKILLHOST_TEST_DATABASE_URL`) and the real `scratchpad` component:
//! session state belongs to the caller that wrote it, and a token (or a
//! JWT) bound to one agent acts as no other.
use serde_json::{Value, json};
use skillhost_tests::http::{JWT_SECRET, Reply, TestServer};

/// A call's output as JSON (the REST surface returns it as text).
fn output(reply: &Value) -> Value {
    match &reply["output"] {
        Value::String(text) => serde_json::from_str(text).unwrap_or(Value::String(text.clone())),
        other => other.clone(),
    }
}

/// `scratchpad` installed, approved and assigned to agents `a` and `b`.
async fn scratchpad_for_two_agents(server: &TestServer, admin: &str) -> String {
    let skill = server.install_for_agent(admin, "scratchpad", "a").await;
    server.agent(admin, "b").await;
    server.assign(admin, &skill, json!({"agentId": "b"})).await;
    skill
}

/// Calls `ability` of scratchpad as `agent` in `session`; asserts 200.
async fn pad(
    server: &TestServer,
    token: &str,
    agent: &str,
    ability: &str,
    args: Value,
    session: &str,
) -> Value {
    let path = format!("/api/agents/{agent}/skills/scratchpad/invoke");
    let body = json!({"ability": ability, "args": args, "session": session});
    let r = server.request("POST", &path, Some(token), Some(body)).await;
    assert_eq!(r.status, 200, "{agent} {ability}: {}", r.text);
    assert_eq!(r.json["success"], true, "{agent} {ability}: {}", r.text);
    output(&r.json)
}

#[tokio::test]
async fn session_state_belongs_to_the_calling_agent_or_integration() {
    let server = TestServer::start("trust-sessions").await;
    let admin = server.tenant("acme").await;
    let skill = scratchpad_for_two_agents(&server, &admin).await;

    let note = json!({"text": "the launch code is 0000"});
    assert_eq!(
        pad(&server, &admin, "a", "add_note", note, "shared").await,
        1
    );
    // The same agent sees its own note on the next call.
    let mine = pad(&server, &admin, "a", "show", json!({}), "shared").await;
    assert_eq!(mine["notes"], json!(["the launch code is 0000"]));
    // Another agent of the tenant, same skill, same session id: nothing.
    let theirs = pad(&server, &admin, "b", "show", json!({}), "shared").await;
    assert_eq!(theirs, json!({"count": 0, "notes": []}));
    // What it writes stays its own, and does not reach agent a.
    pad(&server, &admin, "b", "increment", json!({}), "shared").await;
    let mine = pad(&server, &admin, "a", "show", json!({}), "shared").await;
    assert_eq!(mine["count"], 0);
    assert_eq!(mine["notes"], json!(["the launch code is 0000"]));

    // A skill server exposing the same skill's abilities, called with the
    // same session id, has a session of its own.
    let r = server
        .request(
            "POST",
            "/api/v1/skillset/create",
            Some(&admin),
            Some(json!({"name": "Pad", "description": "The scratchpad"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let skillset = r.json["id"].as_str().unwrap().to_owned();
    for ability in ["show", "add_note"] {
        let r = server
            .request(
                "POST",
                &format!("/api/v1/skillset/{skillset}/ability/create"),
                Some(&admin),
                Some(json!({"name": ability, "description": ability, "skillId": skill, "ability": ability})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = server
        .request(
            "POST",
            "/api/v1/integration/skillserver/create",
            Some(&admin),
            Some(json!({"skillsetId": skillset, "name": "Pad desk"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let url = format!(
        "/integration/skillserver/{}/invoke?format=json&session=shared",
        r.json["id"].as_str().unwrap()
    );
    let token = r.json["accessToken"].as_str().unwrap().to_owned();
    let skill_server = async |body: Value| {
        let r = server.request("POST", &url, Some(&token), Some(body)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json["result"].clone()
    };
    assert_eq!(
        skill_server(json!({"ability": "show"})).await,
        json!({"count": 0, "notes": []})
    );
    let added = json!({"ability": "add_note", "input": {"text": "from the skill server"}});
    assert_eq!(skill_server(added).await, 1);
    assert_eq!(
        skill_server(json!({"ability": "show"})).await["notes"],
        json!(["from the skill server"])
    );
    let mine = pad(&server, &admin, "a", "show", json!({}), "shared").await;
    assert_eq!(mine["notes"], json!(["the launch code is 0000"]));
}

/// `agent`'s id.
async fn agent_id(server: &TestServer, admin: &str, agent: &str) -> String {
    let r = server
        .request("GET", &format!("/api/agents/{agent}"), Some(admin), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["agent"]["id"].as_str().unwrap().to_owned()
}

/// Mints a token with `body` as `admin`.
async fn mint(server: &TestServer, admin: Option<&str>, body: Value) -> Reply {
    server
        .request("POST", "/api/tokens", admin, Some(body))
        .await
}

/// A JWT for `tenant` with `scopes`, bound to `agent` when given.
fn jwt(tenant: &str, scopes: &[&str], agent: Option<&str>) -> String {
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 300;
    let claims = skillhost::server::Claims {
        sub: "runner-7".into(),
        tenant: tenant.into(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        exp,
        agent: agent.map(str::to_owned),
    };
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap()
}

/// `tools/call` of scratchpad's `show` on `agent`'s MCP endpoint.
async fn mcp_show(server: &TestServer, token: &str, agent: &str) -> Reply {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "scratchpad__show", "arguments": {}}})
    .to_string();
    server
        .send(
            "POST",
            &format!("/mcp/agents/{agent}"),
            Some(token),
            &[
                ("content-type", "application/json"),
                ("accept", "application/json, text/event-stream"),
                ("mcp-protocol-version", "2025-11-25"),
            ],
            Some(body.as_bytes()),
        )
        .await
}

/// What a token bound to agent `a` (its id `a_id`) with `skills:read` and
/// `skills:write` may and may not do in a tenant whose agents `a` and `b`
/// both have scratchpad: the same for an API token and a JWT.
async fn acts_only_as_a(server: &TestServer, admin: &str, bound: &str, a_id: &str) {
    let b_id = agent_id(server, admin, "b").await;
    // Invoking as its agent works, by name or id; as the other, by name or
    // id, the agent does not exist for it.
    for a in ["a", a_id] {
        let r = server
            .request(
                "POST",
                &format!("/api/agents/{a}/skills/scratchpad/invoke"),
                Some(bound),
                Some(json!({"ability": "show"})),
            )
            .await;
        assert_eq!(
            (r.status, &r.json["success"]),
            (200, &json!(true)),
            "{}",
            r.text
        );
    }
    for b in ["b", b_id.as_str()] {
        let r = server
            .request(
                "POST",
                &format!("/api/agents/{b}/skills/scratchpad/invoke"),
                Some(bound),
                Some(json!({"ability": "show"})),
            )
            .await;
        assert_eq!(
            (r.status, r.json["code"].as_str()),
            (404, Some("not_found")),
            "{}",
            r.text
        );
        assert_eq!(r.json["error"], "Agent not found");
    }
    // The same agent through the admin's token is there: the 404 above is
    // the binding, not a missing agent.
    let r = server
        .request(
            "POST",
            "/api/agents/b/skills/scratchpad/invoke",
            Some(admin),
            Some(json!({"ability": "show"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    // Lists of agents show only its own; another agent's pages are 404.
    let r = server
        .request("GET", "/api/agents", Some(bound), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.json["total"].as_u64(), &r.json["agents"][0]["id"]),
        (Some(1), &json!(a_id))
    );
    let r = server
        .request("GET", "/api/runners", Some(bound), None)
        .await;
    assert_eq!(r.json["total"], 0, "{}", r.text);
    for path in [
        "/api/agents/b",
        "/api/agents/b/skills",
        "/api/agents/b/skills/scratchpad",
        "/api/agents/b/context",
        "/api/skills/agent/b",
    ] {
        let r = server.request("GET", path, Some(bound), None).await;
        assert_eq!(r.status, 404, "{path}: {}", r.text);
    }
    for path in [
        "/api/agents/a",
        "/api/agents/a/skills",
        "/api/skills/agent/a",
    ] {
        let r = server.request("GET", path, Some(bound), None).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
    }

    // Its MCP endpoint: its own agent's tools, never another's.
    let r = mcp_show(server, bound, "a").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["result"]["isError"], false, "{}", r.text);
    let r = mcp_show(server, bound, "b").await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = mcp_show(server, bound, &b_id).await;
    assert_eq!(r.status, 404, "{}", r.text);

    // Nothing tenant-wide, and no managing agents.
    for (method, path, body) in [
        ("GET", "/api/skills", None),
        ("GET", "/api/v1/skillset/list", None),
        ("GET", "/api/tokens", None),
        ("POST", "/api/agents", Some(json!({"name": "c"}))),
        ("DELETE", "/api/agents/a", None),
        // Seed 003's writes install into the catalog every agent shares.
        (
            "POST",
            "/api/agents/a/skills/install",
            Some(json!({"url": "https://example.com/skill.wasm"})),
        ),
        (
            "PUT",
            "/api/agents/a/skills/scratchpad",
            Some(json!({"description": "mine now"})),
        ),
    ] {
        let r = server.request(method, path, Some(bound), body).await;
        assert_eq!(
            (r.status, r.json["code"].as_str()),
            (403, Some("token_bound_to_agent")),
            "{method} {path}: {}",
            r.text
        );
        assert!(
            r.json["error"].as_str().unwrap().contains(a_id),
            "{}",
            r.text
        );
    }

    // Its calls are audited under its agent.
    let r = server
        .request(
            "GET",
            &format!("/api/audit?agent={a_id}"),
            Some(admin),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let rows = r.json["invocations"].as_array().unwrap();
    assert!(rows.len() >= 3, "{}", r.text);
    assert!(rows.iter().all(|row| row["agentName"] == "a"), "{}", r.text);
}

#[tokio::test]
async fn a_token_bound_to_an_agent_acts_only_as_that_agent() {
    let server = TestServer::start("trust-bound-token").await;
    let admin = server.tenant("acme").await;
    scratchpad_for_two_agents(&server, &admin).await;
    let a_id = agent_id(&server, &admin, "a").await;

    // Bound by name; the record holds the id.
    let r = mint(
        &server,
        Some(&admin),
        json!({"name": "a only", "scopes": ["skills:read", "skills:write"], "agentId": "a"}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["token"]["agentId"], a_id.as_str());
    let bound = r.json["token"]["secret"].as_str().unwrap().to_owned();
    let unbound = server.token(&admin, &["skills:read"]).await;

    // The list shows each binding, never a secret.
    let r = server
        .request("GET", "/api/tokens", Some(&admin), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(!r.text.contains(&bound) && !r.text.contains(&unbound));
    let binding = |name: &str| {
        r.json["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .map(|t| t["agentId"].clone())
    };
    assert_eq!(binding("a only"), Some(json!(a_id)));
    assert_eq!(binding("t"), Some(Value::Null));

    acts_only_as_a(&server, &admin, &bound, &a_id).await;

    // An unbound reader still acts as any agent of the tenant.
    let r = mcp_show(&server, &unbound, "b").await;
    assert_eq!(r.status, 200, "{}", r.text);

    // Deleting the agent deletes its tokens.
    let r = server
        .request("DELETE", "/api/agents/a", Some(&admin), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = server
        .request("GET", "/api/agents", Some(&bound), None)
        .await;
    assert_eq!(r.status, 401, "{}", r.text);
    let r = server
        .request("GET", "/api/tokens", Some(&admin), None)
        .await;
    assert!(!r.text.contains("a only"), "{}", r.text);
}

#[tokio::test]
async fn a_jwt_with_the_agent_claim_acts_only_as_that_agent() {
    let server = TestServer::start("trust-bound-jwt").await;
    let r = server
        .request(
            "POST",
            "/api/tenants",
            Some(skillhost_tests::http::OPERATOR_TOKEN),
            Some(json!({"name": "acme"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let tenant = r.json["tenant"]["id"].as_str().unwrap().to_owned();
    let admin = r.json["token"]["secret"].as_str().unwrap().to_owned();
    scratchpad_for_two_agents(&server, &admin).await;
    let a_id = agent_id(&server, &admin, "a").await;

    let bound = jwt(&tenant, &["skills:read", "skills:write"], Some(&a_id));
    acts_only_as_a(&server, &admin, &bound, &a_id).await;

    // The claim is an id: a name binds to no agent, so it acts as none.
    let by_name = jwt(&tenant, &["skills:read"], Some("a"));
    let r = server
        .request("GET", "/api/agents/a", Some(&by_name), None)
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = server
        .request("GET", "/api/agents", Some(&by_name), None)
        .await;
    assert_eq!(r.json["total"], 0, "{}", r.text);
    // A bound JWT cannot be an admin's.
    let r = server
        .request(
            "GET",
            "/api/agents/a",
            Some(&jwt(&tenant, &["admin"], Some(&a_id))),
            None,
        )
        .await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert!(
        r.json["error"].as_str().unwrap().contains("`agent` claim"),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn binding_a_token_names_an_agent_of_the_tenant_and_never_admin() {
    let server = TestServer::start("trust-bind").await;
    let admin = server.tenant("acme").await;
    server.agent(&admin, "a").await;
    let other = server.tenant("globex").await;
    server.agent(&other, "z").await;
    let z_id = agent_id(&server, &other, "z").await;
    let body = |agent: &str| json!({"name": "bound", "scopes": ["skills:read"], "agentId": agent});

    // Another tenant's agent, by id or name, or no agent at all: 404.
    for agent in [z_id.as_str(), "z", "nobody"] {
        let r = mint(&server, Some(&admin), body(agent)).await;
        assert_eq!(
            (r.status, r.json["code"].as_str()),
            (404, Some("agent_not_found")),
            "{agent}: {}",
            r.text
        );
        assert!(
            r.json["error"].as_str().unwrap().contains(agent),
            "{}",
            r.text
        );
    }
    // An admin token cannot be bound.
    let r = mint(
        &server,
        Some(&admin),
        json!({"name": "bound", "scopes": ["admin", "skills:read"], "agentId": "a"}),
    )
    .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (422, Some("bound_admin_token")),
        "{}",
        r.text
    );
    // No token, a wrong one, or one without `admin`.
    let r = mint(&server, None, body("a")).await;
    assert_eq!(r.status, 401, "{}", r.text);
    let r = mint(&server, Some("shk_not_a_token"), body("a")).await;
    assert_eq!(r.status, 401, "{}", r.text);
    let writer = server.token(&admin, &["skills:read", "skills:write"]).await;
    let r = mint(&server, Some(&writer), body("a")).await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (403, Some("forbidden")),
        "{}",
        r.text
    );
    // A bound token cannot mint another.
    let r = mint(&server, Some(&admin), body("a")).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let bound = r.json["token"]["secret"].as_str().unwrap().to_owned();
    let r = mint(
        &server,
        Some(&bound),
        json!({"name": "x", "scopes": ["skills:read"]}),
    )
    .await;
    assert_eq!(r.json["code"], "token_bound_to_agent", "{}", r.text);
    // Nothing was minted by the refusals.
    let r = server
        .request("GET", "/api/tokens", Some(&admin), None)
        .await;
    let names: Vec<_> = r.json["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names.iter().filter(|n| **n == "bound").count(),
        1,
        "{names:?}"
    );
}
