//! The operator console in a real browser: Debian's Chromium, headless,
//! driven by playwright-core (`tests/console/drive.mjs`; `.ci/test`
//! installs both). A writer's new version waits with what it newly asks
//! for; the admin approves it from the console and the API shows it
//! active; a hostile description stays text; sign-out leaves the tab
//! nothing; a reader sees no approve button and is refused anyway.
//! Screenshots of each view are kept in target/console-screenshots.
use serde_json::Value;
use skillhost_tests::http::TestServer;
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
    let admin = s.tenant("acme").await;
    let writer = s.token(&admin, &["skills:read", "skills:write"]).await;
    let reader = s.token(&admin, &["skills:read"]).await;
    let approved = s.installed(&admin, "text-tools").await;
    s.approve(&admin, &approved, None).await;
    // Two calls for the audit: one answered, one refused as invalid input.
    s.agent(&admin, "bot").await;
    s.assign(&admin, &approved, serde_json::json!({"agentId": "bot"}))
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
            "[capabilities]\nnetwork = [\"https://api.example.com\"]",
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

    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/console-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let out = tokio::process::Command::new("node")
        .arg(console.join("drive.mjs"))
        .arg(format!("http://{}", s.addr))
        .args([&admin, &reader])
        .arg(&shots)
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

    assert!(
        seen["policy"]
            .as_str()
            .unwrap()
            .contains("script-src 'self'"),
        "{seen}"
    );
    assert_eq!(seen["who"], "acme: admin", "{seen}");
    assert_eq!(seen["tokenInUrl"], false);
    let asks: Vec<&str> = seen["versionAsks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(
        asks.contains(&"reach https://api.example.com (new)"),
        "{seen}"
    );
    assert_eq!(seen["hostileText"], hostile, "{seen}");
    assert_eq!(seen["injectedElements"], 0, "{seen}");
    assert_eq!(seen["dialogs"], serde_json::json!([]), "{seen}");
    // The one error the page may log: the reader's deliberate approval.
    let errors: Vec<&Value> = seen["consoleErrors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !e.as_str().unwrap().contains("status of 403"))
        .collect();
    assert!(errors.is_empty(), "{seen}");
    assert_eq!(seen["storedAfterSignOut"], 0);
    assert_eq!(seen["signInShown"], true);
    assert_eq!(seen["readerButtons"], 0, "{seen}");
    assert_eq!(seen["readerSecretsButton"], false, "{seen}");
    assert_eq!(
        (&seen["secretInPage"], &seen["secretInInputs"]),
        (&Value::Bool(false), &Value::Bool(false)),
        "{seen}"
    );
    assert_eq!(seen["auditShown"], 1, "{seen}");
    assert!(
        seen["receipt"]
            .as_str()
            .unwrap()
            .contains("\"outcome\": \"invalid_input\""),
        "{seen}"
    );
    assert_eq!(seen["readerApprove"], 403, "{seen}");
    assert_eq!(seen["pageHasToken"], false);
    // Approved in the console, active through the API.
    let r = s
        .request("GET", &format!("/api/skills/{version}"), Some(&admin), None)
        .await;
    assert_eq!(r.json["skill"]["status"], "active", "{}", r.text);
    for view in ["approvals", "skills", "secrets", "audit", "reader"] {
        assert!(shots.join(format!("{view}.png")).is_file(), "{view}.png");
    }
}
