//! The operator console in a real browser: Debian's Chromium, headless,
//! driven by playwright-core (`tests/console/drive.mjs`; `.ci/test`
//! installs both). An admin reviews a writer's new version (what it newly
//! asks, that the code changed), approves it with a narrowed grant and
//! denies an MCP server; mints an agent-bound token and a skill server's
//! access token, each shown once and working; installs from a file;
//! disables, narrows and detaches an agent's skills; keeps a secret out of
//! the page; filters the audit to a failed call and opens its receipt,
//! all by labelled controls and with the keyboard where it matters. The
//! operator sees the tenants, another tenant sees nothing of this one, a
//! reader sees no decision and is refused anyway. Everything done in the
//! page is checked again through the API. Screenshots of each view are
//! kept in target/console-screenshots.
use serde_json::Value;
use skillhost_tests::http::{OPERATOR_TOKEN, TestServer};
use skillhost_tests::{fixture, guests};
use std::path::Path;

async fn packed(guest: guests::Guest, manifest: &str) -> Vec<u8> {
    skillhost::pack::pack(&fixture().runtime, &guest.component_bytes(), manifest)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_reviews_and_approves_in_the_console_and_a_reader_cannot() {
    let console = Path::new(env!("CARGO_MANIFEST_DIR")).join("console");
    assert!(
        console.join("node_modules/playwright-core").is_dir()
            && Path::new("/usr/bin/chromium").exists(),
        "the console tests need Debian's chromium and playwright-core: run `bash .ci/test` (it installs both)"
    );
    let s = TestServer::start("console").await;
    // The assets, each with its type and the page's headers; nothing else
    // under /console is served.
    for (path, kind) in [
        ("/console/main.js", "text/javascript; charset=utf-8"),
        (
            "/console/views/approvals.js",
            "text/javascript; charset=utf-8",
        ),
        ("/console/console.css", "text/css; charset=utf-8"),
        ("/console/favicon.svg", "image/svg+xml"),
    ] {
        let r = s.request("GET", path, None, None).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.headers["content-type"], kind, "{path}");
        assert_eq!(r.headers["x-content-type-options"], "nosniff", "{path}");
    }
    for path in [
        "/console/nope.js",
        "/console/views/../../Cargo.toml",
        "/console/%2e%2e/secret.key",
    ] {
        let r = s.request("GET", path, None, None).await;
        assert_eq!(r.status, 404, "{path}: {}", r.text);
    }
    let admin = s.tenant("acme").await;
    let writer = s.token(&admin, &["skills:read", "skills:write"]).await;
    let reader = s.token(&admin, &["skills:read"]).await;
    let approved = s.installed(&admin, "text-tools").await;
    s.approve(&admin, &approved, None).await;
    // Two calls for the audit: one answered, one refused as invalid input.
    s.agent(&admin, "bot").await;
    s.assign(&admin, &approved, serde_json::json!({"agentId": "bot"}))
        .await;
    let scratchpad = s.installed(&admin, "scratchpad").await;
    s.approve(&admin, &scratchpad, None).await;
    s.assign(&admin, &scratchpad, serde_json::json!({"agentId": "bot"}))
        .await;
    let invoke = "/api/agents/bot/skills/text-tools/invoke";
    for (args, status) in [
        (
            serde_json::json!({"ability": "slugify", "args": {"text": "A b"}}),
            200,
        ),
        (
            serde_json::json!({"ability": "json_query", "args": {"document": {}, "pointer": "no-slash"}}),
            422,
        ),
    ] {
        let r = s.request("POST", invoke, Some(&admin), Some(args)).await;
        assert_eq!(r.status, status, "{}", r.text);
    }
    // A writer's new version that also wants the network.
    let manifest = guests::TEXT_TOOLS
        .manifest_text()
        .replace("version = \"1.0.0\"", "version = \"1.1.0\"")
        .replace(
            "[capabilities]",
            "[capabilities]\nnetwork = [\"https://api.example.com\", \"https://other.example.com\"]",
        );
    let r = s
        .raw(
            "POST",
            "/api/skills",
            Some(&writer),
            Some(&packed(guests::TEXT_TOOLS, &manifest).await),
            Some("application/wasm"),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let version = r.json["skill"]["id"].as_str().unwrap().to_owned();
    // A description written to run in a careless page.
    let hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    let manifest = guests::CALC.manifest_text();
    let description = manifest
        .lines()
        .find(|l| l.starts_with("description"))
        .unwrap()
        .to_owned();
    let manifest = manifest.replace(&description, &format!("description = \"{hostile}\""));
    let r = s
        .raw(
            "POST",
            "/api/skills",
            Some(&writer),
            Some(&packed(guests::CALC, &manifest).await),
            Some("application/wasm"),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let pending = r.json["skill"]["id"].as_str().unwrap().to_owned();

    // A writer's MCP server, for the admin to deny.
    s.mcp_server(
        &writer,
        "bot",
        serde_json::json!({"name": "remote", "url": "https://mcp.example.com/mcp"}),
    )
    .await;
    let globex = s.tenant("globex").await;
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/console-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let upload = s.data_dir.join("files.wasm");
    std::fs::write(
        &upload,
        packed(guests::FILES, &guests::FILES.manifest_text()).await,
    )
    .unwrap();
    let out = tokio::process::Command::new("node")
        .arg(console.join("drive.mjs"))
        .arg(format!("http://{}", s.addr))
        .arg(&shots)
        .env("ADMIN", &admin)
        .env("READER", &reader)
        .env("OPERATOR", OPERATOR_TOKEN)
        .env("OTHER_TENANT", &globex)
        .env("INSTALL_FILE", &upload)
        .env("PENDING_SKILL", &pending)
        .output()
        .await
        .expect("node runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_slice(&out.stdout).unwrap();
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap_or_else(|| panic!("a list: {v}"))
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect()
    };

    assert!(
        seen["policy"]
            .as_str()
            .unwrap()
            .contains("script-src 'self'"),
        "{seen}"
    );
    assert_eq!(seen["who"], "acme: admin", "{seen}");
    assert_eq!(seen["tokenInUrl"], false);
    assert_eq!(seen["tenantsButtonForAdmin"], false, "{seen}");
    // The review: versions, the code, and what is new.
    let text = seen["versionText"].as_str().unwrap();
    assert!(
        text.contains("Version 1.1.0 would replace the approved 1.0.0.")
            && text.contains("The code changed:"),
        "{seen}"
    );
    assert_eq!(
        strings(&seen["newlyAsks"]),
        [
            "reach https://api.example.com (new)",
            "reach https://other.example.com (new)"
        ],
        "{seen}"
    );
    assert_eq!(seen["hostileText"], hostile, "{seen}");
    assert_eq!(seen["injectedElements"], 0, "{seen}");
    assert_eq!(seen["dialogs"], serde_json::json!([]), "{seen}");
    // The errors the page may log: the refusals the test asks for (the
    // revoked token, the wrong access token, the reader's approval, the
    // URL the server will not fetch).
    let errors: Vec<&Value> = seen["consoleErrors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            let e = e.as_str().unwrap();
            !["401", "403", "422"]
                .iter()
                .any(|status| e.contains(&format!("status of {status}")))
        })
        .collect();
    assert!(errors.is_empty(), "{seen}");
    assert_eq!(seen["unlabelled"], serde_json::json!([]), "{seen}");
    assert_eq!(seen["afterDecisions"], "Waiting for approval (1)", "{seen}");
    // Keyboard: Tab reaches the view, Enter opens it, focus lands on it.
    assert_eq!(seen["keyboardReached"], "Tokens", "{seen}");
    assert!(
        seen["focusAfterView"]
            .as_str()
            .unwrap()
            .starts_with("<h2 tabindex=\"-1\">Tokens"),
        "{seen}"
    );
    // A minted token works as what it was minted as, is shown once, and
    // is refused once revoked.
    assert_eq!(seen["mintedShape"], true, "{seen}");
    assert_eq!(
        seen["mintedMe"],
        serde_json::json!({"status": 200, "scopes": ["skills:read"], "agent": "bot"}),
        "{seen}"
    );
    assert_eq!(seen["mintedAfterRedraw"], false, "{seen}");
    assert_eq!(seen["revokedStatus"], 401, "{seen}");
    assert!(
        seen["installedRow"]
            .as_str()
            .unwrap()
            .starts_with("files 1.0.0 · sdk · pending · uploaded"),
        "{seen}"
    );
    assert_eq!(
        strings(&seen["newSkillAsks"]),
        ["read files in /docs", "write files in /notes"],
        "{seen}"
    );
    assert!(
        seen["urlRefusal"]
            .as_str()
            .unwrap()
            .ends_with("a loopback address; skill sources must be public (an operator can allow private sources with --allow-private-sources) (422)"),
        "{seen}"
    );
    assert!(
        strings(&seen["declared"]).contains(&"reach https://other.example.com".to_owned()),
        "{seen}"
    );
    assert!(
        strings(&seen["granted"]).contains(&"reach https://api.example.com".to_owned())
            && !strings(&seen["granted"]).contains(&"reach https://other.example.com".to_owned())
            && strings(&seen["granted"]).contains(&"run up to 1500 ms a call".to_owned()),
        "{seen}"
    );
    assert_eq!(strings(&seen["usedBy"]), ["bot"], "{seen}");
    assert_eq!(
        strings(&seen["botSkills"]),
        ["text-tools 1.1.0: disabled, narrowed: no network"],
        "{seen}"
    );
    assert_eq!(seen["integration"], 200, "{seen}");
    assert_eq!(seen["integrationWrongToken"], 401, "{seen}");
    assert_eq!(seen["accessAfterRedraw"], false, "{seen}");
    assert_eq!(
        (&seen["secretInPage"], &seen["secretInInputs"]),
        (&Value::Bool(false), &Value::Bool(false)),
        "{seen}"
    );
    assert_eq!(seen["auditShown"], 1, "{seen}");
    assert!(
        seen["receiptWords"]
            .as_str()
            .unwrap()
            .contains("bytes out, over rest"),
        "{seen}"
    );
    assert!(
        seen["receipt"]
            .as_str()
            .unwrap()
            .contains("\"outcome\": \"invalid_input\""),
        "{seen}"
    );
    assert_eq!(seen["storedAfterSignOut"], 0);
    assert_eq!(seen["signInShown"], true);
    let tenants = strings(&seen["tenants"]);
    assert!(
        tenants.contains(&"acme".to_owned()) && tenants.contains(&"globex".to_owned()),
        "{seen}"
    );
    assert_eq!(seen["otherWaiting"], "Waiting for approval (0)", "{seen}");
    assert_eq!(seen["otherSkills"], 0, "{seen}");
    assert_eq!(seen["readerButtons"], 0, "{seen}");
    assert_eq!(seen["readerNarrow"], 0, "{seen}");
    assert_eq!(
        strings(&seen["readerViews"]),
        ["Approvals", "Skills", "Agents", "Skillsets"],
        "{seen}"
    );
    assert_eq!(seen["readerApprove"], 403, "{seen}");
    assert_eq!(seen["readerInstall"], 0, "{seen}");
    assert_eq!(seen["pageHasToken"], false);

    // What the page did, through the API.
    let r = s
        .request("GET", &format!("/api/skills/{version}"), Some(&admin), None)
        .await;
    assert_eq!(r.json["skill"]["status"], "active", "{}", r.text);
    assert_eq!(
        r.json["skill"]["grant"]["network"],
        serde_json::json!(["https://api.example.com"]),
        "{}",
        r.text
    );
    assert_eq!(
        r.json["skill"]["grant"]["limits"]["timeoutMs"], 1500,
        "{}",
        r.text
    );
    let agents = &r.json["assignedAgents"];
    assert_eq!(agents[0]["agentName"], "bot", "{}", r.text);
    assert_eq!(agents[0]["enabled"], false, "{}", r.text);
    assert_eq!(
        agents[0]["capabilities"],
        serde_json::json!({"network": []}),
        "{}",
        r.text
    );
    let r = s
        .request("GET", "/api/agents/bot/attached-skills", Some(&admin), None)
        .await;
    assert_eq!(r.json.as_array().map(Vec::len), Some(1), "{}", r.text);
    let r = s
        .request("GET", "/api/agents/bot/mcp/servers", Some(&admin), None)
        .await;
    assert_eq!(r.json["servers"], serde_json::json!([]), "{}", r.text);
    let r = s
        .request("GET", "/api/skills/files", Some(&admin), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = s
        .request("GET", "/api/v1/secret/list", Some(&admin), None)
        .await;
    assert_eq!(r.json["items"][0]["name"], "console key", "{}", r.text);
    for view in [
        "approvals",
        "skills",
        "agents",
        "skillsets",
        "secrets",
        "tokens",
        "audit",
        "tenants",
        "reader",
    ] {
        assert!(shots.join(format!("{view}.png")).is_file(), "{view}.png");
    }
}
