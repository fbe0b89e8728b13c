//! Trust boundaries between the callers of one tenant (security issue 20),
//! against a real server (SQLite, or PostgreSQL with
//! `SKILLHOST_TEST_DATABASE_URL`) and the real `scratchpad` component:
//! session state belongs to the caller that wrote it.
use serde_json::{Value, json};
use skillhost_tests::http::TestServer;

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
