//! Catalog sources and writes against a real server on 127.0.0.1 with a
//! real SQLite file: installs from a URL (with pins, redirects and syncs,
//! served by a real upstream HTTP server), operator path installs,
//! multipart uploads, seed 003's per-agent writes, list paging and input
//! recording, each with its refusals.
use serde_json::{Value, json};
use skillhost::server::ServiceOptions;
use skillhost_tests::http::{OPERATOR_TOKEN, TestServer};
use skillhost_tests::{Upstream, sha256};

fn private_sources() -> ServiceOptions {
    ServiceOptions {
        allow_private_sources: true,
        ..ServiceOptions::default()
    }
}

/// text-tools packed with its manifest edited by `edit`.
async fn text_tools_with(edit: impl Fn(String) -> String) -> Vec<u8> {
    let f = skillhost_tests::fixture();
    let guest = skillhost_tests::guests::TEXT_TOOLS;
    skillhost::pack::pack(
        &f.runtime,
        &guest.component_bytes(),
        &edit(guest.manifest_text()),
    )
    .await
    .unwrap()
}

async fn json_install(
    server: &TestServer,
    token: &str,
    body: Value,
) -> skillhost_tests::http::Reply {
    server
        .request("POST", "/api/skills", Some(token), Some(body))
        .await
}

async fn slugify(server: &TestServer, token: &str, agent: &str) -> skillhost_tests::http::Reply {
    server
        .request(
            "POST",
            &format!("/api/agents/{agent}/skills/text-tools/invoke"),
            Some(token),
            Some(json!({"ability": "slugify", "args": {"text": "Hello World"}})),
        )
        .await
}

/// Agent `agent`'s text-tools slugifies: a successful call, not only a 200
/// (REST invoke answers 200 for failed calls too).
async fn assert_slugifies(server: &TestServer, token: &str, agent: &str) {
    let r = slugify(server, token, agent).await;
    assert_eq!(
        (
            r.status,
            r.json["success"].as_bool(),
            r.json["output"].as_str()
        ),
        (200, Some(true), Some("hello-world")),
        "{}",
        r.text
    );
}

/// The version of text-tools agent `bot` is on.
async fn agent_version(server: &TestServer, admin: &str) -> String {
    let r = server
        .request(
            "GET",
            "/api/agents/bot/skills/text-tools",
            Some(admin),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["version"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn url_installs_are_pinned_fetched_and_synced() {
    let upstream = Upstream::start("127.0.0.1");
    let server = TestServer::start_with("url-install", private_sources()).await;
    let admin = server.tenant("acme").await;
    let v1 = skillhost_tests::fixture().packed["text-tools"].clone();
    upstream.put_file("text-tools.wasm", &v1);
    // The latest version, through a redirect.
    let latest = upstream.url("/redirect?to=/files/text-tools.wasm");

    // Malformed sources are 400, with what to do.
    for (body, code) in [
        (
            json!({"sourceUrl": "ftp://example.com/x.wasm"}),
            "invalid_source_url",
        ),
        (
            json!({"sourceUrl": "http://user:pw@example.com/x.wasm"}),
            "invalid_source_url",
        ),
        (
            json!({"sourceUrl": latest, "sha256": "abc"}),
            "invalid_sha256",
        ),
        (json!({}), "invalid_body"),
        (
            json!({"sourceUrl": latest, "path": "x.wasm"}),
            "invalid_body",
        ),
        (
            json!({"sourceUrl": latest, "colour": "red"}),
            "invalid_body",
        ),
    ] {
        let r = json_install(&server, &admin, body.clone()).await;
        assert_eq!(
            (r.status, r.json["code"].as_str()),
            (400, Some(code)),
            "{body}: {}",
            r.text
        );
    }
    // Seed 004's kinds are sources of their own (the sources module); a URL
    // that is none of a skill_md's forms says so, and an unknown kind is
    // refused naming the ones there are.
    let r = json_install(
        &server,
        &admin,
        json!({"source": "skill_md", "sourceUrl": latest}),
    )
    .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (400, Some("invalid_source_url")),
        "{}",
        r.text
    );
    let r = json_install(
        &server,
        &admin,
        json!({"source": "npm", "sourceUrl": latest}),
    )
    .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (422, Some("unsupported_source")),
        "{}",
        r.text
    );
    assert!(r.text.contains("openapi_action"), "{}", r.text);
    // The upstream failing is 502; the message names the URL without its query.
    let r = json_install(
        &server,
        &admin,
        json!({"sourceUrl": upstream.url("/status?code=500&token=s3cret")}),
    )
    .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (502, Some("fetch_failed")),
        "{}",
        r.text
    );
    assert!(
        r.text.contains("500") && !r.text.contains("s3cret"),
        "{}",
        r.text
    );
    // A wrong pin is refused and nothing is installed.
    let wrong = "0".repeat(64);
    let r = json_install(
        &server,
        &admin,
        json!({"sourceUrl": latest, "sha256": wrong}),
    )
    .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (422, Some("digest_mismatch")),
        "{}",
        r.text
    );
    assert!(r.text.contains(&sha256(&v1)), "{}", r.text);
    // A right pin (through a redirect) installs it, pending like any install.
    let r = json_install(
        &server,
        &admin,
        json!({"url": latest, "sha256": format!("sha256:{}", sha256(&v1).to_uppercase())}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let skill = &r.json["skill"];
    assert_eq!(
        (
            skill["origin"].as_str(),
            skill["status"].as_str(),
            skill["sourceUrl"].as_str(),
            skill["sha256"].as_str()
        ),
        (
            Some("url"),
            Some("pending"),
            Some(latest.as_str()),
            Some(sha256(&v1).as_str())
        )
    );
    assert!(skill["lastSyncedAt"].is_string());
    let pinned = skill["id"].as_str().unwrap().to_owned();
    let r = server
        .request(
            "GET",
            "/api/skills?status=all&source=url",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.json["total"], 1, "{}", r.text);

    // Sync: unchanged bytes.
    let sync = format!("/api/skills/{pinned}/sync");
    let r = server.request("POST", &sync, Some(&admin), None).await;
    assert_eq!(
        (
            r.status,
            r.json["ok"].as_bool(),
            r.json["changed"].as_bool()
        ),
        (200, Some(true), Some(false)),
        "{}",
        r.text
    );
    assert!(r.json["syncedAt"].is_string());
    // The pinned source now serves other bytes: the pin holds, 502, recorded.
    let v1_1 = text_tools_with(|m| m.replace("version = \"1.0.0\"", "version = \"1.1.0\"")).await;
    upstream.put_file("text-tools.wasm", &v1_1);
    let r = server.request("POST", &sync, Some(&admin), None).await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (502, Some("sync_failed")),
        "{}",
        r.text
    );
    let r = server
        .request("GET", &format!("/api/skills/{pinned}"), Some(&admin), None)
        .await;
    assert!(
        r.json["skill"]["syncError"]
            .as_str()
            .unwrap()
            .contains("sha256"),
        "{}",
        r.text
    );
    assert_eq!(r.json["skill"]["currentVersion"], "1.0.0");

    // Refusals: no token, reader, another tenant, an uploaded skill.
    assert_eq!(server.request("POST", &sync, None, None).await.status, 401);
    let reader = server.token(&admin, &["skills:read"]).await;
    assert_eq!(
        server
            .request("POST", &sync, Some(&reader), None)
            .await
            .status,
        403
    );
    let other = server.tenant("other").await;
    assert_eq!(
        server
            .request("POST", &sync, Some(&other), None)
            .await
            .status,
        404
    );
    let uploaded = server.installed(&admin, "hostile").await;
    let r = server
        .request(
            "POST",
            &format!("/api/skills/{uploaded}/sync"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (409, Some("not_syncable")),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn a_sync_brings_new_versions_and_agents_follow_the_approved_one() {
    let upstream = Upstream::start("127.0.0.1");
    let server = TestServer::start_with("url-sync", private_sources()).await;
    let admin = server.tenant("acme").await;
    let v1 = skillhost_tests::fixture().packed["text-tools"].clone();
    upstream.put_file("tt.wasm", &v1);
    let r = json_install(
        &server,
        &admin,
        json!({"sourceUrl": upstream.file_url("tt.wasm")}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json["skill"]["id"].as_str().unwrap().to_owned();
    server.approve(&admin, &id, None).await;
    server.agent(&admin, "bot").await;
    let r = server
        .request(
            "POST",
            &format!("/api/skills/{id}/assign"),
            Some(&admin),
            Some(json!({"agentId": "bot"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_slugifies(&server, &admin, "bot").await;

    // 1.1.0 asks for nothing more: active at once, and the agent moves to it.
    let v1_1 = text_tools_with(|m| m.replace("version = \"1.0.0\"", "version = \"1.1.0\"")).await;
    upstream.put_file("tt.wasm", &v1_1);
    let r = server
        .request(
            "POST",
            &format!("/api/skills/{id}/sync"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.json["changed"].as_bool()),
        (200, Some(true)),
        "{}",
        r.text
    );
    assert_eq!(
        (
            r.json["skill"]["currentVersion"].as_str(),
            r.json["skill"]["status"].as_str(),
            r.json["skill"]["assignedAgentsCount"].as_i64()
        ),
        (Some("1.1.0"), Some("active"), Some(1))
    );
    let v1_1_id = r.json["skill"]["id"].as_str().unwrap().to_owned();
    // Syncing the old entry again finds 1.1.0 already here: no change.
    let r = server
        .request(
            "POST",
            &format!("/api/skills/{id}/sync"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(
        (
            r.status,
            r.json["changed"].as_bool(),
            r.json["skill"]["id"].as_str()
        ),
        (200, Some(false), Some(v1_1_id.as_str())),
        "{}",
        r.text
    );
    assert_eq!(agent_version(&server, &admin).await, "1.1.0");
    assert_slugifies(&server, &admin, "bot").await;

    // Same version, different bytes: refused.
    let changed = text_tools_with(|m| {
        m.replace("version = \"1.0.0\"", "version = \"1.1.0\"")
            .replace("description = \"", "description = \"Changed: ")
    })
    .await;
    upstream.put_file("tt.wasm", &changed);
    let r = server
        .request(
            "POST",
            &format!("/api/skills/{v1_1_id}/sync"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (502, Some("sync_failed")),
        "{}",
        r.text
    );
    assert!(r.text.contains("same version"), "{}", r.text);

    // 2.0.0 asks for more: pending with the difference; the agent stays on
    // 1.1.0 until it is approved, then moves.
    let v2 = text_tools_with(|m| {
        m.replace("version = \"1.0.0\"", "version = \"2.0.0\"")
            .replace("[capabilities]", "[capabilities]\nsecrets = [\"API_KEY\"]")
    })
    .await;
    upstream.put_file("tt.wasm", &v2);
    let r = server
        .request(
            "POST",
            &format!("/api/skills/{v1_1_id}/sync"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (
            r.json["skill"]["status"].as_str(),
            &r.json["skill"]["capabilityDiff"]
        ),
        (Some("pending"), &json!({"secrets": ["API_KEY"]}))
    );
    let v2_id = r.json["skill"]["id"].as_str().unwrap().to_owned();
    assert_eq!(agent_version(&server, &admin).await, "1.1.0");
    assert_slugifies(&server, &admin, "bot").await;
    let r = server
        .raw(
            "POST",
            &format!("/api/skills/{v2_id}/approve"),
            Some(&admin),
            None,
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.json["skill"]["assignedAgentsCount"].as_i64()),
        (200, Some(1)),
        "{}",
        r.text
    );
    assert_eq!(agent_version(&server, &admin).await, "2.0.0");
    assert_slugifies(&server, &admin, "bot").await;

    // The upstream disappearing is a 502 and is shown on the skill.
    upstream.remove_file("tt.wasm");
    let r = server
        .request(
            "POST",
            &format!("/api/skills/{v2_id}/sync"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (502, Some("sync_failed")),
        "{}",
        r.text
    );
    let r = server
        .request("GET", &format!("/api/skills/{v2_id}"), Some(&admin), None)
        .await;
    assert!(
        r.json["skill"]["syncError"]
            .as_str()
            .unwrap()
            .contains("404"),
        "{}",
        r.text
    );
    assert_eq!(
        r.json["skill"]["status"], "active",
        "a failed sync does not take the skill away"
    );
}

#[tokio::test]
async fn private_and_metadata_sources_are_refused_by_default() {
    let upstream = Upstream::start("127.0.0.1");
    upstream.put_file("tt.wasm", &skillhost_tests::fixture().packed["text-tools"]);
    let server = TestServer::start("url-private").await;
    let admin = server.tenant("acme").await;
    for url in [
        upstream.file_url("tt.wasm"),
        upstream.localhost_url("/files/tt.wasm"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://[::1]/x.wasm".to_owned(),
        "http://10.0.0.1/x.wasm".to_owned(),
    ] {
        let r = json_install(&server, &admin, json!({"sourceUrl": url})).await;
        assert_eq!(
            (r.status, r.json["code"].as_str()),
            (422, Some("source_refused")),
            "{url}: {}",
            r.text
        );
        assert!(r.text.contains("--allow-private-sources"), "{}", r.text);
    }
    assert_eq!(
        upstream.requests(),
        Vec::<String>::new(),
        "nothing was fetched"
    );
    // Seed 003's install-from-URL applies the same rule.
    server.agent(&admin, "bot").await;
    let r = server
        .request(
            "POST",
            "/api/agents/bot/skills/install",
            Some(&admin),
            Some(json!({"url": upstream.file_url("tt.wasm")})),
        )
        .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (422, Some("source_refused")),
        "{}",
        r.text
    );
    assert_eq!(upstream.requests(), Vec::<String>::new());
}

#[tokio::test]
async fn path_installs_are_for_operators_and_stay_under_the_install_root() {
    let root = skillhost_tests::work_dir("install-root");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(
        root.join("sub/text-tools.wasm"),
        &skillhost_tests::fixture().packed["text-tools"],
    )
    .unwrap();
    std::os::unix::fs::symlink("/etc/passwd", root.join("escape.wasm")).unwrap();
    let server = TestServer::start_with(
        "path-install",
        ServiceOptions {
            install_root: Some(root.to_path_buf()),
            ..ServiceOptions::default()
        },
    )
    .await;
    let admin = server.tenant("acme").await;
    // A tenant admin may not read server files.
    let r = json_install(&server, &admin, json!({"path": "sub/text-tools.wasm"})).await;
    assert_eq!(r.status, 403, "{}", r.text);
    for path in ["../../etc/passwd", "/etc/passwd", "escape.wasm"] {
        let r = json_install(&server, OPERATOR_TOKEN, json!({"path": path})).await;
        assert_eq!(
            (r.status, r.json["code"].as_str()),
            (422, Some("invalid_path")),
            "{path}: {}",
            r.text
        );
        assert!(
            !r.text.contains(root.to_str().unwrap()),
            "the host path stays private: {}",
            r.text
        );
    }
    for path in ["missing.wasm", "sub"] {
        let r = json_install(&server, OPERATOR_TOKEN, json!({"path": path})).await;
        assert_eq!(
            (r.status, r.json["code"].as_str()),
            (422, Some("invalid_path")),
            "{path}: {}",
            r.text
        );
    }
    let r = json_install(
        &server,
        OPERATOR_TOKEN,
        json!({"path": "sub/text-tools.wasm"}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["skill"]["origin"], "path");
    assert!(
        r.json["skill"]["sourceUrl"].is_null(),
        "the server path is not shown"
    );
    // Nor through seed 004's attachment view.
    let id = r.json["skill"]["id"].as_str().unwrap().to_owned();
    server.agent(OPERATOR_TOKEN, "bot").await;
    let attached = "/api/agents/bot/attached-skills";
    let r = server
        .request(
            "POST",
            attached,
            Some(OPERATOR_TOKEN),
            Some(json!({"skillId": id})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = server
        .request("GET", attached, Some(OPERATOR_TOKEN), None)
        .await;
    assert_eq!(r.json[0]["skill"]["name"], "text-tools", "{}", r.text);
    assert!(!r.text.contains(root.to_str().unwrap()), "{}", r.text);
    // Without an install root, path installs are off.
    let plain = TestServer::start("path-install-off").await;
    let r = json_install(
        &plain,
        OPERATOR_TOKEN,
        json!({"path": "sub/text-tools.wasm"}),
    )
    .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (409, Some("path_installs_disabled")),
        "{}",
        r.text
    );
    assert!(r.text.contains("--install-root"));
    let _ = std::fs::remove_dir_all(&root);
}

fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (Vec<u8>, String) {
    let boundary = "skillhost-test-boundary";
    let mut body = Vec::new();
    for (name, file_name, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let disposition = match file_name {
            Some(f) => {
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\n")
            }
            None => format!("Content-Disposition: form-data; name=\"{name}\"\r\n"),
        };
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(b"Content-Type: application/octet-stream\r\n\r\n");
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (body, format!("multipart/form-data; boundary={boundary}"))
}

#[tokio::test]
async fn multipart_uploads_install_one_component() {
    let server = TestServer::start("multipart").await;
    let admin = server.tenant("acme").await;
    let wasm = skillhost_tests::fixture().packed["text-tools"].clone();
    let (body, ct) = multipart(&[
        ("note", None, b"hello"),
        ("upload", Some("text-tools.wasm"), &wasm),
    ]);
    let r = server
        .raw("POST", "/api/skills", Some(&admin), Some(&body), Some(&ct))
        .await;
    assert_eq!(
        (r.status, r.json["skill"]["name"].as_str()),
        (201, Some("text-tools")),
        "{}",
        r.text
    );
    let (body, ct) = multipart(&[("note", None, b"hello")]);
    let r = server
        .raw("POST", "/api/skills", Some(&admin), Some(&body), Some(&ct))
        .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (400, Some("invalid_multipart")),
        "{}",
        r.text
    );
    let (body, ct) = multipart(&[
        ("file", Some("a.wasm"), &wasm),
        ("file", Some("b.wasm"), &wasm),
    ]);
    let r = server
        .raw("POST", "/api/skills", Some(&admin), Some(&body), Some(&ct))
        .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (400, Some("invalid_multipart")),
        "{}",
        r.text
    );
    let (body, ct) = multipart(&[("file", Some("junk.wasm"), b"\0asm junk")]);
    let r = server
        .raw("POST", "/api/skills", Some(&admin), Some(&body), Some(&ct))
        .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (422, Some("invalid_component")),
        "{}",
        r.text
    );
    let r = server
        .raw(
            "POST",
            "/api/skills",
            Some(&admin),
            Some(b"--x\r\nbroken"),
            Some("multipart/form-data; boundary=x"),
        )
        .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (400, Some("invalid_multipart")),
        "{}",
        r.text
    );
    let r = server
        .raw(
            "POST",
            "/api/skills",
            Some(&admin),
            Some(&wasm),
            Some("text/plain"),
        )
        .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (400, Some("unsupported_content_type")),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn seed_003_create_update_install_and_delete() {
    let upstream = Upstream::start("127.0.0.1");
    let server = TestServer::start_with("seed-003-writes", private_sources()).await;
    let admin = server.tenant("acme").await;
    server.agent(&admin, "bot").await;
    let wasm = skillhost_tests::fixture().packed["text-tools"].clone();
    let create = |token: String| {
        let (server, wasm) = (&server, wasm.clone());
        async move {
            server
                .raw(
                    "POST",
                    "/api/agents/bot/skills",
                    Some(&token),
                    Some(&wasm),
                    Some("application/wasm"),
                )
                .await
        }
    };
    // Refusals first: no token, reader, another tenant's view of the agent.
    assert_eq!(
        server
            .raw(
                "POST",
                "/api/agents/bot/skills",
                None,
                Some(&wasm),
                Some("application/wasm")
            )
            .await
            .status,
        401
    );
    let reader = server.token(&admin, &["skills:read"]).await;
    assert_eq!(create(reader.clone()).await.status, 403);
    let other = server.tenant("other").await;
    assert_eq!(create(other.clone()).await.status, 404);
    // Create: installed, pending, and given to the agent.
    let r = create(admin.clone()).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        (
            r.json["success"].as_bool(),
            r.json["skill"]["name"].as_str(),
            r.json["skill"]["status"].as_str()
        ),
        (Some(true), Some("text-tools"), Some("pending"))
    );
    assert!(r.json["skill"]["created_at"].is_string());
    let r = server
        .request("GET", "/api/agents/bot/skills", Some(&admin), None)
        .await;
    assert_eq!(r.json["skills"][0]["name"], "text-tools", "{}", r.text);
    let r = slugify(&server, &admin, "bot").await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (409, Some("skill_not_active")),
        "{}",
        r.text
    );
    let r = server
        .request("GET", "/api/skills/text-tools", Some(&admin), None)
        .await;
    let id = r.json["skill"]["id"].as_str().unwrap().to_owned();
    server.approve(&admin, &id, None).await;
    assert_slugifies(&server, &admin, "bot").await;

    // Update metadata.
    let path = "/api/agents/bot/skills/text-tools";
    let r = server
        .request(
            "PUT",
            path,
            Some(&admin),
            Some(json!({"description": "Slugs and such"})),
        )
        .await;
    assert_eq!(
        (r.status, r.json["skill"]["description"].as_str()),
        (200, Some("Slugs and such")),
        "{}",
        r.text
    );
    let r = server.request("GET", path, Some(&admin), None).await;
    assert_eq!(r.json["description"], "Slugs and such");
    let r = server
        .request("PUT", path, Some(&admin), Some(json!({})))
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    // Code is for code skills; a component takes a new version.
    let body = json!({"code": "#!/bin/bash"});
    let r = server.request("PUT", path, Some(&admin), Some(body)).await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (422, Some("not_a_code_skill")),
        "{}",
        r.text
    );
    assert_eq!(
        server
            .request(
                "PUT",
                path,
                Some(&reader),
                Some(json!({"description": "x"}))
            )
            .await
            .status,
        403
    );
    assert_eq!(
        server
            .request("PUT", path, Some(&other), Some(json!({"description": "x"})))
            .await
            .status,
        404
    );
    // Update with another skill's component: refused.
    let calc = skillhost_tests::fixture().packed["calc"].clone();
    let r = server
        .raw(
            "PUT",
            path,
            Some(&admin),
            Some(&calc),
            Some("application/wasm"),
        )
        .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (422, Some("name_mismatch")),
        "{}",
        r.text
    );
    // Update with a new version that asks for nothing more: the agent is on it.
    let v1_1 = text_tools_with(|m| m.replace("version = \"1.0.0\"", "version = \"1.1.0\"")).await;
    let r = server
        .raw(
            "PUT",
            path,
            Some(&admin),
            Some(&v1_1),
            Some("application/wasm"),
        )
        .await;
    assert_eq!(
        (r.status, r.json["skill"]["status"].as_str()),
        (200, Some("active")),
        "{}",
        r.text
    );
    let r = server.request("GET", path, Some(&admin), None).await;
    assert_eq!(r.json["version"], "1.1.0", "{}", r.text);
    assert_slugifies(&server, &admin, "bot").await;

    // Install from URL, with a name check.
    upstream.put_file("calc.wasm", &calc);
    // An update may name its new version's source instead of sending it.
    let r = server
        .request(
            "PUT",
            path,
            Some(&admin),
            Some(json!({"url": upstream.file_url("calc.wasm")})),
        )
        .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (422, Some("name_mismatch")),
        "{}",
        r.text
    );
    let install = "/api/agents/bot/skills/install";
    let r = server
        .request(
            "POST",
            install,
            Some(&admin),
            Some(json!({"url": upstream.file_url("calc.wasm"), "name": "weather"})),
        )
        .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (422, Some("name_mismatch")),
        "{}",
        r.text
    );
    let r = server
        .request("POST", install, Some(&admin), Some(json!({"name": "calc"})))
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let r = server
        .request(
            "POST",
            install,
            Some(&admin),
            Some(json!({"url": upstream.file_url("calc.wasm"), "name": "calc"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        (
            r.json["skill"]["name"].as_str(),
            r.json["skill"]["installed_at"].is_string()
        ),
        (Some("calc"), true)
    );
    let r = server
        .request("GET", "/api/agents/bot/skills", Some(&admin), None)
        .await;
    assert_eq!(r.json["skills"].as_array().unwrap().len(), 2, "{}", r.text);

    // Delete: gone from the agent, still in the catalog.
    assert_eq!(
        server
            .request("DELETE", path, Some(&reader), None)
            .await
            .status,
        403
    );
    assert_eq!(
        server
            .request("DELETE", path, Some(&other), None)
            .await
            .status,
        404
    );
    let r = server.request("DELETE", path, Some(&admin), None).await;
    assert_eq!(
        (r.status, r.json["success"].as_bool()),
        (200, Some(true)),
        "{}",
        r.text
    );
    assert!(r.json["message"].as_str().unwrap().contains("text-tools"));
    assert_eq!(
        server.request("GET", path, Some(&admin), None).await.status,
        404
    );
    assert_eq!(
        server
            .request("DELETE", path, Some(&admin), None)
            .await
            .status,
        404
    );
    let r = slugify(&server, &admin, "bot").await;
    assert_eq!(
        (r.status, &r.json),
        (
            404,
            &json!({"code": "not_found", "error": "Skill assignment for this agent not found"})
        ),
        "{}",
        r.text
    );
    assert_eq!(
        server
            .request("GET", "/api/skills/text-tools", Some(&admin), None)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn the_skills_list_pages_with_a_cursor_and_filters_by_source() {
    let server = TestServer::start("list-paging").await;
    let admin = server.tenant("acme").await;
    for guest in ["text-tools", "calc", "hostile"] {
        assert_eq!(server.install(&admin, guest).await.status, 201);
    }
    let mut names = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/skills?status=all&limit=2&cursor={c}"),
            None => "/api/skills?status=all&limit=2".to_owned(),
        };
        let r = server.request("GET", &path, Some(&admin), None).await;
        assert_eq!(
            (r.status, r.json["total"].as_i64()),
            (200, Some(3)),
            "{}",
            r.text
        );
        names.extend(
            r.json["skills"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["name"].as_str().unwrap().to_owned()),
        );
        match r.json["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(names, ["calc", "hostile", "text-tools"]);
    let r = server
        .request(
            "GET",
            "/api/skills?status=all&source=custom",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.json["total"], 3);
    let r = server
        .request(
            "GET",
            "/api/skills?status=all&source=upload",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.json["total"], 3);
    let r = server
        .request(
            "GET",
            "/api/skills?status=all&source=url",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(
        (r.json["total"].as_i64(), r.json["nextCursor"].is_null()),
        (Some(0), true)
    );
    for (query, code) in [
        ("source=ftp", "invalid_source"),
        ("cursor=zz", "invalid_cursor"),
        ("cursor=6869", "invalid_cursor"),
        ("limit=0", "invalid_limit"),
    ] {
        let r = server
            .request("GET", &format!("/api/skills?{query}"), Some(&admin), None)
            .await;
        assert_eq!(
            (r.status, r.json["code"].as_str()),
            (400, Some(code)),
            "{query}: {}",
            r.text
        );
    }
    // Another tenant sees none of them.
    let other = server.tenant("other").await;
    let r = server
        .request("GET", "/api/skills?status=all", Some(&other), None)
        .await;
    assert_eq!(r.json["total"], 0);
}

#[tokio::test]
async fn inputs_are_recorded_only_when_the_operator_enables_it() {
    for record in [false, true] {
        let server = TestServer::start_with(
            &format!("record-inputs-{record}"),
            ServiceOptions {
                record_inputs: record,
                ..ServiceOptions::default()
            },
        )
        .await;
        let admin = server.tenant("acme").await;
        let id = server.installed(&admin, "text-tools").await;
        server.approve(&admin, &id, None).await;
        server.agent(&admin, "bot").await;
        server.assign(&admin, &id, json!({"agentId": "bot"})).await;
        assert_slugifies(&server, &admin, "bot").await;
        let r = server
            .request("GET", "/api/audit", Some(&admin), None)
            .await;
        let record_json = &r.json["invocations"][0];
        if record {
            assert_eq!(
                record_json["input"],
                json!({"text": "Hello World"}),
                "{}",
                r.text
            );
        } else {
            assert!(
                record_json.get("input").is_none() && !r.text.contains("Hello World"),
                "{}",
                r.text
            );
        }
    }
}

#[tokio::test]
async fn every_new_write_surface_refuses_missing_wrong_and_foreign_credentials() {
    let upstream = Upstream::start("127.0.0.1");
    let server = TestServer::start_with("catalog-auth", private_sources()).await;
    let admin = server.tenant("acme").await;
    server.agent(&admin, "bot").await;
    let id = server.installed(&admin, "text-tools").await;
    server.assign(&admin, &id, json!({"agentId": "bot"})).await;
    let reader = server.token(&admin, &["skills:read"]).await;
    let other = server.tenant("other").await;
    let url_body = json!({"url": upstream.url("/loop")});
    let surfaces = [
        (
            "POST",
            "/api/skills".to_owned(),
            json!({"sourceUrl": upstream.url("/loop")}),
            false,
        ),
        ("POST", format!("/api/skills/{id}/sync"), json!({}), true),
        (
            "POST",
            "/api/agents/bot/skills/install".to_owned(),
            url_body.clone(),
            true,
        ),
        (
            "PUT",
            "/api/agents/bot/skills/text-tools".to_owned(),
            json!({"description": "x"}),
            true,
        ),
        (
            "DELETE",
            "/api/agents/bot/skills/text-tools".to_owned(),
            json!({}),
            true,
        ),
    ];
    for (method, path, body, tenant_scoped) in &surfaces {
        let r = server.request(method, path, None, Some(body.clone())).await;
        assert_eq!(r.status, 401, "{method} {path} without a token: {}", r.text);
        let r = server
            .request(
                method,
                path,
                Some("shk_not_a_real_token"),
                Some(body.clone()),
            )
            .await;
        assert_eq!(
            r.status, 401,
            "{method} {path} with a wrong token: {}",
            r.text
        );
        let r = server
            .request(method, path, Some(&reader), Some(body.clone()))
            .await;
        assert_eq!(
            r.status, 403,
            "{method} {path} with skills:read: {}",
            r.text
        );
        if *tenant_scoped {
            let r = server
                .request(method, path, Some(&other), Some(body.clone()))
                .await;
            assert_eq!(
                r.status, 404,
                "{method} {path} from another tenant: {}",
                r.text
            );
        }
    }
    // An upstream body over the install limit is cut off, not buffered.
    upstream.put_file("huge.wasm", &vec![0u8; 33 << 20]);
    let r = json_install(
        &server,
        &admin,
        json!({"sourceUrl": upstream.file_url("huge.wasm")}),
    )
    .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (502, Some("fetch_failed")),
        "{}",
        r.text
    );
    assert!(r.text.contains("larger than"), "{}", r.text);
    // A redirect loop ends, as a 502, after five hops.
    let r = json_install(&server, &admin, json!({"sourceUrl": upstream.url("/loop")})).await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (502, Some("fetch_failed")),
        "{}",
        r.text
    );
    assert!(r.text.contains("redirects"), "{}", r.text);
    let mut expected = vec!["GET /files/huge.wasm".to_owned()];
    // The first request and five redirects; the sixth is not followed.
    expected.extend(std::iter::repeat_n("GET /loop".to_owned(), 6));
    assert_eq!(
        upstream.requests(),
        expected,
        "one huge fetch, then six for the loop"
    );
    // Nothing above changed the skill or the agent.
    let r = server
        .request(
            "GET",
            "/api/agents/bot/skills/text-tools",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.json["description"].as_str()),
        (
            200,
            Some(
                "Word counts, slugs, JSON Pointer queries and regex extraction over text you pass in"
            )
        ),
        "{}",
        r.text
    );
}

/// Seed 003's code skills on a server without interpreters (the tests that
/// run code are in host/tests/languages.rs): every refusal is precise and
/// stores nothing.
#[tokio::test]
async fn code_skills_are_refused_precisely_where_they_cannot_run() {
    let server = TestServer::start("code-refusals").await;
    let admin = server.tenant("acme").await;
    server.agent(&admin, "bot").await;
    let reader = server.token(&admin, &["skills:read"]).await;
    let create = |token: Option<String>, body: Value| {
        let server = &server;
        async move {
            server
                .request(
                    "POST",
                    "/api/agents/bot/skills",
                    token.as_deref(),
                    Some(body),
                )
                .await
        }
    };
    let code =
        json!({"name": "shout", "description": "Shouts", "code": "print(1)", "language": "python"});
    for (token, status) in [
        (None, 401),
        (Some("shk_wrong".to_owned()), 401),
        (Some(reader), 403),
    ] {
        let r = create(token, code.clone()).await;
        assert_eq!(r.status, status, "{}", r.text);
    }
    let admin = Some(admin);
    let r = create(admin.clone(), code.clone()).await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (422, Some("language_unavailable")),
        "{}",
        r.text
    );
    assert!(
        r.json["error"]
            .as_str()
            .unwrap()
            .contains("skillhost interpreters install"),
        "{}",
        r.text
    );
    for (body, status, error_code, says) in [
        (
            json!({"name": "sh", "description": "d", "code": "echo hi", "language": "bash"}),
            422,
            "unsupported_language",
            "host processes",
        ),
        (
            json!({"name": "ts", "description": "d", "code": "1", "language": "typescript"}),
            422,
            "unsupported_language",
            "--lang ts",
        ),
        (
            json!({"name": "x", "description": "d", "code": "  ", "language": "python"}),
            400,
            "invalid_code",
            "`code` is empty",
        ),
        (
            json!({"name": "x", "description": "d", "code": "x".repeat(300 * 1024), "language": "python"}),
            400,
            "code_too_large",
            "at most 262144 bytes",
        ),
        (
            json!({"name": "x", "description": "d", "code": "1", "language": "javascript", "env": ["HOME"]}),
            422,
            "unsupported_capability",
            "process.env",
        ),
        (
            json!({"name": "x", "description": "d", "code": "1", "language": "python", "network": ["ftp://x"]}),
            400,
            "invalid_body",
            "scheme",
        ),
        (
            json!({"name": "x", "description": "d", "code": "1", "language": "python", "input_schema": "no"}),
            400,
            "invalid_input_schema",
            "JSON Schema object",
        ),
        (
            json!({"name": "x", "description": "d", "code": 1, "language": "python"}),
            400,
            "invalid_body",
            "a code skill is {name, description, code, language}",
        ),
    ] {
        let r = create(admin.clone(), body).await;
        assert_eq!(
            (r.status, r.json["code"].as_str()),
            (status, Some(error_code)),
            "{}",
            r.text
        );
        assert!(
            r.json["error"].as_str().unwrap().contains(says),
            "{says}: {}",
            r.text
        );
    }
    let r = server
        .request("GET", "/api/skills?status=all", admin.as_deref(), None)
        .await;
    assert_eq!(
        r.json["skills"],
        json!([]),
        "nothing was stored: {}",
        r.text
    );
}
