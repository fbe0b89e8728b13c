//! MCP end to end with the official clients: the Python SDK (`mcp`, which
//! negotiates 2026-07-28, and its legacy mode, 2025-11-25) and the
//! TypeScript SDK (2025-11-25, initialize without a session), against a
//! real server (SQLite, or PostgreSQL with `SKILLHOST_TEST_DATABASE_URL`).
//!
//! The clients come from `tests/mcp` (pinned): `.ci/test` creates the
//! Python venv and runs `npm ci`; `SKILLHOST_TEST_PYTHON` names the venv's
//! python. Missing clients fail the tests: nothing is skipped silently.
use serde_json::{Value, json};
use skillhost_tests::http::TestServer;
use skillhost_tests::mcp::{
    KillOnDrop, RemoteMcpServer, clients_dir, py_client, python, ts_client,
};
use std::process::Command;

/// What the Python SDK raises when the endpoint answers 401.
const PY_UNAUTHORIZED: &str = "MCPError: Server returned an error response\n";

/// The status and JSON body of the HTTP refusal the TypeScript SDK threw
/// (`Error POSTing to endpoint: BODY (code STATUS)`).
fn ts_refusal(err: &skillhost_tests::mcp::ClientFailure) -> (u16, Value) {
    let message = err.sdk_error();
    let rest = message
        .strip_prefix("Streamable HTTP error: Error POSTing to endpoint: ")
        .unwrap_or_else(|| panic!("not an HTTP refusal: {message}"));
    let (body, status) = rest
        .trim_end()
        .strip_suffix(')')
        .and_then(|r| r.rsplit_once(" (code "))
        .unwrap_or_else(|| panic!("no status: {message}"));
    (
        status.parse().unwrap(),
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {message}")),
    )
}

fn names(listing: &Value) -> Vec<String> {
    listing["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn official_clients_list_and_call_an_agents_skills() {
    let server = TestServer::start("mcp-clients").await;
    let admin = server.tenant("acme").await;
    server.install_for_agent(&admin, "text-tools", "bot").await;
    let calc = server.installed(&admin, "calc").await;
    server.approve(&admin, &calc, None).await;
    server
        .assign(&admin, &calc, json!({"agentId": "bot"}))
        .await;
    let reader = server.token(&admin, &["skills:read"]).await;
    let url = format!("http://{}/mcp/agents/bot", server.addr);
    let plan = json!([
        {"name": "text-tools__slugify", "arguments": {"text": "Hello, MCP World"}},
        {"name": "calc__evaluate", "arguments": {"args": ["(1+2)*3"]}},
        {"name": "calc__evaluate_json", "arguments": {"expression": "2^10"}},
        {"name": "text-tools__slugify", "arguments": {"wrong": 1}},
        {"name": "no_such_tool", "arguments": {}},
    ]);

    let (reader2, url2, plan2) = (reader.clone(), url.clone(), plan.clone());
    let auto = py_client(&url2, &reader2, "auto", plan2).await.unwrap();
    let (reader2, url2, plan2) = (reader.clone(), url.clone(), plan.clone());
    let legacy = py_client(&url2, &reader2, "legacy", plan2).await.unwrap();
    let (reader2, url2, plan2) = (reader.clone(), url.clone(), plan.clone());
    let node = ts_client(&url2, &reader2, plan2).await.unwrap();
    assert_eq!(auto["protocolVersion"], "2026-07-28", "{auto}");
    assert_eq!(legacy["protocolVersion"], "2025-11-25", "{legacy}");
    assert_eq!(node["protocolVersion"], "2025-11-25", "{node}");
    assert_eq!(
        node["sessionId"],
        Value::Null,
        "stateless: no session to pin to a replica"
    );

    for listing in [&auto, &legacy, &node] {
        let mut listed = names(listing);
        listed.sort();
        assert!(
            listed.contains(&"text-tools__slugify".to_owned()),
            "{listing}"
        );
        assert!(
            listed.contains(&"calc__evaluate".to_owned())
                && listed.contains(&"calc__evaluate_json".to_owned())
        );
        let slug = listing["tools"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "text-tools__slugify")
            .unwrap();
        assert_eq!(slug["inputSchema"]["type"], "object");
        assert_eq!(slug["annotations"]["readOnlyHint"], true, "{slug}");
        assert_eq!(slug["annotations"]["openWorldHint"], false, "{slug}");
        // A command's array input is wrapped in one property.
        let evaluate = listing["tools"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "calc__evaluate")
            .unwrap();
        assert_eq!(
            evaluate["inputSchema"]["properties"]["args"]["type"], "array",
            "{evaluate}"
        );

        let calls = listing["calls"].as_array().unwrap();
        assert_eq!(calls[0]["isError"], false, "{listing}");
        assert_eq!(calls[0]["text"][0], "hello-mcp-world");
        assert_eq!(calls[1]["isError"], false, "{listing}");
        assert_eq!(calls[1]["text"][0].as_str().unwrap().trim(), "9");
        assert_eq!(
            calls[2]["structured"]["result"].as_f64(),
            Some(1024.0),
            "{listing}"
        );
        // A failed ability is a result with isError and its category.
        assert_eq!(calls[3]["isError"], true, "{listing}");
        assert!(
            calls[3]["text"][0]
                .as_str()
                .unwrap()
                .starts_with("invalid_input"),
            "{listing}"
        );
        // An unknown tool is a protocol error.
        assert!(calls[4]["protocolError"].is_string(), "{listing}");
    }

    // Every call took the REST path: audited, with the surface.
    let r = server
        .request("GET", "/api/audit?limit=100", Some(&admin), None)
        .await;
    let mcp: Vec<&Value> = r.json["invocations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["surface"] == "mcp")
        .collect();
    assert_eq!(mcp.len(), 12, "{}", r.text);
    assert!(mcp.iter().all(|i| i["agentName"] == "bot"));

    // What the caller can call changes with its assignments.
    let r = server
        .request(
            "PATCH",
            &format!("/api/skills/{calc}/assignments/bot"),
            Some(&admin),
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let (reader2, url2) = (reader.clone(), url.clone());
    let after = py_client(
        &url2,
        &reader2,
        "auto",
        json!([{"name": "calc__evaluate", "arguments": {"args": ["1"]}}]),
    )
    .await
    .unwrap();
    let skills: Vec<String> = names(&after)
        .into_iter()
        .filter(|n| n.contains("__"))
        .collect();
    assert!(
        skills.iter().all(|n| n.starts_with("text-tools__")) && skills.len() == 4,
        "{after}"
    );
    // Calling it anyway: refused and audited, as on REST.
    assert_eq!(after["calls"][0]["isError"], true, "{after}");
    assert!(
        after["calls"][0]["text"][0]
            .as_str()
            .unwrap()
            .starts_with("assignment_disabled"),
        "{after}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn mcp_refuses_missing_wrong_and_foreign_credentials() {
    let server = TestServer::start("mcp-refusals").await;
    let admin = server.tenant("acme").await;
    let other = server.tenant("globex").await;
    server.install_for_agent(&admin, "text-tools", "bot").await;
    let writer_only = server.token(&admin, &["skills:write"]).await;
    let url = format!("http://{}/mcp/agents/bot", server.addr);

    // The official clients fail without a good token.
    for (token, error) in [
        ("", "missing `Authorization: Bearer <token>` header"),
        ("shk_wrong", "invalid or revoked token"),
    ] {
        let err = py_client(&url, token, "auto", json!([])).await.unwrap_err();
        assert_eq!(err.sdk_error(), PY_UNAUTHORIZED, "{token:?}");
        let err = ts_client(&url, token, json!([])).await.unwrap_err();
        assert_eq!(
            ts_refusal(&err),
            (401, json!({"code": "unauthorized", "error": error})),
            "{token:?}"
        );
    }

    // On the wire: 401 with the challenge, 403 without the scope, 404 for
    // another tenant's agent (never a tool list), 403 for a foreign Origin.
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}});
    let body = init.to_string();
    let post = |token: Option<String>, extra: &'static [(&'static str, &'static str)]| {
        let body = body.clone();
        let server = &server;
        async move {
            let mut headers: Vec<(&str, &str)> = vec![
                ("content-type", "application/json"),
                ("accept", "application/json, text/event-stream"),
                ("mcp-protocol-version", "2025-11-25"),
            ];
            headers.extend_from_slice(extra);
            let r = server
                .send(
                    "POST",
                    "/mcp/agents/bot",
                    token.as_deref(),
                    &headers,
                    Some(body.as_bytes()),
                )
                .await;
            let challenge = r
                .headers
                .get("www-authenticate")
                .map(|v| v.to_str().unwrap().to_owned());
            (r.status, challenge, r.text)
        }
    };
    let (status, challenge, _) = post(None, &[]).await;
    assert_eq!(status, 401);
    let challenge = challenge.unwrap();
    assert!(
        challenge.starts_with("Bearer resource_metadata=\"http://127.0.0.1:")
            && challenge.ends_with("/.well-known/oauth-protected-resource/mcp/agents/bot\""),
        "{challenge}"
    );
    let (status, _, _) = post(Some("shk_wrong".into()), &[]).await;
    assert_eq!(status, 401);
    let (status, _, body) = post(Some(writer_only), &[]).await;
    assert_eq!(status, 403, "{body}");
    let (status, _, body) = post(Some(other), &[]).await;
    assert_eq!(status, 404, "{body}");
    assert!(!body.contains("slugify"));
    let (status, _, body) = post(Some(admin.clone()), &[("origin", "https://evil.example")]).await;
    assert_eq!(status, 403, "{body}");
    let (status, _, body) = post(Some(admin.clone()), &[("host", "rebound.example")]).await;
    assert_eq!(status, 403, "a Host the operator did not allow: {body}");
    let (status, _, body) = post(Some(admin), &[]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("text-tools__slugify"), "{body}");

    // The protected-resource document, plain and path-suffixed.
    for path in [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp/agents/bot",
    ] {
        let r = server.request("GET", path, None, None).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json["bearer_methods_supported"], json!(["header"]));
        assert!(
            r.json["resource"]
                .as_str()
                .unwrap()
                .ends_with(path.trim_start_matches("/.well-known/oauth-protected-resource"))
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_mcp_server_integration_exposes_its_skillset_to_the_official_clients() {
    let upstream = skillhost_tests::Upstream::start("127.0.0.1");
    let server = TestServer::start("mcp-integration").await;
    let admin = server.tenant("acme").await;
    let r = server
        .request(
            "POST",
            "/api/v1/secret/create",
            Some(&admin),
            Some(json!({"name": "echo key", "value": "ek-5f1d9c3a", "type": "bearer"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = server
        .request(
            "POST",
            "/api/v1/skillset/create",
            Some(&admin),
            Some(json!({"name": "Tools", "description": "d"})),
        )
        .await;
    let skillset = r.json["id"].as_str().unwrap().to_owned();
    let instruction = format!(
        "```fetch\nGET http://127.0.0.1:{}/echo?q=$[q euc!|what to echo]\nAuthorization: ${{SECRET_ECHO_KEY}}\n```",
        upstream.addr.port()
    );
    let r = server
        .request(
            "POST",
            &format!("/api/v1/skillset/{skillset}/ability/create"),
            Some(&admin),
            Some(json!({"name": "Echo It", "description": "Echoes", "instruction": instruction})),
        )
        .await;
    let echo = r.json["id"].as_str().unwrap().to_owned();
    let r = server
        .request(
            "POST",
            &format!("/api/v1/skillset/{skillset}/ability/{echo}/approve"),
            Some(&admin),
            Some(json!({"allowPrivateNetwork": true})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let calc = server.installed(&admin, "calc").await;
    server.approve(&admin, &calc, None).await;
    let r = server
        .request("POST", &format!("/api/v1/skillset/{skillset}/ability/create"), Some(&admin), Some(json!({"name": "evaluate", "description": "Arithmetic", "skillId": calc, "ability": "evaluate"})))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = server
        .request(
            "POST",
            "/api/v1/integration/mcpserver/create",
            Some(&admin),
            Some(json!({"skillsetId": skillset, "name": "tools"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let id = r.json["id"].as_str().unwrap().to_owned();
    let token = r.json["accessToken"].as_str().unwrap().to_owned();
    let url = format!("http://{}/integration/mcpserver/{id}/mcp", server.addr);
    let plan = json!([
        {"name": "echo_it", "arguments": {"q": "hi there"}},
        {"name": "evaluate", "arguments": {"args": ["6*7"]}},
        {"name": "echo_it", "arguments": {}},
    ]);
    let (u, t, p) = (url.clone(), token.clone(), plan.clone());
    let auto = py_client(&u, &t, "auto", p).await.unwrap();
    let (u, t, p) = (url.clone(), token.clone(), plan.clone());
    let node = ts_client(&u, &t, p).await.unwrap();
    for listing in [&auto, &node] {
        let mut listed = names(listing);
        listed.sort();
        assert_eq!(listed, ["echo_it", "evaluate"], "{listing}");
        let echo_tool = listing["tools"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "echo_it")
            .unwrap();
        assert_eq!(echo_tool["inputSchema"]["required"], json!(["q"]));
        assert_eq!(echo_tool["annotations"]["openWorldHint"], true);
        let calls = listing["calls"].as_array().unwrap();
        assert_eq!(calls[0]["isError"], false, "{listing}");
        // The upstream echoes the injected credential: redacted.
        let text = calls[0]["text"][0].as_str().unwrap();
        assert!(
            text.contains("[secret:echo key]") && !text.contains("ek-5f1d9c3a"),
            "{text}"
        );
        assert_eq!(calls[0]["structured"]["path"], "/echo?q=hi%20there");
        assert_eq!(
            calls[1]["text"][0].as_str().unwrap().trim(),
            "42",
            "{listing}"
        );
        assert_eq!(calls[2]["isError"], true);
        assert!(
            calls[2]["text"][0]
                .as_str()
                .unwrap()
                .starts_with("invalid_input"),
            "{listing}"
        );
    }
    let r = server
        .request("GET", "/api/audit?limit=100", Some(&admin), None)
        .await;
    let ours = r.json["invocations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["surface"] == "mcp" && i["integrationId"] == id.as_str())
        .count();
    assert_eq!(ours, 6, "{}", r.text);

    // A wrong token, another integration's, or a deleted one: refused.
    let r = server
        .request(
            "POST",
            "/api/v1/integration/mcpserver/create",
            Some(&admin),
            Some(json!({"skillsetId": skillset})),
        )
        .await;
    let other_token = r.json["accessToken"].as_str().unwrap().to_owned();
    for bad in ["sks_wrong", other_token.as_str()] {
        let err = py_client(&url, bad, "auto", json!([])).await.unwrap_err();
        assert_eq!(err.sdk_error(), PY_UNAUTHORIZED, "{bad}");
    }
    let r = server
        .request(
            "POST",
            &format!("/api/v1/integration/mcpserver/{id}/delete"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    let err = ts_client(&url, &token, json!([])).await.unwrap_err();
    assert_eq!(
        ts_refusal(&err),
        (
            401,
            json!({"code": "unauthorized", "error": "send this MCP server's access token as `Authorization: Bearer <token>`"})
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn seed_001_tools_discover_request_and_an_admin_approves() {
    let server = TestServer::start("mcp-seed001").await;
    let admin = server.tenant("acme").await;
    let other = server.tenant("globex").await;
    server.install_for_agent(&admin, "text-tools", "bot").await;
    let mut ids = Vec::new();
    for guest in ["calc", "hostile"] {
        let id = server.installed(&admin, guest).await;
        server.approve(&admin, &id, None).await;
        ids.push(id);
    }
    let calc = ids[0].clone();
    let agent_token = server.token(&admin, &["skills:read"]).await;
    let url = format!("http://{}/mcp/agents/bot", server.addr);
    let plan = json!([
        {"name": "skill_discover", "arguments": {}},
        {"name": "skill_discover", "arguments": {"query": "ARITHMETIC"}},
        {"name": "skill_query", "arguments": {"skillId": "text-tools", "query": "how do I slugify?"}},
        {"name": "skill_query", "arguments": {"skillId": calc}},
        {"name": "skill_request", "arguments": {"skillId": calc, "reason": "I need to do sums"}},
        {"name": "skill_request", "arguments": {"skillId": calc, "reason": "asking twice"}},
        {"name": "connector_discover", "arguments": {}},
        {"name": "connector_request", "arguments": {"integrationId": "github", "reason": "to read issues"}},
        {"name": "skill_request", "arguments": {"skillId": "text-tools", "reason": "have it"}},
    ]);
    let (u, t, p) = (url.clone(), agent_token.clone(), plan);
    let out = py_client(&u, &t, "auto", p).await.unwrap();
    let listed = names(&out);
    for tool in [
        "skill_query",
        "skill_discover",
        "skill_request",
        "connector_discover",
        "connector_request",
    ] {
        assert!(listed.contains(&tool.to_owned()), "{tool}: {out}");
    }
    let calls = out["calls"].as_array().unwrap();
    let discovered = &calls[0]["structured"]["skills"];
    let by_name = |n: &str| {
        discovered
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == n)
            .cloned()
            .unwrap()
    };
    assert_eq!(by_name("text-tools")["assignedToMe"], true, "{out}");
    assert_eq!(by_name("calc")["assignedToMe"], false);
    assert_eq!(by_name("calc")["version"], "1.0.0");
    assert_eq!(calls[1]["structured"]["total"], 1, "{out}");
    let query = &calls[2]["structured"];
    assert_eq!(query["skill"]["name"], "text-tools", "{out}");
    assert!(
        query["instructions"]
            .as_str()
            .unwrap()
            .contains("text-tools__slugify")
    );
    assert_eq!(query["availableReferences"], json!([]));
    assert_eq!(calls[3]["isError"], true);
    assert!(
        calls[3]["text"][0]
            .as_str()
            .unwrap()
            .starts_with("not_assigned"),
        "{out}"
    );
    let task = calls[4]["structured"]["taskId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(calls[4]["structured"]["status"], "pending");
    assert_eq!(
        calls[5]["structured"]["taskId"],
        task.as_str(),
        "a second identical request returns the first task"
    );
    let connectors = &calls[6]["structured"];
    assert!(
        connectors["available"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == "declared_secret"),
        "{connectors}"
    );
    assert!(
        connectors["suggestedSkills"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["integrationId"] == "declared_secret"
                && s["suggestedSkills"] == json!(["hostile"]))
    );
    let connector_task = calls[7]["structured"]["taskId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        calls[8]["text"][0]
            .as_str()
            .unwrap()
            .starts_with("already_assigned"),
        "{out}"
    );

    // The agent's token can ask, never decide; another tenant sees nothing.
    for (method, path) in [
        ("GET", "/api/tasks".to_owned()),
        ("POST", format!("/api/tasks/{task}/approve")),
    ] {
        let r = server
            .request(method, &path, Some(&agent_token), None)
            .await;
        assert_eq!(r.status, 403, "{path}: {}", r.text);
        let r = server.request(method, &path, None, None).await;
        assert_eq!(r.status, 401);
    }
    let r = server
        .request(
            "POST",
            &format!("/api/tasks/{task}/approve"),
            Some(&other),
            None,
        )
        .await;
    assert_eq!(r.status, 404);
    let r = server
        .request("GET", "/api/tasks", Some(&other), None)
        .await;
    assert_eq!(r.json["total"], 0);

    let r = server
        .request("GET", "/api/tasks?status=pending", Some(&admin), None)
        .await;
    assert_eq!(r.json["total"], 2, "{}", r.text);
    let r = server
        .request(
            "POST",
            &format!("/api/tasks/{task}/approve"),
            Some(&admin),
            Some(json!({"note": "ok"})),
        )
        .await;
    assert_eq!(
        (r.status, r.json["task"]["status"].as_str()),
        (200, Some("approved")),
        "{}",
        r.text
    );
    let r = server
        .request(
            "POST",
            &format!("/api/tasks/{task}/approve"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (409, Some("task_decided"))
    );
    let r = server
        .request(
            "POST",
            &format!("/api/tasks/{connector_task}/deny"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.json["task"]["status"], "denied", "{}", r.text);
    let r = server
        .request("GET", "/api/tasks?status=bogus", Some(&admin), None)
        .await;
    assert_eq!(r.status, 400);

    // Approved: the skill is the agent's, and its tools are listed.
    let (u, t) = (url.clone(), agent_token.clone());
    let after = ts_client(
        &u,
        &t,
        json!([{"name": "calc__evaluate", "arguments": {"args": ["2+2"]}}]),
    )
    .await
    .unwrap();
    assert!(
        names(&after).contains(&"calc__evaluate".to_owned()),
        "{after}"
    );
    assert_eq!(
        after["calls"][0]["text"][0].as_str().unwrap().trim(),
        "4",
        "{after}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_listening_client_hears_that_its_tools_changed() {
    use std::io::{BufRead, BufReader};
    let server = TestServer::start("mcp-listen").await;
    let admin = server.tenant("acme").await;
    server.install_for_agent(&admin, "text-tools", "bot").await;
    let calc = server.installed(&admin, "calc").await;
    server.approve(&admin, &calc, None).await;
    let url = format!("http://{}/mcp/agents/bot", server.addr);
    let mut child = KillOnDrop(
        Command::new(python())
            .arg(clients_dir().join("listen.py"))
            .args([&url, &admin])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("python runs"),
    );
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let first = tokio::task::spawn_blocking(move || {
        let first = lines.next().and_then(Result::ok);
        (first, lines)
    })
    .await
    .unwrap();
    let (ready, mut lines) = first;
    assert_eq!(ready.as_deref(), Some("listening"));
    // An assignment on the REST surface changes what the agent may call.
    let r = server
        .request(
            "POST",
            &format!("/api/skills/{calc}/assign"),
            Some(&admin),
            Some(json!({"agentId": "bot"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let heard = tokio::task::spawn_blocking(move || lines.next().and_then(Result::ok))
        .await
        .unwrap();
    let status = child.0.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.0.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "{stderr}");
    let names: Vec<String> = serde_json::from_str(&heard.expect("a notification")).unwrap();
    assert!(names.contains(&"calc__evaluate".to_owned()), "{names:?}");
}

const REMOTE_SECRET: &str = "rk-5f0c9a1e77d2";

#[tokio::test(flavor = "multi_thread")]
async fn an_agents_remote_mcp_servers_and_attached_skillsets_are_its_tools() {
    let remote = RemoteMcpServer::start();
    let upstream = skillhost_tests::Upstream::start("127.0.0.1");
    let s = TestServer::start("mcp-remote").await;
    let admin = s.tenant("acme").await;
    let other = s.tenant("globex").await;
    s.install_for_agent(&admin, "text-tools", "bot").await;
    let writer = s.token(&admin, &["skills:read", "skills:write"]).await;
    let reader = s.token(&admin, &["skills:read"]).await;
    let r = s
        .request(
            "POST",
            "/api/v1/secret/create",
            Some(&admin),
            Some(json!({"name": "remote key", "value": REMOTE_SECRET, "type": "bearer"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let secret = r.json["id"].as_str().unwrap().to_owned();
    let servers = "/api/agents/bot/mcp/servers";
    let good = json!({"name": "remote", "url": remote.url, "headers": {"X-Team": "blue"}, "secretId": secret});

    // Refusals, each precise, none stored.
    for (token, body, status, code) in [
        (
            &writer,
            json!({"name": "pg", "command": "mcp-postgres", "args": ["postgresql://u:p@db/x"], "env": {}}),
            422,
            "stdio_transport_unsupported",
        ),
        (&writer, json!({"name": "remote"}), 422, "url_required"),
        (
            &writer,
            json!({"name": "Bad_Name", "url": remote.url}),
            422,
            "invalid_name",
        ),
        (
            &writer,
            json!({"name": "remote", "url": "ftp://example.com/mcp"}),
            422,
            "invalid_url",
        ),
        (
            &writer,
            json!({"name": "remote", "url": remote.url, "headers": {"Authorization": "Bearer x"}}),
            422,
            "reserved_header",
        ),
        (
            &writer,
            json!({"name": "remote", "url": remote.url, "secretId": "nope"}),
            422,
            "secret_not_found",
        ),
        (
            &writer,
            json!({"name": "text-tools", "url": remote.url}),
            409,
            "name_taken",
        ),
        (
            &writer,
            json!({"name": "remote", "url": remote.url, "allowPrivateNetwork": true}),
            403,
            "",
        ),
        (&reader, good.clone(), 403, ""),
    ] {
        let r = s
            .request("POST", servers, Some(token), Some(body.clone()))
            .await;
        assert_eq!(r.status, status, "{body}: {}", r.text);
        if !code.is_empty() {
            assert_eq!(r.json["code"], code, "{}", r.text);
        }
    }
    let r = s
        .request(
            "POST",
            servers,
            Some(&writer),
            Some(json!({"name": "pg", "command": "x"})),
        )
        .await;
    assert!(
        r.json["error"]
            .as_str()
            .unwrap()
            .contains("starts no host processes"),
        "{}",
        r.text
    );
    for token in [None, Some("shk_wrong")] {
        let r = s.request("GET", servers, token, None).await;
        assert_eq!(r.status, 401, "{}", r.text);
    }
    let r = s
        .request("POST", servers, Some(&other), Some(good.clone()))
        .await;
    assert_eq!(r.status, 404, "another tenant's agent: {}", r.text);
    let r = s.request("GET", servers, Some(&admin), None).await;
    assert_eq!(r.json["servers"], json!([]), "{}", r.text);

    // A writer may not send a tenant secret to a URL of its choosing.
    let r = s
        .request("POST", servers, Some(&writer), Some(good.clone()))
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert!(r.text.contains("admin's decision"), "{}", r.text);
    // Added by a writer without one: pending until an admin approves;
    // nothing is called.
    let mut unsigned = good.clone();
    unsigned.as_object_mut().unwrap().remove("secretId");
    let r = s
        .request("POST", servers, Some(&writer), Some(unsigned.clone()))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["approval"], "pending");
    let r = s
        .request("POST", servers, Some(&writer), Some(unsigned.clone()))
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    let invoke = "/api/agents/bot/mcp/invoke";
    let add = json!({"server": "remote", "tool": "add", "arguments": {"a": 2, "b": 3}});
    let r = s
        .request("POST", invoke, Some(&reader), Some(add.clone()))
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.json["code"], "approval_pending");
    let approve = "/api/agents/bot/mcp/servers/remote/approve";
    let r = s.request("POST", approve, Some(&writer), None).await;
    assert_eq!(r.status, 403, "only an admin approves: {}", r.text);
    let r = s.request("POST", approve, Some(&other), None).await;
    assert_eq!(r.status, 404, "{}", r.text);

    // Approved as it is, 127.0.0.1 stays out of reach: the guard says why.
    let r = s.request("POST", approve, Some(&admin), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["status"], "error", "{}", r.text);
    let why = r.json["error"].as_str().unwrap();
    assert!(why.contains("127.0.0.1"), "{why}");
    // An admin lets it reach the private network.
    let r = s
        .request(
            "POST",
            approve,
            Some(&admin),
            Some(json!({"allowPrivateNetwork": true})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["status"], "connected", "{}", r.text);
    assert_eq!(r.json["tools_count"], 3, "{}", r.text);
    let r = s.request("GET", servers, Some(&reader), None).await;
    assert_eq!(r.json["servers"][0]["name"], "remote");
    assert_eq!(r.json["servers"][0]["status"], "connected");
    assert_eq!(r.json["servers"][0]["tools_count"], 3);
    let r = s
        .request("GET", "/api/agents/bot/mcp/tools", Some(&reader), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let tools = r.json["tools"].as_array().unwrap();
    let add_tool = tools.iter().find(|t| t["name"] == "add").unwrap();
    assert_eq!(add_tool["server"], "remote");
    assert_eq!(
        add_tool["input_schema"]["properties"]["a"]["type"], "integer",
        "{add_tool}"
    );

    // The admin binds the secret: it replaces the writer's server with one
    // that sends the credential.
    let r = s
        .request(
            "DELETE",
            "/api/agents/bot/mcp/servers/remote",
            Some(&writer),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let mut signed = good.clone();
    signed["allowPrivateNetwork"] = json!(true);
    let r = s.request("POST", servers, Some(&admin), Some(signed)).await;
    assert_eq!(
        (r.status, &r.json["status"]),
        (201, &json!("connected")),
        "{}",
        r.text
    );
    assert!(!r.text.contains(REMOTE_SECRET));

    // Seed 003's invoke: the credential is injected by the host and
    // redacted from what the server echoes.
    let r = s
        .request("POST", invoke, Some(&reader), Some(add.clone()))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["success"], true);
    assert_eq!(r.json["content"][0]["type"], "text");
    assert_eq!(r.json["content"][0]["text"], "5", "{}", r.text);
    let whoami = json!({"server": "remote", "tool": "whoami", "arguments": {}});
    let r = s.request("POST", invoke, Some(&reader), Some(whoami)).await;
    let text = r.json["content"][0]["text"].as_str().unwrap();
    assert!(
        text.contains("authorization=Bearer [secret:remote key]"),
        "{text}"
    );
    assert!(text.contains("team=blue"), "{text}");
    assert!(!r.text.contains(REMOTE_SECRET));
    let fail = json!({"server": "remote", "tool": "fail", "arguments": {"reason": "test"}});
    let r = s.request("POST", invoke, Some(&reader), Some(fail)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["success"], false, "{}", r.text);
    assert!(r.text.contains("Error executing tool fail"), "{}", r.text);
    for (body, status) in [
        (json!({"server": "remote", "tool": "nope"}), 404),
        (json!({"server": "nope", "tool": "add"}), 404),
        (json!({"server": "remote"}), 400),
    ] {
        let r = s
            .request("POST", invoke, Some(&reader), Some(body.clone()))
            .await;
        assert_eq!(r.status, status, "{body}: {}", r.text);
    }
    let r = s
        .request("POST", invoke, Some(&other), Some(add.clone()))
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = s.request("POST", invoke, None, Some(add.clone())).await;
    assert_eq!(r.status, 401, "{}", r.text);
    // Audited, with the requests made and without the credential.
    let r = s
        .request("GET", "/api/audit?skill=mcp:remote", Some(&admin), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(!r.text.contains(REMOTE_SECRET));
    let outcomes: Vec<&str> = r.json["invocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["outcome"].as_str().unwrap())
        .collect();
    assert!(
        outcomes.contains(&"success")
            && outcomes.contains(&"failed")
            && outcomes.contains(&"refused"),
        "{}",
        r.text
    );

    // An instruction ability, through a skillset attached to the agent.
    let r = s
        .request(
            "POST",
            "/api/v1/skillset/create",
            Some(&admin),
            Some(json!({"name": "Bytes", "description": "Byte patterns"})),
        )
        .await;
    let skillset = r.json["id"].as_str().unwrap().to_owned();
    let instruction = format!(
        "```fetch\nhttp://127.0.0.1:{}/keepalive?size=$[size num default<10>]\n```",
        upstream.addr.port()
    );
    let r = s
        .request(
            "POST",
            &format!("/api/v1/skillset/{skillset}/ability/create"),
            Some(&admin),
            Some(json!({"name": "pattern", "description": "A byte pattern", "instruction": instruction})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let ability = r.json["id"].as_str().unwrap().to_owned();
    // A second ability an admin never approves: attached with the
    // skillset, it is neither listed nor callable.
    let r = s
        .request(
            "POST",
            &format!("/api/v1/skillset/{skillset}/ability/create"),
            Some(&writer),
            Some(json!({"name": "unapproved", "description": "Waits for an admin", "instruction": instruction})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = s
        .request(
            "POST",
            &format!("/api/v1/skillset/{skillset}/ability/{ability}/approve"),
            Some(&admin),
            Some(json!({"allowPrivateNetwork": true})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let attach = format!("/api/agents/bot/skillsets/{skillset}");
    let r = s.request("PUT", &attach, Some(&reader), None).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = s.request("PUT", &attach, Some(&other), None).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = s.request("PUT", &attach, Some(&writer), None).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = s.request("PUT", &attach, Some(&writer), None).await;
    assert_eq!(r.status, 200, "attaching again changes nothing: {}", r.text);
    let r = s
        .request("GET", "/api/agents/bot/skillsets", Some(&reader), None)
        .await;
    assert_eq!(
        r.json["skillsets"][0]["id"],
        skillset.as_str(),
        "{}",
        r.text
    );

    // The official clients see and call all three kinds.
    let url = format!("http://{}/mcp/agents/bot", s.addr);
    let plan = json!([
        {"name": "text-tools__slugify", "arguments": {"text": "Remote And Local"}},
        {"name": "remote__add", "arguments": {"a": 20, "b": 22}},
        {"name": "remote__whoami", "arguments": {}},
        {"name": "pattern", "arguments": {"size": 16}},
        {"name": "remote__fail", "arguments": {"reason": "x"}},
        {"name": "unapproved", "arguments": {"size": 4}},
    ]);
    let auto = py_client(&url, &reader, "auto", plan.clone())
        .await
        .unwrap();
    let node = ts_client(&url, &reader, plan).await.unwrap();
    for listing in [&auto, &node] {
        let listed = names(listing);
        for name in [
            "text-tools__slugify",
            "remote__add",
            "remote__whoami",
            "pattern",
            "skill_query",
        ] {
            assert!(listed.contains(&name.to_owned()), "{name}: {listing}");
        }
        let calls = listing["calls"].as_array().unwrap();
        assert_eq!(calls[0]["text"][0], "remote-and-local", "{listing}");
        assert_eq!(calls[1]["text"][0], "42", "{listing}");
        let who = calls[2]["text"][0].as_str().unwrap();
        assert!(
            who.contains("[secret:remote key]") && !who.contains(REMOTE_SECRET),
            "{who}"
        );
        assert_eq!(calls[3]["isError"], false, "{listing}");
        assert_eq!(calls[3]["text"][0], "abcdefghijklmnop", "{listing}");
        assert_eq!(calls[4]["isError"], true, "{listing}");
        assert!(!listed.contains(&"unapproved".to_owned()), "{listing}");
        assert!(
            calls[5]["protocolError"]
                .as_str()
                .unwrap()
                .contains("no tool `unapproved`"),
            "{listing}"
        );
    }

    // Its secret deleted: the server is in error, saying why, and a call
    // is refused as ours to fix.
    let r = s
        .request(
            "POST",
            &format!("/api/v1/secret/{secret}/delete"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = s
        .request(
            "POST",
            "/api/agents/bot/mcp/servers/remote/refresh",
            Some(&reader),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["status"], "error", "{}", r.text);
    assert!(
        r.json["error"]
            .as_str()
            .unwrap()
            .contains("no longer exists"),
        "{}",
        r.text
    );
    assert_eq!(
        r.json["tools_count"], 3,
        "the last good list is kept: {}",
        r.text
    );
    let r = s
        .request("POST", invoke, Some(&reader), Some(add.clone()))
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json["code"], "secret_not_set", "{}", r.text);

    // Detached and deleted: gone from the agent's tools.
    let r = s.request("DELETE", &attach, Some(&writer), None).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = s
        .request(
            "DELETE",
            "/api/agents/bot/mcp/servers/remote",
            Some(&reader),
            None,
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = s
        .request(
            "DELETE",
            "/api/agents/bot/mcp/servers/remote",
            Some(&writer),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = s
        .request(
            "DELETE",
            "/api/agents/bot/mcp/servers/remote",
            Some(&writer),
            None,
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    let after = py_client(&url, &reader, "auto", json!([])).await.unwrap();
    let listed = names(&after);
    assert!(listed.contains(&"text-tools__slugify".to_owned()));
    assert!(
        !listed
            .iter()
            .any(|n| n.starts_with("remote__") || n == "pattern"),
        "{after}"
    );
}
