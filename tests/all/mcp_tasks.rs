//! MCP's tasks extension on an agent's endpoint, driven by its official
//! client (`@modelcontextprotocol/ext-tasks` with the TypeScript SDK 2.x;
//! `tests/mcp/tasks.mjs`) against a real server, on SQLite or PostgreSQL:
//! a long call becomes a task and a short one does not; a client that did
//! not ask for tasks gets the plain result; cancelling stops the guest; a
//! task is its caller's alone and gone after its TTL. (Replicas: the
//! fleet tests in host/tests/fleet.rs.)
use serde_json::{Value, json};
use skillhost::server::ServiceOptions;
use skillhost::services::McpTaskSettings;
use skillhost_tests::http::TestServer;
use skillhost_tests::mcp::ts_tasks;
use std::time::{Duration, Instant};

fn step<'a>(steps: &'a [Value], label: &str, op: &str) -> &'a Value {
    steps
        .iter()
        .find(|s| s["label"] == label && s["op"] == op)
        .unwrap_or_else(|| panic!("no {op} step {label} in {steps:?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn long_calls_become_tasks_only_their_caller_reads_cancels_and_outlives() {
    let options = ServiceOptions {
        mcp_tasks: McpTaskSettings {
            after: Duration::from_millis(1500),
            ttl: Duration::from_secs(15),
            lease: Duration::from_secs(30),
        },
        ..ServiceOptions::default()
    };
    // One sandbox slot: a guest still spinning after its task was
    // cancelled would hold it, and the next call would have to wait.
    let s = TestServer::start_with_pool("mcp-tasks", options, 1).await;
    let admin = s.tenant("acme").await;
    // hostile's limit is 2 s: over the threshold, a task. Its secret is
    // bound, to see a task's result redacted like any other.
    let r = s
        .request(
            "POST",
            "/api/v1/secret/create",
            Some(&admin),
            Some(json!({"name": "declared", "value": "t4sk-s3cr3t-value", "type": "plain"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let secret = r.json["id"].as_str().unwrap().to_owned();
    let hostile = s.installed(&admin, "hostile").await;
    s.approve(
        &admin,
        &hostile,
        Some(json!({"secrets": {"DECLARED_SECRET": {"secretId": secret}}})),
    )
    .await;
    s.agent(&admin, "bot").await;
    s.assign(&admin, &hostile, json!({"agentId": "bot"})).await;
    // text-tools, granted 1 s: under it, a plain answer.
    let text = s.installed(&admin, "text-tools").await;
    s.approve(&admin, &text, Some(json!({"limits": {"timeoutMs": 1000}})))
        .await;
    s.assign(&admin, &text, json!({"agentId": "bot"})).await;
    s.agent(&admin, "scout").await;
    // A remote MCP server's tool is always long: it answers with a task.
    let remote = skillhost_tests::mcp::RemoteMcpServer::start();
    s.mcp_server(
        &admin,
        "bot",
        json!({"name": "remote", "url": remote.url, "allowPrivateNetwork": true}),
    )
    .await;
    let token = s.token(&admin, &["skills:read"]).await;
    let bot = format!("http://{}/mcp/agents/bot", s.addr);

    let started = Instant::now();
    let steps = ts_tasks(
        &token,
        json!([
            {"op": "call", "label": "ok", "url": bot, "name": "hostile__ok"},
            {"op": "call", "label": "short", "url": bot, "name": "text-tools__word_count", "arguments": {"text": "a b c"}},
            {"op": "call", "label": "secret", "url": bot, "name": "hostile__secret", "arguments": {"target": "DECLARED_SECRET"}},
            {"op": "call", "label": "remote", "url": bot, "name": "remote__add", "arguments": {"a": 2, "b": 3}},
            {"op": "start", "label": "spin", "url": bot, "name": "hostile__spin"},
            {"op": "sleep", "ms": 300},
            {"op": "get", "label": "spin", "url": bot},
            {"op": "cancel", "label": "spin"},
            // Cancellation is eventually consistent: the replica records it
            // once the call has stopped.
            {"op": "sleep", "ms": 1000},
            {"op": "get", "label": "spin", "url": bot},
            // The one slot is free again at once.
            {"op": "call", "label": "after-cancel", "url": bot, "name": "hostile__ok"},
            {"op": "call", "label": "timeout", "url": bot, "name": "hostile__spin"},
            {"op": "update", "label": "ok", "url": bot},
            {"op": "get", "label": "ok", "url": bot},
            {"op": "plain", "label": "plain", "url": bot, "name": "hostile__ok"},
            {"op": "get", "label": "unknown", "taskId": "no-such-task", "url": bot},
            {"op": "raw", "label": "wrong-name", "url": bot, "method": "tasks/get", "taskId": "x", "mcpName": "y"},
            {"op": "raw", "label": "undeclared", "url": bot, "method": "tasks/get", "taskId": "x", "declare": false},
        ]),
    )
    .await;
    let ok = step(&steps, "ok", "call");
    assert_eq!(ok["serverDeclared"], json!({}), "{steps:?}");
    assert_eq!(ok["kind"], "task", "{steps:?}");
    assert_eq!(
        ok["outcome"],
        json!({"status": "completed", "isError": false, "text": ["ok"]})
    );
    let secret = step(&steps, "secret", "call");
    assert_eq!(secret["kind"], "task", "{steps:?}");
    assert_eq!(
        secret["outcome"]["text"],
        json!(["[secret:DECLARED_SECRET]"]),
        "{steps:?}"
    );
    assert!(!format!("{steps:?}").contains("t4sk-s3cr3t-value"));
    let remote = step(&steps, "remote", "call");
    assert_eq!(remote["kind"], "task", "{steps:?}");
    assert_eq!(remote["outcome"]["text"], json!(["5"]), "{steps:?}");
    let short = step(&steps, "short", "call");
    assert_eq!(short["kind"], "immediate", "{steps:?}");
    assert_eq!(short["outcome"]["status"], "completed");

    // Cancelled while working; the guest stopped well before its 2 s limit.
    let gets: Vec<&Value> = steps
        .iter()
        .filter(|s| s["label"] == "spin" && s["op"] == "get")
        .collect();
    assert_eq!(gets[0]["task"]["status"], "working", "{steps:?}");
    assert_eq!(gets[0]["task"]["ttlMs"], 15000);
    assert_eq!(gets[0]["task"]["pollIntervalMs"], 500);
    assert_eq!(
        step(&steps, "spin", "cancel")["outcome"]["status"],
        "cancelled",
        "{steps:?}"
    );
    assert_eq!(gets[1]["task"]["status"], "cancelled", "{steps:?}");
    assert_eq!(
        step(&steps, "after-cancel", "call")["outcome"]["text"],
        json!(["ok"]),
        "{steps:?}"
    );
    // A guest's timeout is a tool error: the task completed, with isError.
    let timeout = &step(&steps, "timeout", "call")["outcome"];
    assert_eq!(
        (&timeout["status"], &timeout["isError"]),
        (&json!("completed"), &json!(true)),
        "{steps:?}"
    );
    assert!(
        timeout["text"][0].as_str().unwrap().contains("timeout"),
        "{timeout}"
    );
    // No ability asks for input: a response nobody asked for is ignored.
    assert_eq!(step(&steps, "ok", "update")["updated"], true, "{steps:?}");
    assert_eq!(step(&steps, "ok", "get")["task"]["status"], "completed");
    // A client that did not ask for tasks gets the plain result.
    let plain = step(&steps, "plain", "plain");
    assert_eq!(
        (&plain["isError"], &plain["text"]),
        (&json!(false), &json!(["ok"])),
        "{steps:?}"
    );
    assert_eq!(step(&steps, "unknown", "get")["code"], -32602, "{steps:?}");
    // Mcp-Name must name the task; a request that did not declare the
    // extension is refused as the extension says.
    let wrong = step(&steps, "wrong-name", "raw");
    assert_eq!(
        (&wrong["status"], &wrong["error"]["code"]),
        (&json!(400), &json!(-32020)),
        "{steps:?}"
    );
    let undeclared = step(&steps, "undeclared", "raw");
    assert_eq!(undeclared["error"]["code"], -32021, "{steps:?}");

    // Only its caller sees a task: not another token of the tenant, not
    // the same token on another agent, not another tenant's admin.
    let task = ok["taskId"].as_str().unwrap().to_owned();
    // Its caller sees it.
    let steps = ts_tasks(
        &token,
        json!([{"op": "get", "label": "mine", "taskId": task, "url": bot}]),
    )
    .await;
    assert_eq!(
        step(&steps, "mine", "get")["task"]["status"],
        "completed",
        "{steps:?}"
    );
    let scout = format!("http://{}/mcp/agents/scout", s.addr);
    let other_token = s.token(&admin, &["skills:read", "skills:write"]).await;
    let globex = s.tenant("globex").await;
    s.install_for_agent(&globex, "hostile", "bot").await;
    for (token, url) in [(&other_token, &bot), (&token, &scout), (&globex, &bot)] {
        let steps = ts_tasks(
            token,
            json!([
                {"op": "get", "label": "theirs", "taskId": task, "url": url},
                {"op": "raw", "label": "cancel", "url": url, "method": "tasks/cancel", "taskId": task},
            ]),
        )
        .await;
        assert_eq!(step(&steps, "theirs", "get")["code"], -32602, "{steps:?}");
        assert_eq!(
            step(&steps, "cancel", "raw")["error"]["code"],
            -32602,
            "{steps:?}"
        );
    }
    // After its TTL nobody sees it.
    // (The task was created after `started`, by the time node started.)
    tokio::time::sleep(Duration::from_secs(17).saturating_sub(started.elapsed())).await;
    let steps = ts_tasks(
        &token,
        json!([{"op": "get", "label": "mine", "taskId": task, "url": bot}]),
    )
    .await;
    assert_eq!(step(&steps, "mine", "get")["code"], -32602, "{steps:?}");
}
