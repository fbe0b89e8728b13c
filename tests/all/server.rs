//! The HTTP service against a real server on 127.0.0.1 with a real SQLite
//! file: health, tenants, tokens and agents, with every refusal (no token,
//! wrong token, missing scope, other tenant, bad body, unknown ids).
use serde_json::json;
use skillhost::server::ServiceOptions;
use skillhost_tests::http::{Cache, OPERATOR_TOKEN, TestServer};

#[tokio::test]
async fn health_and_readiness_and_request_ids() {
    let server = TestServer::start("health").await;
    let r = server.request("GET", "/healthz", None, None).await;
    assert_eq!((r.status, r.json["status"].as_str()), (200, Some("ok")));
    let r = server.request("GET", "/readyz", None, None).await;
    assert_eq!((r.status, r.json["status"].as_str()), (200, Some("ready")));
    assert!(
        r.request_id.as_deref().is_some_and(|id| id.len() == 36),
        "{:?}",
        r.request_id
    );
    let r = server.request("GET", "/nope", None, None).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json["code"], "not_found");
    let _ = std::fs::remove_dir_all(server.stop().await);
}

#[tokio::test]
async fn readiness_waits_for_every_migration() {
    let server = TestServer::start("readiness").await;
    let url = skillhost_tests::backend::store_config(&server.data_dir)
        .database_url
        .unwrap_or_else(|| {
            format!(
                "sqlite://{}",
                server.data_dir.join("skillhost.db").display()
            )
        });
    sqlx::any::install_default_drivers();
    let mut db = <sqlx::AnyConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    // As if this build's newest migration had not run yet.
    sqlx::query("UPDATE _sqlx_migrations SET success = false WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)")
        .execute(&mut db)
        .await
        .unwrap();
    let r = server.request("GET", "/readyz", None, None).await;
    assert_eq!(r.status, 503, "{}", r.text);
    assert_eq!(r.json["error"], "database migrations have not run");
    let r = server.request("GET", "/healthz", None, None).await;
    assert_eq!(r.status, 200, "liveness is about the process");
    sqlx::query("UPDATE _sqlx_migrations SET success = true")
        .execute(&mut db)
        .await
        .unwrap();
    let r = server.request("GET", "/readyz", None, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn metrics_are_prometheus_text_and_the_token_guards_them() {
    let server = TestServer::start_with(
        "metrics",
        ServiceOptions {
            metrics_token: Some("metrics-secret-token".into()),
            ..ServiceOptions::default()
        },
    )
    .await;
    let admin = server.tenant("acme").await;
    server.install_for_agent(&admin, "text-tools", "m").await;
    // Twice: the second call's lookups are served from the cache.
    for _ in 0..2 {
        let r = server
            .request(
                "POST",
                "/api/agents/m/skills/text-tools/invoke",
                Some(&admin),
                Some(json!({"ability": "slugify", "args": {"text": "Metric"}})),
            )
            .await;
        assert_eq!(r.json["success"], true, "{}", r.text);
    }

    for token in [None, Some("wrong"), Some(admin.as_str())] {
        let r = server.request("GET", "/metrics", token, None).await;
        assert_eq!(r.status, 401, "{token:?}");
    }
    let r = server
        .request("GET", "/metrics", Some("metrics-secret-token"), None)
        .await;
    assert_eq!(r.status, 200);
    for series in [
        "skillhost_http_requests_total{route=\"/api/agents/{agent}/skills/{skill}/invoke\",method=\"POST\",status=\"200\"}",
        "skillhost_http_request_duration_seconds_bucket{",
        "skillhost_invocations_total{kind=\"skill\",outcome=\"success\",surface=\"rest\"}",
        "skillhost_sandbox_instantiate_seconds_bucket",
        "skillhost_sandbox_call_seconds_bucket",
        "skillhost_audit_queue_depth",
        "skillhost_audit_batch_size_bucket",
        "skillhost_cache_lookups_total{table=\"tokens\",result=\"hit\"}",
        "skillhost_cache_invalidations_total{source=\"local\"}",
        "skillhost_loaded_skills",
        "skillhost_db_connections{state=\"in_use\"}",
    ] {
        assert!(r.text.contains(series), "missing {series}");
    }
    // Routes, never raw paths, secrets or names a tenant chose, make the
    // labels.
    assert!(!r.text.contains(&admin) && !r.text.contains("/api/agents/m/"));
    assert!(!r.text.contains("text-tools"), "{}", r.text);

    let open = TestServer::start("metrics-open").await;
    let r = open.request("GET", "/metrics", None, None).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn missing_wrong_and_malformed_tokens_are_401() {
    let server = TestServer::start("auth").await;
    for path in ["/api/agents", "/api/tokens", "/api/tenants"] {
        let r = server.request("GET", path, None, None).await;
        assert_eq!(r.status, 401, "{path}");
        assert_eq!(r.json["code"], "unauthorized");
        assert!(
            r.json["error"].as_str().unwrap().contains("Authorization"),
            "{}",
            r.text
        );
        let r = server.request("GET", path, Some("shk_wrong"), None).await;
        assert_eq!(r.status, 401, "{path}");
        assert!(
            !r.text.contains("shk_wrong"),
            "tokens never echo back: {}",
            r.text
        );
    }
    let r = server.raw("GET", "/api/agents", None, None, None).await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn tenants_are_created_by_the_operator_only() {
    let server = TestServer::start("tenants").await;
    let acme = server.tenant("acme").await;
    assert!(acme.starts_with("shk_") && acme.len() == 68);
    // A tenant admin is not the operator.
    let r = server
        .request(
            "POST",
            "/api/tenants",
            Some(&acme),
            Some(json!({"name": "evil"})),
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json["code"], "forbidden");
    let r = server
        .request("GET", "/api/tenants", Some(&acme), None)
        .await;
    assert_eq!(r.status, 403);
    // Duplicates and bad names.
    let r = server
        .request(
            "POST",
            "/api/tenants",
            Some(OPERATOR_TOKEN),
            Some(json!({"name": "acme"})),
        )
        .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (409, Some("tenant_exists"))
    );
    for body in [
        json!({"name": "Bad Name"}),
        json!({"name": ""}),
        json!({"nom": "x"}),
        json!([1]),
    ] {
        let r = server
            .request(
                "POST",
                "/api/tenants",
                Some(OPERATOR_TOKEN),
                Some(body.clone()),
            )
            .await;
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert!(r.json["error"].is_string() && r.json["code"].is_string());
    }
    let r = server
        .raw(
            "POST",
            "/api/tenants",
            Some(OPERATOR_TOKEN),
            Some(b"{not json"),
            Some("application/json"),
        )
        .await;
    assert_eq!(r.status, 400);
    let r = server
        .raw(
            "POST",
            "/api/tenants",
            Some(OPERATOR_TOKEN),
            Some(b"{}"),
            Some("text/plain"),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(
        r.json["error"].as_str().unwrap().contains("Content-Type"),
        "{}",
        r.text
    );
    let r = server
        .request("GET", "/api/tenants", Some(OPERATOR_TOKEN), None)
        .await;
    let names: Vec<_> = r.json["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["acme", "default"]);
}

#[tokio::test]
async fn tokens_are_scoped_shown_once_and_revocable() {
    let server = TestServer::start("tokens").await;
    let admin = server.tenant("acme").await;
    let reader = server.token(&admin, &["skills:read"]).await;
    // Unknown scopes and empty scope lists are refused.
    for scopes in [json!(["root"]), json!([])] {
        let r = server
            .request(
                "POST",
                "/api/tokens",
                Some(&admin),
                Some(json!({"name": "x", "scopes": scopes})),
            )
            .await;
        assert_eq!(
            (r.status, r.json["code"].as_str()),
            (400, Some("invalid_scopes")),
            "{}",
            r.text
        );
    }
    // A reader cannot mint or list tokens, nor create agents.
    let r = server
        .request(
            "POST",
            "/api/tokens",
            Some(&reader),
            Some(json!({"name": "x", "scopes": ["admin"]})),
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(r.json["error"].as_str().unwrap().contains("admin"));
    let r = server
        .request(
            "POST",
            "/api/agents",
            Some(&reader),
            Some(json!({"name": "bot"})),
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        server
            .request("GET", "/api/agents", Some(&reader), None)
            .await
            .status,
        200
    );
    // Lists never carry secrets or hashes.
    let r = server
        .request("GET", "/api/tokens", Some(&admin), None)
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["total"], 2);
    assert!(
        !r.text.contains(&reader) && !r.text.contains(&admin) && !r.text.contains("hash"),
        "{}",
        r.text
    );
    // Revoke the reader; it stops working at once.
    let id = r.json["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["scopes"] == json!(["skills:read"]))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = server
        .request("DELETE", &format!("/api/tokens/{id}"), Some(&admin), None)
        .await;
    assert_eq!((r.status, r.json["success"].as_bool()), (200, Some(true)));
    assert_eq!(
        server
            .request("GET", "/api/agents", Some(&reader), None)
            .await
            .status,
        401
    );
    let r = server
        .request("DELETE", &format!("/api/tokens/{id}"), Some(&admin), None)
        .await;
    assert_eq!(r.status, 404);
    // Another tenant's token id is simply not found.
    let other = server.tenant("other").await;
    let r = server
        .request("GET", "/api/tokens", Some(&admin), None)
        .await;
    let admin_token_id = r.json["tokens"][0]["id"].as_str().unwrap().to_owned();
    let r = server
        .request(
            "DELETE",
            &format!("/api/tokens/{admin_token_id}"),
            Some(&other),
            None,
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        server
            .request("GET", "/api/agents", Some(&admin), None)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn agents_are_per_tenant_by_name_or_id() {
    let server = TestServer::start("agents").await;
    let acme = server.tenant("acme").await;
    let other = server.tenant("other").await;
    let r = server
        .request(
            "POST",
            "/api/agents",
            Some(&acme),
            Some(json!({"name": "devops"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json["agent"]["id"].as_str().unwrap().to_owned();
    let r = server
        .request(
            "POST",
            "/api/agents",
            Some(&acme),
            Some(json!({"name": "devops"})),
        )
        .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (409, Some("agent_exists"))
    );
    for bad in ["", "has space", "../etc", &"x".repeat(65)] {
        let r = server
            .request(
                "POST",
                "/api/agents",
                Some(&acme),
                Some(json!({"name": bad})),
            )
            .await;
        assert_eq!(r.status, 400, "{bad:?}");
    }
    // The same name in another tenant is another agent.
    let r = server
        .request(
            "POST",
            "/api/agents",
            Some(&other),
            Some(json!({"name": "devops"})),
        )
        .await;
    assert_eq!(r.status, 201);
    for key in [id.as_str(), "devops"] {
        let r = server
            .request("GET", &format!("/api/agents/{key}"), Some(&acme), None)
            .await;
        assert_eq!(
            (r.status, r.json["agent"]["id"].as_str()),
            (200, Some(id.as_str()))
        );
    }
    // Another tenant cannot see it by id: 404, not 403.
    let r = server
        .request("GET", &format!("/api/agents/{id}"), Some(&other), None)
        .await;
    assert_eq!(r.status, 404);
    let r = server
        .request("DELETE", &format!("/api/agents/{id}"), Some(&other), None)
        .await;
    assert_eq!(r.status, 404);
    let r = server
        .request("GET", "/api/agents", Some(&acme), None)
        .await;
    assert_eq!(r.json["total"], 1);
    let r = server
        .request("DELETE", "/api/agents/devops", Some(&acme), None)
        .await;
    assert_eq!((r.status, r.json["success"].as_bool()), (200, Some(true)));
    assert_eq!(
        server
            .request("GET", &format!("/api/agents/{id}"), Some(&acme), None)
            .await
            .status,
        404
    );
    assert_eq!(
        server
            .request("GET", "/api/agents/no-such", Some(&acme), None)
            .await
            .json["error"],
        "Agent not found"
    );
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let server = TestServer::start("limits").await;
    let body = format!("{{\"name\":\"{}\"}}", "a".repeat(33 << 20));
    let r = server
        .raw(
            "POST",
            "/api/agents",
            Some(OPERATOR_TOKEN),
            Some(body.as_bytes()),
            Some("application/json"),
        )
        .await;
    assert_eq!(r.status, 413, "{}", r.text);
    assert_eq!(r.json["code"], "payload_too_large");
}

#[tokio::test]
async fn a_restart_keeps_tenants_tokens_and_agents() {
    let server = TestServer::start("restart").await;
    let acme = server.tenant("acme").await;
    server.agent(&acme, "keeper").await;
    let dir = server.stop().await;
    // On SQLite the state is the file in the data directory; on PostgreSQL
    // the restarted server finds it in the same database.
    let on_sqlite = skillhost_tests::backend::postgres_url().is_none();
    assert_eq!(dir.join("skillhost.db").exists(), on_sqlite);
    let server = TestServer::start_in(dir).await;
    let r = server
        .request("GET", "/api/agents/keeper", Some(&acme), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn install_approve_assign_invoke_and_audit() {
    let server = TestServer::start("skills").await;
    let admin = server.tenant("acme").await;
    let reader = server.token(&admin, &["skills:read"]).await;
    let writer = server.token(&admin, &["skills:read", "skills:write"]).await;

    // Install: writers only, a real component only, once per name@version.
    assert_eq!(server.install(&reader, "text-tools").await.status, 403);
    let r = server.install(&writer, "text-tools").await;
    assert_eq!(r.status, 201, "{}", r.text);
    let skill_id = r.json["skill"]["id"].as_str().unwrap().to_owned();
    assert_eq!(r.json["skill"]["status"], "pending");
    assert_eq!(
        r.json["skill"]["toolIds"],
        json!(["word_count", "slugify", "json_query", "regex_extract"])
    );
    assert_eq!(server.install(&writer, "text-tools").await.status, 409);
    let r = server
        .raw(
            "POST",
            "/api/skills",
            Some(&writer),
            Some(b"\0asm\x01\0\0\0"),
            Some("application/wasm"),
        )
        .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (422, Some("invalid_component"))
    );
    assert!(
        r.json["error"].as_str().unwrap().contains("core module"),
        "{}",
        r.text
    );
    let r = server
        .raw(
            "POST",
            "/api/skills",
            Some(&writer),
            Some(b"{}"),
            Some("application/json"),
        )
        .await;
    assert_eq!(r.status, 400);

    // Pending skills are listed under status=pending, not by default.
    let r = server
        .request("GET", "/api/skills", Some(&reader), None)
        .await;
    assert_eq!(r.json["total"], 0);
    let r = server
        .request("GET", "/api/skills?status=pending", Some(&reader), None)
        .await;
    assert_eq!(r.json["total"], 1);
    assert_eq!(
        server
            .request("GET", "/api/skills?status=bogus", Some(&reader), None)
            .await
            .status,
        400
    );

    // Assign to an agent; invoking before approval is refused with why.
    let r = server
        .request(
            "POST",
            "/api/agents",
            Some(&writer),
            Some(json!({"name": "bot"})),
        )
        .await;
    let agent_id = r.json["agent"]["id"].as_str().unwrap().to_owned();
    let r = server
        .request(
            "POST",
            &format!("/api/skills/{skill_id}/assign"),
            Some(&writer),
            Some(json!({"agentId": agent_id, "priority": 2})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["assignment"]["priority"], 2);
    let r = server
        .request(
            "POST",
            &format!("/api/skills/{skill_id}/assign"),
            Some(&writer),
            Some(json!({"agentId": agent_id})),
        )
        .await;
    assert_eq!(
        (r.status, r.json["error"].as_str()),
        (400, Some("Skill already assigned to this agent"))
    );
    let r = server
        .request(
            "POST",
            &format!("/api/skills/{skill_id}/assign"),
            Some(&writer),
            Some(json!({"agentId": "ghost"})),
        )
        .await;
    assert_eq!(
        (r.status, r.json["error"].as_str()),
        (404, Some("Agent not found"))
    );
    let invoke_path = "/api/agents/bot/skills/text-tools/invoke";
    let call = json!({"ability": "slugify", "args": {"text": "Hello World"}});
    let r = server
        .request("POST", invoke_path, Some(&reader), Some(call.clone()))
        .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (409, Some("skill_not_active"))
    );
    assert!(r.json["error"].as_str().unwrap().contains("pending"));

    // Approval is an admin's; a grant wider than the declaration is refused.
    let approve = format!("/api/skills/{skill_id}/approve");
    assert_eq!(
        server
            .request("POST", &approve, Some(&writer), None)
            .await
            .status,
        403
    );
    let r = server
        .request(
            "POST",
            &approve,
            Some(&admin),
            Some(json!({"env": {"HOME": "/root"}})),
        )
        .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (422, Some("invalid_grant"))
    );
    let r = server.raw("POST", &approve, Some(&admin), None, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["skill"]["status"], "active");

    // Invoke through seed 003's surface.
    let r = server
        .request("POST", invoke_path, Some(&reader), Some(call.clone()))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.json["success"].as_bool(), r.json["output"].as_str()),
        (Some(true), Some("hello-world"))
    );
    assert_eq!(r.json["exit_code"], 0);
    let r = server
        .request(
            "POST",
            invoke_path,
            Some(&reader),
            Some(json!({"ability": "slugify", "args": {}})),
        )
        .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (422, Some("invalid_input"))
    );
    assert_eq!(r.json["success"], false);
    let r = server
        .request(
            "POST",
            invoke_path,
            Some(&reader),
            Some(json!({"args": {}})),
        )
        .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (400, Some("ability_required"))
    );

    // Other tenants see nothing of it.
    let other = server.tenant("other").await;
    assert_eq!(
        server
            .request(
                "GET",
                &format!("/api/skills/{skill_id}"),
                Some(&other),
                None
            )
            .await
            .status,
        404
    );
    assert_eq!(
        server
            .request("POST", &approve, Some(&other), None)
            .await
            .status,
        404
    );
    assert_eq!(
        server
            .request("POST", invoke_path, Some(&other), Some(call.clone()))
            .await
            .status,
        404
    );

    // The audit trail has the calls, for admins only.
    assert_eq!(
        server
            .request("GET", "/api/audit", Some(&reader), None)
            .await
            .status,
        403
    );
    let r = server
        .request("GET", "/api/audit?skill=text-tools", Some(&admin), None)
        .await;
    assert_eq!(r.status, 200);
    let outcomes: Vec<_> = r.json["invocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["invalid_input", "success", "refused"]);
    assert!(r.json["invocations"][1]["requestId"].as_str().is_some());
    assert_eq!(
        r.json["invocations"][2]["denials"][0]["reason"],
        "skill status pending"
    );
    let r = server
        .request("GET", "/api/audit?outcome=success", Some(&other), None)
        .await;
    assert_eq!(r.json["count"], 0);

    // Unassigned: the agent can no longer invoke it.
    let r = server
        .request(
            "DELETE",
            &format!("/api/skills/{skill_id}/unassign/{agent_id}"),
            Some(&writer),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        server
            .request("POST", invoke_path, Some(&reader), Some(call))
            .await
            .status,
        404
    );
    let r = server
        .request("GET", "/api/audit?outcome=refused", Some(&admin), None)
        .await;
    assert_eq!(
        r.json["invocations"][0]["denials"][0]["reason"],
        "not assigned to this agent"
    );

    // Cursor paging walks every record exactly once, newest first.
    let all = server
        .request("GET", "/api/audit", Some(&admin), None)
        .await
        .json["invocations"]
        .clone();
    let mut seen = Vec::new();
    let mut path = "/api/audit?limit=2".to_owned();
    loop {
        let r = server.request("GET", &path, Some(&admin), None).await;
        assert_eq!(r.status, 200, "{}", r.text);
        seen.extend(
            r.json["invocations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].clone()),
        );
        match r.json["nextCursor"].as_str() {
            Some(cursor) => path = format!("/api/audit?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        all.as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].clone())
            .collect::<Vec<_>>()
    );
    assert_eq!(seen.len(), 4);
    // Time filters.
    let r = server
        .request(
            "GET",
            "/api/audit?since=2999-01-01T00:00:00Z",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.json["count"], 0);
    let r = server
        .request(
            "GET",
            "/api/audit?until=2999-01-01T00:00:00%2B02:00",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.json["count"], 4);
    for bad in ["since=yesterday", "cursor=zz", "limit=0", "colour=red"] {
        assert_eq!(
            server
                .request("GET", &format!("/api/audit?{bad}"), Some(&admin), None)
                .await
                .status,
            400,
            "{bad}"
        );
    }
}

#[tokio::test]
async fn denials_are_recorded_and_the_restart_uses_the_compiled_cache() {
    // The cache where `skillhost serve` keeps it, for the restart below.
    let server = TestServer::start_with_cache("denials", Cache::DataDir).await;
    let admin = server.tenant("acme").await;
    let skill_id = server.installed(&admin, "hostile").await;
    // A mount that names a host directory (not an operator volume) is
    // refused at approval, without naming the host path.
    let r = server
        .request(
            "POST",
            &format!("/api/skills/{skill_id}/approve"),
            Some(&admin),
            Some(json!({"mounts": {"/data": "/no/such/dir"}})),
        )
        .await;
    assert_eq!(r.json["code"], "invalid_grant", "{}", r.text);
    assert!(
        r.json["error"]
            .as_str()
            .unwrap()
            .contains("operator volume")
            && !r.text.contains("/no/such")
    );
    let r = server
        .request(
            "POST",
            "/api/v1/secret/create",
            Some(&admin),
            Some(json!({"name": "hostile key", "value": "s3cr3t"})),
        )
        .await;
    let secret_id = r.json["id"].as_str().unwrap().to_owned();
    let r = server
        .request(
            "POST",
            &format!("/api/skills/{skill_id}/approve"),
            Some(&admin),
            Some(json!({"secrets": {"DECLARED_SECRET": {"secretId": secret_id}}})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    server.agent(&admin, "bot").await;
    server
        .assign(&admin, &skill_id, json!({"agentId": "bot"}))
        .await;
    let path = "/api/agents/bot/skills/hostile/invoke";
    let r = server
        .request(
            "POST",
            path,
            Some(&admin),
            Some(json!({"ability": "secret", "args": {"target": "OTHER"}})),
        )
        .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (200, Some("capability_denied"))
    );
    let r = server
        .request(
            "POST",
            path,
            Some(&admin),
            Some(json!({"ability": "secret", "args": {"target": "DECLARED_SECRET"}})),
        )
        .await;
    // The guest holds the value; what it returns is redacted.
    assert_eq!(r.json["output"], "[secret:DECLARED_SECRET]", "{}", r.text);
    let r = server
        .request(
            "POST",
            path,
            Some(&admin),
            Some(json!({"ability": "secret_reversed", "args": {"target": "DECLARED_SECRET"}})),
        )
        .await;
    assert_eq!(r.json["output"], "t3rc3s", "{}", r.text);
    // Secret values appear in no list or audit response.
    for p in [
        format!("/api/skills/{skill_id}"),
        "/api/skills".into(),
        "/api/audit".into(),
    ] {
        let r = server.request("GET", &p, Some(&admin), None).await;
        assert!(!r.text.contains("s3cr3t"), "{p}: {}", r.text);
    }
    let r = server
        .request(
            "GET",
            "/api/audit?outcome=capability_denied",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.json["count"], 1);
    assert_eq!(
        r.json["invocations"][0]["denials"][0]["capability"],
        "secret"
    );
    assert_eq!(r.json["invocations"][0]["denials"][0]["target"], "OTHER");

    let dir = server.stop().await;
    let before = artifacts(&dir.join("cache"));
    assert_eq!(before.len(), 1);
    let server = TestServer::start_in_with(dir, ServiceOptions::default(), Cache::DataDir).await;
    let r = server
        .request("POST", path, Some(&admin), Some(json!({"ability": "ok"})))
        .await;
    assert_eq!(r.json["output"], "ok", "{}", r.text);
    // The first call after the restart loaded the stored machine code: a
    // recompile would have renamed a new file (a new inode) into place.
    assert_eq!(artifacts(&server.data_dir.join("cache")), before);
}

/// (path, inode) of every compiled artifact under `cache`.
fn artifacts(cache: &std::path::Path) -> Vec<(std::path::PathBuf, u64)> {
    use std::os::unix::fs::MetadataExt;
    let mut out = Vec::new();
    for dir in std::fs::read_dir(cache).unwrap().flatten() {
        for file in std::fs::read_dir(dir.path()).unwrap().flatten() {
            out.push((file.path(), file.metadata().unwrap().ino()));
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn assignments_can_be_disabled_configured_and_skills_uninstalled() {
    let server = TestServer::start("assign-patch").await;
    let admin = server.tenant("acme").await;
    let skill_id = server.installed(&admin, "hostile").await;
    server.approve(&admin, &skill_id, None).await;
    server.agent(&admin, "bot").await;
    let r = server
        .request(
            "POST",
            &format!("/api/skills/{skill_id}/assign"),
            Some(&admin),
            Some(json!({"agentId": "bot", "config": {"units": "metric"}})),
        )
        .await;
    assert_eq!(r.status, 201);
    let path = "/api/agents/bot/skills/hostile/invoke";
    // Per-assignment config reaches the guest.
    let r = server
        .request(
            "POST",
            path,
            Some(&admin),
            Some(json!({"ability": "config", "args": {"target": "units"}})),
        )
        .await;
    assert_eq!(r.json["output"], "metric", "{}", r.text);
    let patch = format!("/api/skills/{skill_id}/assignments/bot");
    let r = server
        .request(
            "PATCH",
            &patch,
            Some(&admin),
            Some(json!({"config": {"units": "imperial"}, "priority": 5})),
        )
        .await;
    assert_eq!((r.status, r.json["success"].as_bool()), (200, Some(true)));
    let r = server
        .request(
            "POST",
            path,
            Some(&admin),
            Some(json!({"ability": "config", "args": {"target": "units"}})),
        )
        .await;
    assert_eq!(r.json["output"], "imperial");
    let r = server
        .request(
            "GET",
            &format!("/api/skills/{skill_id}/agents"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.json["agents"][0]["priority"], 5);
    assert_eq!(
        server
            .request(
                "PATCH",
                &patch,
                Some(&admin),
                Some(json!({"enabled": "no"}))
            )
            .await
            .status,
        400
    );
    // Disabled: this agent cannot invoke it.
    let r = server
        .request(
            "PATCH",
            &patch,
            Some(&admin),
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = server
        .request("POST", path, Some(&admin), Some(json!({"ability": "ok"})))
        .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (409, Some("assignment_disabled"))
    );
    // Another tenant cannot touch the assignment.
    let other = server.tenant("other").await;
    assert_eq!(
        server
            .request(
                "PATCH",
                &patch,
                Some(&other),
                Some(json!({"enabled": true}))
            )
            .await
            .status,
        404
    );
    // Status and metadata changes; a disabled skill cannot be invoked.
    let r = server
        .request(
            "PATCH",
            &patch,
            Some(&admin),
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let skill_path = format!("/api/skills/{skill_id}");
    let r = server
        .request(
            "PATCH",
            &skill_path,
            Some(&admin),
            Some(json!({"status": "disabled", "category": "qa", "description": "Now described"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (
            r.json["skill"]["status"].as_str(),
            r.json["skill"]["category"].as_str()
        ),
        (Some("disabled"), Some("qa"))
    );
    let r = server
        .request("POST", path, Some(&admin), Some(json!({"ability": "ok"})))
        .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (409, Some("skill_not_active"))
    );
    assert_eq!(
        server
            .request(
                "PATCH",
                &skill_path,
                Some(&admin),
                Some(json!({"status": "deleted"}))
            )
            .await
            .status,
        400
    );
    assert_eq!(
        server
            .request(
                "PATCH",
                &skill_path,
                Some(&admin),
                Some(json!({"category": "Not A Slug"}))
            )
            .await
            .status,
        400
    );
    let r = server
        .request(
            "PATCH",
            &skill_path,
            Some(&admin),
            Some(json!({"status": "active"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        server
            .request("POST", path, Some(&admin), Some(json!({"ability": "ok"})))
            .await
            .json["output"],
        "ok"
    );
    let r = server
        .request("GET", "/api/skills/categories", Some(&admin), None)
        .await;
    assert_eq!(r.json["categories"], json!(["qa"]));
    // Uninstall detaches from agents.
    assert_eq!(
        server
            .request(
                "DELETE",
                &format!("/api/skills/{skill_id}"),
                Some(&other),
                None
            )
            .await
            .status,
        404
    );
    let r = server
        .request(
            "DELETE",
            &format!("/api/skills/{skill_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!((r.status, r.json["success"].as_bool()), (200, Some(true)));
    assert_eq!(
        server
            .request("GET", "/api/skills/agent/bot", Some(&admin), None)
            .await
            .json["skills"],
        json!([])
    );
    assert_eq!(
        server
            .request(
                "GET",
                &format!("/api/skills/{skill_id}"),
                Some(&admin),
                None
            )
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn seed_003_agent_skills_list_detail_and_source() {
    let server = TestServer::start("seed003").await;
    let admin = server.tenant("acme").await;
    server.agent(&admin, "bot").await;
    for guest in ["fetch", "text-tools"] {
        let id = server.installed(&admin, guest).await;
        server.approve(&admin, &id, None).await;
        server.assign(&admin, &id, json!({"agentId": "bot"})).await;
    }
    let r = server
        .request("GET", "/api/agents/bot/skills", Some(&admin), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let skills = r.json["skills"].as_array().unwrap();
    let fetch = skills.iter().find(|s| s["name"] == "fetch").unwrap();
    assert_eq!(
        (
            fetch["needs_network"].as_bool(),
            fetch["needs_fs_read"].as_bool()
        ),
        (Some(true), Some(false))
    );
    let text = skills.iter().find(|s| s["name"] == "text-tools").unwrap();
    assert_eq!(
        (text["needs_network"].as_bool(), text["needs_env"].as_bool()),
        (Some(false), Some(false))
    );
    assert_eq!(text["version"], "1.0.0");

    let r = server
        .request(
            "GET",
            "/api/agents/bot/skills/text-tools",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    let usage = r.json["usage_example"].as_str().unwrap();
    assert!(
        usage.starts_with("POST /api/agents/bot/skills/text-tools/invoke"),
        "{usage}"
    );
    assert!(usage.contains(r#""args":{"text":"..."}"#), "{usage}");
    assert_eq!(r.json["abilities"].as_array().unwrap().len(), 4);

    let r = server
        .request(
            "GET",
            "/api/agents/bot/skills/fetch/source",
            Some(&admin),
            None,
        )
        .await;
    assert!(
        r.json["manifest"]
            .as_str()
            .unwrap()
            .contains("name = \"fetch\""),
        "{}",
        r.text
    );
    assert!(
        r.json["wit"]
            .as_str()
            .unwrap()
            .contains("package skillhost:skill@0.1.0")
    );

    let other = server.tenant("other").await;
    assert_eq!(
        server
            .request("GET", "/api/agents/bot/skills", Some(&other), None)
            .await
            .status,
        404
    );
    assert_eq!(
        server
            .request("GET", "/api/agents/bot/skills/calc", Some(&admin), None)
            .await
            .status,
        404
    );
    assert_eq!(
        server
            .request("GET", "/api/agents/bot/skills", None, None)
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn session_state_is_durable_and_isolated() {
    let server = TestServer::start("sessions").await;
    let admin = server.tenant("acme").await;
    let id = server.installed(&admin, "scratchpad").await;
    server.approve(&admin, &id, None).await;
    server.agent(&admin, "bot").await;
    server.assign(&admin, &id, json!({"agentId": "bot"})).await;
    let path = "/api/agents/bot/skills/scratchpad/invoke";
    let bump = |session: &'static str| json!({"ability": "increment", "session": session});
    assert_eq!(
        server
            .request("POST", path, Some(&admin), Some(bump("s1")))
            .await
            .json["output"],
        "1"
    );
    assert_eq!(
        server
            .request("POST", path, Some(&admin), Some(bump("s1")))
            .await
            .json["output"],
        "2"
    );
    assert_eq!(
        server
            .request("POST", path, Some(&admin), Some(bump("s2")))
            .await
            .json["output"],
        "1"
    );
    let dir = server.stop().await;
    let server = TestServer::start_in(dir).await;
    assert_eq!(
        server
            .request("POST", path, Some(&admin), Some(bump("s1")))
            .await
            .json["output"],
        "3"
    );
    let r = server
        .request(
            "POST",
            path,
            Some(&admin),
            Some(json!({"ability": "increment", "session": ""})),
        )
        .await;
    assert_eq!(r.status, 400);
}

fn jwt(secret: &str, tenant: &str, scopes: &[&str], exp_offset: i64) -> String {
    let exp = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        + exp_offset) as u64;
    let claims = skillhost::server::Claims {
        sub: "agent-runner".into(),
        tenant: tenant.into(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        exp,
        agent: None,
    };
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn hs256_jwts_carry_tenant_and_scopes() {
    use skillhost_tests::http::JWT_SECRET;
    let server = TestServer::start("jwt").await;
    let r = server
        .request(
            "POST",
            "/api/tenants",
            Some(OPERATOR_TOKEN),
            Some(json!({"name": "acme"})),
        )
        .await;
    let tenant_id = r.json["tenant"]["id"].as_str().unwrap().to_owned();
    let admin = r.json["token"]["secret"].as_str().unwrap().to_owned();
    server.agent(&admin, "bot").await;

    let reader = jwt(JWT_SECRET, &tenant_id, &["skills:read"], 300);
    let r = server
        .request("GET", "/api/agents/bot", Some(&reader), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = server
        .request(
            "POST",
            "/api/agents",
            Some(&reader),
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(r.status, 403);

    let expired = jwt(JWT_SECRET, &tenant_id, &["skills:read"], -300);
    let r = server
        .request("GET", "/api/agents", Some(&expired), None)
        .await;
    assert_eq!(r.status, 401);
    assert!(
        r.json["error"].as_str().unwrap().contains("expired"),
        "{}",
        r.text
    );
    let forged = jwt(
        "another-secret-of-at-least-32-bytes",
        &tenant_id,
        &["admin"],
        300,
    );
    assert_eq!(
        server
            .request("GET", "/api/agents", Some(&forged), None)
            .await
            .status,
        401
    );
    let bad_scope = jwt(JWT_SECRET, &tenant_id, &["root"], 300);
    assert_eq!(
        server
            .request("GET", "/api/agents", Some(&bad_scope), None)
            .await
            .status,
        401
    );
    // Another tenant's JWT sees nothing of acme.
    let other = jwt(JWT_SECRET, "some-other-tenant", &["admin"], 300);
    assert_eq!(
        server
            .request("GET", "/api/agents/bot", Some(&other), None)
            .await
            .status,
        404
    );
    // A JWT is never the operator.
    let r = server
        .request(
            "GET",
            "/api/tenants",
            Some(&jwt(JWT_SECRET, &tenant_id, &["admin"], 300)),
            None,
        )
        .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn seed_004_attach_and_detach() {
    let server = TestServer::start("seed004").await;
    let admin = server.tenant("acme").await;
    let skill_id = server.installed(&admin, "text-tools").await;
    let r = server
        .request(
            "POST",
            "/api/agents",
            Some(&admin),
            Some(json!({"name": "bot"})),
        )
        .await;
    let agent_id = r.json["agent"]["id"].as_str().unwrap().to_owned();
    // A credential must be one of the tenant's secrets.
    let r = server
        .request(
            "POST",
            "/api/v1/secret/create",
            Some(&admin),
            Some(json!({"name": "slug api", "value": "sk-slug-0123456789"})),
        )
        .await;
    let credential = r.json["id"].as_str().unwrap().to_owned();
    let path = format!("/api/agents/{agent_id}/attached-skills");
    let r = server
        .request(
            "POST",
            &path,
            Some(&admin),
            Some(json!({"skillId": skill_id, "credentialId": "cred-1"})),
        )
        .await;
    assert_eq!(r.json["code"], "secret_not_found", "{}", r.text);
    let body = json!({"skillId": skill_id, "promptOverride": "Prefer short slugs.", "credentialId": credential});
    let r = server
        .request("POST", &path, Some(&admin), Some(body.clone()))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        (
            r.json["promptOverride"].as_str(),
            r.json["skill"]["name"].as_str()
        ),
        (Some("Prefer short slugs."), Some("text-tools"))
    );
    let r = server
        .request("POST", &path, Some(&admin), Some(body))
        .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (409, Some("SKILL_ALREADY_ATTACHED"))
    );
    let r = server.request("GET", &path, Some(&admin), None).await;
    assert_eq!(r.json.as_array().unwrap().len(), 1);
    assert_eq!(r.json[0]["credentialId"], credential.as_str());
    // The same assignment shows on seed 001's and seed 003's surfaces.
    let r = server
        .request("GET", "/api/agents/bot/skills", Some(&admin), None)
        .await;
    assert_eq!(r.json["skills"][0]["name"], "text-tools");
    let other = server.tenant("other").await;
    assert_eq!(
        server
            .request("GET", &path, Some(&other), None)
            .await
            .status,
        404
    );
    let r = server
        .request(
            "POST",
            &path,
            Some(&admin),
            Some(json!({"skillId": "nope"})),
        )
        .await;
    assert_eq!(
        (r.status, r.json["error"].as_str()),
        (404, Some("Skill not found"))
    );
    let r = server
        .request(
            "DELETE",
            &path,
            Some(&admin),
            Some(json!({"skillId": skill_id})),
        )
        .await;
    assert_eq!((r.status, r.json["success"].as_bool()), (200, Some(true)));
    assert_eq!(
        server
            .request(
                "DELETE",
                &path,
                Some(&admin),
                Some(json!({"skillId": skill_id}))
            )
            .await
            .status,
        404
    );
    assert_eq!(
        server.request("GET", &path, Some(&admin), None).await.json,
        json!([])
    );
}

#[tokio::test]
async fn an_assignment_can_narrow_the_grant_for_one_agent() {
    let echo = skillhost_tests::Upstream::start("127.0.0.1");
    let server = TestServer::start("narrowing").await;
    let admin = server.tenant("acme").await;
    let id = server.installed(&admin, "fetch").await;
    server
        .approve(&admin, &id, Some(json!({"allow_private_network": true})))
        .await;
    for agent in ["open", "closed"] {
        server.agent(&admin, agent).await;
    }
    let assign = format!("/api/skills/{id}/assign");
    server.assign(&admin, &id, json!({"agentId": "open"})).await;
    let r = server
        .request(
            "POST",
            &assign,
            Some(&admin),
            Some(json!({"agentId": "closed", "capabilities": {"network": []}})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    // A narrowing that asks for more than the grant is refused.
    let r = server
        .request(
            "PATCH",
            &format!("/api/skills/{id}/assignments/closed"),
            Some(&admin),
            Some(json!({"capabilities": {"network": ["https://evil.example"]}})),
        )
        .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (422, Some("invalid_narrowing"))
    );

    let call = json!({"args": {"url": echo.localhost_url("/echo/hi")}});
    let r = server
        .request(
            "POST",
            "/api/agents/open/skills/fetch/invoke",
            Some(&admin),
            Some(call.clone()),
        )
        .await;
    assert_eq!(r.json["success"], true, "{}", r.text);
    let r = server
        .request(
            "POST",
            "/api/agents/closed/skills/fetch/invoke",
            Some(&admin),
            Some(call),
        )
        .await;
    assert_eq!(r.json["code"], "capability_denied", "{}", r.text);
    assert_eq!(echo.hits(), 1);
    // The audit shows each call's outbound request: origin and status, or
    // the refusal; never the path.
    let r = server
        .request("GET", "/api/audit?skill=fetch", Some(&admin), None)
        .await;
    let origin = format!("http://localhost:{}", echo.addr.port());
    let records = r.json["invocations"].as_array().expect("records");
    let refused = &records[0]["requests"][0];
    assert_eq!(refused["origin"], origin.as_str(), "{}", r.text);
    assert!(refused["refused"].as_str().is_some(), "{}", r.text);
    let sent = &records[1]["requests"][0];
    assert_eq!(
        (&sent["origin"], &sent["status"]),
        (&json!(origin), &json!(200))
    );
    assert!(!r.text.contains("/echo/hi"), "{}", r.text);
    let r = server
        .request("GET", "/api/agents/closed/skills", Some(&admin), None)
        .await;
    assert_eq!(r.json["skills"][0]["needs_network"], false);
    let r = server
        .request("GET", "/api/agents/open/skills", Some(&admin), None)
        .await;
    assert_eq!(r.json["skills"][0]["needs_network"], true);
}

#[tokio::test]
async fn an_update_asking_for_more_goes_back_to_pending_with_the_difference() {
    let server = TestServer::start("update-diff").await;
    let admin = server.tenant("acme").await;
    let v1 = server.installed(&admin, "text-tools").await;
    server.approve(&admin, &v1, None).await;

    let f = skillhost_tests::fixture();
    let guest = skillhost_tests::guests::TEXT_TOOLS;
    let base = guest.manifest_text();
    let same = base.replace("version = \"1.0.0\"", "version = \"1.1.0\"");
    let more = base
        .replace("version = \"1.0.0\"", "version = \"2.0.0\"")
        .replace(
            "[capabilities]",
            "[capabilities]\nnetwork = [\"https://api.example.com\"]\nsecrets = [\"API_KEY\"]",
        );
    for (manifest, expected) in [(same, "active"), (more, "pending")] {
        let bytes = skillhost::pack::pack(&f.runtime, &guest.component_bytes(), &manifest)
            .await
            .unwrap();
        let r = server
            .raw(
                "POST",
                "/api/skills",
                Some(&admin),
                Some(&bytes),
                Some("application/wasm"),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.json["skill"]["status"], expected, "{}", r.text);
        if expected == "pending" {
            assert_eq!(
                r.json["skill"]["capabilityDiff"],
                json!({"network": ["https://api.example.com"], "secrets": ["API_KEY"]})
            );
            let id = r.json["skill"]["id"].as_str().unwrap().to_owned();
            let digest = r.json["skill"]["digest"].clone();
            // The queue shows the change against the approved version.
            let r = server
                .request("GET", "/api/approvals", Some(&admin), None)
                .await;
            let change = &r.json["skills"][0]["change"];
            assert_eq!(r.json["skills"][0]["id"], id.as_str(), "{}", r.text);
            assert_eq!(
                (
                    &change["version"],
                    &change["approved"]["version"],
                    &change["digest"]
                ),
                (&json!("2.0.0"), &json!("1.1.0"), &digest),
                "{}",
                r.text
            );
            assert_eq!(
                change["added"],
                json!({"network": ["https://api.example.com"], "secrets": ["API_KEY"]})
            );
            assert_eq!(change["removed"], json!({}), "{}", r.text);
            assert_eq!(
                change["codeChanged"],
                change["approved"]["digest"] != digest,
                "{}",
                r.text
            );
            let r = server
                .raw(
                    "POST",
                    &format!("/api/skills/{id}/approve"),
                    Some(&admin),
                    None,
                    None,
                )
                .await;
            assert_eq!(
                (
                    r.json["skill"]["status"].as_str(),
                    r.json["skill"]["capabilityDiff"].is_null()
                ),
                (Some("active"), true)
            );
        } else {
            assert!(r.json["skill"]["capabilityDiff"].is_null());
        }
    }
}

#[tokio::test]
async fn a_body_is_an_object_without_nul_and_a_good_one_is_read_once() {
    let server = TestServer::start("json-bodies").await;
    let post = |body: &'static str| {
        let server = &server;
        async move {
            server
                .raw(
                    "POST",
                    "/api/agents",
                    Some(OPERATOR_TOKEN),
                    Some(body.as_bytes()),
                    Some("application/json"),
                )
                .await
        }
    };
    // An array would pass for a struct of its fields, in order.
    let r = post(r#"["arrayed"]"#).await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (400, Some("invalid_body")),
        "{}",
        r.text
    );
    assert!(
        r.text.contains("JSON object") && r.text.contains("an array"),
        "{}",
        r.text
    );
    // NUL cannot be stored by PostgreSQL: refused everywhere, naming where.
    let r = post(r#"{"name": "a\u0000b"}"#).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(
        r.text.contains("`name`") && r.text.contains("NUL"),
        "{}",
        r.text
    );
    // An escaped backslash before `u0000` is text, not NUL.
    let r = post(r#"{"name": "a\\u0000b"}"#).await;
    assert!(!r.text.contains("NUL"), "{}", r.text);
    let r = post(r#"  {"name": "fine-agent"}"#).await;
    assert_eq!(r.status, 201, "{}", r.text);
    // Without a JSON content type, the same precise error shape.
    let r = server
        .raw(
            "POST",
            "/api/agents",
            Some(OPERATOR_TOKEN),
            Some(br#"{"name":"x"}"#),
            Some("text/plain"),
        )
        .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (400, Some("invalid_body")),
        "{}",
        r.text
    );
}

/// `GET /api/me` says what the calling token is, and nothing of any
/// other: its tenant, scopes, the operator flag and its agent binding.
#[tokio::test]
async fn me_describes_the_calling_token_only() {
    let s = TestServer::start("me").await;
    let admin = s.tenant("acme").await;
    s.tenant("globex").await;
    s.agent(&admin, "bot").await;
    let r = s.request("GET", "/api/me", None, None).await;
    assert_eq!(r.status, 401, "{}", r.text);
    let r = s.request("GET", "/api/me", Some("shk_wrong"), None).await;
    assert_eq!(r.status, 401, "{}", r.text);
    let r = s.request("GET", "/api/me", Some(&admin), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["tenant"]["name"], "acme");
    assert_eq!(r.json["scopes"], serde_json::json!(["admin"]));
    assert_eq!(
        (&r.json["operator"], &r.json["agent"]),
        (&serde_json::json!(false), &serde_json::Value::Null)
    );
    let r = s
        .request(
            "GET",
            "/api/me",
            Some(skillhost_tests::http::OPERATOR_TOKEN),
            None,
        )
        .await;
    assert_eq!(r.json["operator"], true, "{}", r.text);
    // A token bound to an agent may ask too, and learns its binding.
    let r = s
        .request(
            "POST",
            "/api/tokens",
            Some(&admin),
            Some(serde_json::json!({"name": "bound", "scopes": ["skills:read"], "agentId": "bot"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let bound = r.json["token"]["secret"].as_str().unwrap().to_owned();
    let r = s.request("GET", "/api/me", Some(&bound), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["agent"]["name"], "bot");
    assert_eq!(r.json["scopes"], serde_json::json!(["skills:read"]));
    assert!(!r.text.contains(&bound) && !r.text.contains("globex"));
}

/// `GET /api/approvals`: one read of what waits for an admin — a writer's
/// skill, instruction ability and MCP server — for the caller's tenant
/// only; a token without `skills:read` is refused, and a skill's hostile
/// description comes back as the string it is.
#[tokio::test]
async fn approvals_list_everything_waiting_in_the_tenant_only() {
    let s = TestServer::start("approvals").await;
    let admin = s.tenant("acme").await;
    let globex = s.tenant("globex").await;
    let writer = s.token(&admin, &["skills:read", "skills:write"]).await;
    let write_only = s.token(&admin, &["skills:write"]).await;
    s.agent(&admin, "bot").await;
    let r = s.install(&writer, "calc").await;
    assert_eq!(r.status, 201, "{}", r.text);
    let skill = r.json["skill"]["id"].as_str().unwrap().to_owned();
    let r = s
        .request(
            "POST",
            "/api/v1/skillset/create",
            Some(&admin),
            Some(serde_json::json!({"name": "Ops", "description": "<script>alert(1)</script>"})),
        )
        .await;
    let skillset = r.json["id"].as_str().unwrap().to_owned();
    let r = s
        .request(
            "POST",
            &format!("/api/v1/skillset/{skillset}/ability/create"),
            Some(&writer),
            Some(serde_json::json!({"name": "status", "description": "<img src=x onerror=alert(1)>", "instruction": "```fetch\nhttps://status.example.com/\n```"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    s.mcp_server(
        &writer,
        "bot",
        json!({"name": "remote", "url": "https://mcp.example.com/mcp"}),
    )
    .await;

    for (token, status) in [
        (None, 401),
        (Some("shk_wrong"), 401),
        (Some(write_only.as_str()), 403),
    ] {
        let r = s.request("GET", "/api/approvals", token, None).await;
        assert_eq!(r.status, status, "{}", r.text);
    }
    let r = s
        .request("GET", "/api/approvals", Some(&writer), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["total"], 3, "{}", r.text);
    assert_eq!(r.json["skills"][0]["id"], skill.as_str());
    assert_eq!(r.json["skills"][0]["status"], "pending");
    // A new skill: nothing to compare with, everything it declares is new.
    let change = &r.json["skills"][0]["change"];
    assert_eq!(change["version"], "1.0.0", "{}", r.text);
    assert_eq!(
        change["digest"], r.json["skills"][0]["digest"],
        "{}",
        r.text
    );
    assert_eq!(change["approved"], serde_json::Value::Null, "{}", r.text);
    assert_eq!(change["codeChanged"], false, "{}", r.text);
    assert_eq!(change["added"], change["capabilities"], "{}", r.text);
    assert_eq!(
        r.json["abilities"][0]["description"],
        "<img src=x onerror=alert(1)>"
    );
    assert_eq!(r.json["abilities"][0]["status"], "pending");
    assert_eq!(r.json["mcpServers"][0]["name"], "remote");
    assert_eq!(r.json["mcpServers"][0]["approval"], "pending");
    assert_eq!(r.json["tasks"], serde_json::json!([]));
    // Another tenant waits for nothing of acme's.
    let r = s
        .request("GET", "/api/approvals", Some(&globex), None)
        .await;
    assert_eq!(r.json["total"], 0, "{}", r.text);
    // Decided, an item leaves the queue.
    s.approve(&admin, &skill, None).await;
    let r = s.request("GET", "/api/approvals", Some(&admin), None).await;
    assert_eq!(
        (
            r.json["total"].as_u64(),
            r.json["skills"].as_array().map(Vec::len)
        ),
        (Some(2), Some(0)),
        "{}",
        r.text
    );
}
