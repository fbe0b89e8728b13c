//! Trust boundaries, tried as an attacker would: a second tenant's admin,
//! a token with `skills:write`, a reader; each reaches only what the
//! operator and its own admins allowed. Host resources (volumes, private
//! networks) are the operator's; new code behind a sensitive grant waits
//! for an admin; every approval is on the record.
use serde_json::{Value, json};
use skillhost_tests::http::{OPERATOR_TOKEN, Reply, TestServer};
use skillhost_tests::{Upstream, work_dir};

async fn post(s: &TestServer, path: &str, token: &str, body: Value) -> Reply {
    s.request("POST", path, Some(token), Some(body)).await
}

async fn approve(s: &TestServer, token: &str, id: &str, body: Value) -> Reply {
    post(s, &format!("/api/skills/{id}/approve"), token, body).await
}

async fn invoke(
    s: &TestServer,
    token: &str,
    agent: &str,
    skill: &str,
    ability: &str,
    args: Value,
) -> Reply {
    post(
        s,
        &format!("/api/agents/{agent}/skills/{skill}/invoke"),
        token,
        json!({"ability": ability, "args": args}),
    )
    .await
}

fn error_of(r: &Reply) -> (u16, String, String) {
    (
        r.status,
        r.json["code"].as_str().unwrap_or_default().to_owned(),
        r.json["error"].as_str().unwrap_or_default().to_owned(),
    )
}

/// Creates tenant secret `name` as `admin`; its id.
async fn secret(s: &TestServer, admin: &str, name: &str, value: &str, kind: &str) -> String {
    let body = json!({"name": name, "value": value, "type": kind});
    let r = post(s, "/api/v1/secret/create", admin, body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["id"].as_str().unwrap().to_owned()
}

/// Creates a skillset as `token`; its id.
async fn skillset(s: &TestServer, token: &str) -> String {
    let body = json!({"name": "Desk", "description": "d"});
    let r = post(s, "/api/v1/skillset/create", token, body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["id"].as_str().unwrap().to_owned()
}

/// A packaged guest with its manifest edited (a new version, say).
async fn guest_with(name: &str, edit: impl Fn(String) -> String) -> Vec<u8> {
    let f = skillhost_tests::fixture();
    let guest = match name {
        "hostile" => skillhost_tests::guests::HOSTILE,
        "calc" => skillhost_tests::guests::CALC,
        other => panic!("no guest {other} here"),
    };
    skillhost::pack::pack(
        &f.runtime,
        &guest.component_bytes(),
        &edit(guest.manifest_text()),
    )
    .await
    .unwrap()
}

async fn upload(s: &TestServer, token: &str, bytes: &[u8]) -> Reply {
    s.raw(
        "POST",
        "/api/skills",
        Some(token),
        Some(bytes),
        Some("application/wasm"),
    )
    .await
}

#[tokio::test]
async fn host_directories_are_the_operators_volumes() {
    let docs = work_dir("vol-docs");
    let notes = work_dir("vol-notes");
    let outside = work_dir("vol-outside");
    std::fs::write(docs.join("guide.md"), "# Guide\n").unwrap();
    std::fs::write(outside.join("secret.txt"), "operator only").unwrap();
    std::fs::create_dir(notes.join("sub")).unwrap();
    let s = TestServer::start_with_volumes(
        "volumes",
        &[
            ("docs", docs.as_path(), false),
            ("notes", notes.as_path(), true),
        ],
    )
    .await;
    let data_dir = s.data_dir.to_str().unwrap().to_owned();
    // The data directory beside the volumes: a link to it from a writable
    // volume is what a hostile skill would plant.
    std::os::unix::fs::symlink(&s.data_dir, notes.join("escape")).unwrap();
    let admin = s.tenant("globex").await;
    let writer = s.token(&admin, &["skills:read", "skills:write"]).await;
    let id = s.installed(&admin, "files").await;

    // What the operator offers: names and modes, never host paths.
    let r = s.request("GET", "/api/volumes", Some(&admin), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json["volumes"],
        json!([{"name": "docs", "writable": false}, {"name": "notes", "writable": true}])
    );
    assert!(!r.text.contains(docs.to_str().unwrap()), "{}", r.text);
    let r = s.request("GET", "/api/volumes", Some(&writer), None).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = s.request("GET", "/api/volumes", None, None).await;
    assert_eq!(r.status, 401, "{}", r.text);

    // A host path, a climb, an unknown volume, a read-write mount of a
    // read-only volume and a link out of a volume are all refused, and no
    // message names a host directory.
    for (grant, status, says) in [
        (json!({"/docs": data_dir}), 422, "operator volume"),
        (
            json!({"/docs": {"volume": "docs", "path": "../.."}}),
            400,
            "`..`",
        ),
        (
            json!({"/docs": {"volume": "docs", "path": "/etc"}}),
            400,
            "relative",
        ),
        (
            json!({"/docs": {"volume": "nope"}}),
            422,
            "no volume `nope`",
        ),
        (json!({"/notes": {"volume": "docs"}}), 422, "read-only"),
        (
            json!({"/docs": {"volume": "notes", "path": "escape"}}),
            422,
            "not a directory inside its volume",
        ),
        (
            json!({"/docs": {"volume": "docs", "surprise": 1}}),
            400,
            "unknown field `surprise`",
        ),
        (json!({"/docs": {"path": "x"}}), 400, "no `volume`"),
    ] {
        let r = approve(&s, &admin, &id, json!({"mounts": grant})).await;
        let (code, _, message) = error_of(&r);
        assert_eq!(code, status, "{grant}: {}", r.text);
        assert!(message.contains(says), "{grant}: {message}");
        for host in [&data_dir, docs.to_str().unwrap(), notes.to_str().unwrap()] {
            assert!(
                !r.text.contains(host),
                "{grant} names a host path: {}",
                r.text
            );
        }
    }
    // Nothing was granted by the refusals.
    let r = s
        .request("GET", &format!("/api/skills/{id}"), Some(&admin), None)
        .await;
    assert_eq!(r.json["skill"]["status"], "pending", "{}", r.text);

    let r = approve(
        &s,
        &admin,
        &id,
        json!({"mounts": {"/docs": {"volume": "docs"}, "/notes": {"volume": "notes", "path": "sub"}}}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json["skill"]["grant"]["mounts"],
        json!({"/docs": {"volume": "docs"}, "/notes": {"volume": "notes", "path": "sub"}})
    );
    s.agent(&admin, "bot").await;
    s.assign(&admin, &id, json!({"agentId": "bot"})).await;
    let r = invoke(
        &s,
        &admin,
        "bot",
        "files",
        "read_doc",
        json!({"path": "guide.md"}),
    )
    .await;
    assert_eq!(r.json["output"], "# Guide\n", "{}", r.text);
    let r = invoke(
        &s,
        &admin,
        "bot",
        "files",
        "write_note",
        json!({"path": "n.md", "text": "hi"}),
    )
    .await;
    assert_eq!(r.json["success"], true, "{}", r.text);
    assert_eq!(
        std::fs::read_to_string(notes.join("sub/n.md")).unwrap(),
        "hi"
    );

    // A link planted in the writable volume after the approval leads
    // nowhere: the call fails without saying where the link pointed.
    std::fs::remove_dir_all(notes.join("sub")).unwrap();
    std::os::unix::fs::symlink(&s.data_dir, notes.join("sub")).unwrap();
    let r = invoke(&s, &admin, "bot", "files", "list_notes", json!({})).await;
    assert_ne!(r.json["success"], true, "{}", r.text);
    assert!(
        !r.text.contains("secret.key") && !r.text.contains(&data_dir),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn private_networks_open_only_where_the_operator_allows() {
    let s = TestServer::start("private-networks").await;
    let admin = s.tenant_confined("globex").await;
    let id = s.installed(&admin, "fetch").await;
    let private = json!({"allowPrivateNetwork": true});

    let r = approve(&s, &admin, &id, private.clone()).await;
    let (status, code, message) = error_of(&r);
    assert_eq!(
        (status, code.as_str()),
        (403, "private_network_not_allowed"),
        "{}",
        r.text
    );
    assert!(message.contains("--allow-private-range"), "{message}");
    // Nor behind an agent's MCP server.
    s.agent(&admin, "bot").await;
    let r = post(
        &s,
        "/api/agents/bot/mcp/servers",
        &admin,
        json!({"name": "inside", "url": "http://10.1.2.3/mcp", "allow_private_network": true}),
    )
    .await;
    assert_eq!(error_of(&r).1, "private_network_not_allowed", "{}", r.text);
    // Nor for an instruction aimed at the server's own port (its /metrics).
    let skillset = skillset(&s, &admin).await;
    let own = format!("http://{}/metrics", s.addr);
    let r = post(
        &s,
        &format!("/api/v1/skillset/{skillset}/ability/create"),
        &admin,
        json!({"name": "metrics", "description": "d", "instruction": format!("```fetch\n{own}\n```")}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let ability = r.json["id"].as_str().unwrap().to_owned();
    let r = post(
        &s,
        &format!("/api/v1/skillset/{skillset}/ability/{ability}/approve"),
        &admin,
        private.clone(),
    )
    .await;
    assert_eq!(error_of(&r).1, "private_network_not_allowed", "{}", r.text);

    // Only the operator decides, for a tenant that exists.
    let tenants = s
        .request("GET", "/api/tenants", Some(OPERATOR_TOKEN), None)
        .await;
    let globex = tenants.json["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "globex")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(tenants.json["tenants"][0]["allowPrivateNetwork"].is_boolean());
    let path = format!("/api/tenants/{globex}");
    let allow = |on: bool| json!({"allowPrivateNetwork": on});
    let r = s
        .request("PATCH", &path, Some(&admin), Some(allow(true)))
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = s.request("PATCH", &path, None, Some(allow(true))).await;
    assert_eq!(r.status, 401, "{}", r.text);
    let r = s
        .request(
            "PATCH",
            "/api/tenants/no-such-tenant",
            Some(OPERATOR_TOKEN),
            Some(allow(true)),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = s
        .request(
            "PATCH",
            &path,
            Some(OPERATOR_TOKEN),
            Some(json!({"allowPrivateNetwork": "yes"})),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);

    let r = s
        .request("PATCH", &path, Some(OPERATOR_TOKEN), Some(allow(true)))
        .await;
    assert_eq!(
        (r.status, &r.json["tenant"]["allowPrivateNetwork"]),
        (200, &json!(true)),
        "{}",
        r.text
    );
    let r = approve(&s, &admin, &id, private.clone()).await;
    assert_eq!(r.json["skill"]["status"], "active", "{}", r.text);

    // Withdrawn, the grant waits for an admin again, saying why.
    let r = s
        .request("PATCH", &path, Some(OPERATOR_TOKEN), Some(allow(false)))
        .await;
    assert_eq!(r.json["held"], 1, "{}", r.text);
    let r = s
        .request("GET", &format!("/api/skills/{id}"), Some(&admin), None)
        .await;
    assert_eq!(r.json["skill"]["status"], "pending", "{}", r.text);
    assert!(
        r.json["skill"]["review"]["reason"]
            .as_str()
            .unwrap()
            .contains("withdrew"),
        "{}",
        r.text
    );
    let r = approve(&s, &admin, &id, private.clone()).await;
    assert_eq!(r.status, 403, "{}", r.text);

    // The operator's own tenant always may.
    let own = s.installed(OPERATOR_TOKEN, "fetch").await;
    let r = approve(&s, OPERATOR_TOKEN, &own, private).await;
    assert_eq!(r.json["skill"]["status"], "active", "{}", r.text);
    let r = s
        .request("GET", "/api/tenants", Some(OPERATOR_TOKEN), None)
        .await;
    let default = r.json["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "default")
        .unwrap()
        .clone();
    let r = s
        .request(
            "PATCH",
            &format!("/api/tenants/{}", default["id"].as_str().unwrap()),
            Some(OPERATOR_TOKEN),
            Some(allow(false)),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);

    // Each decision is on the tenant's record.
    let r = s
        .request("GET", "/api/audit/approvals", Some(&admin), None)
        .await;
    let actions: Vec<&str> = r.json["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["private_network", "approved", "private_network"],
        "{}",
        r.text
    );
}

#[tokio::test]
async fn new_code_behind_a_sensitive_grant_waits_for_an_admin() {
    const VALUE: &str = "s3cr3t-of-globex";
    let s = TestServer::start("new-code").await;
    let admin = s.tenant("globex").await;
    let writer = s.token(&admin, &["skills:read", "skills:write"]).await;
    let reader = s.token(&admin, &["skills:read"]).await;
    let v1 = s.installed(&admin, "hostile").await;
    let secret = secret(&s, &admin, "key", VALUE, "plain").await;
    let grant = json!({"secrets": {"DECLARED_SECRET": {"secretId": secret}}});
    let r = approve(&s, &admin, &v1, grant.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    s.agent(&admin, "bot").await;
    s.assign(&admin, &v1, json!({"agentId": "bot"})).await;

    // The writer's 0.2.0 declares nothing new, yet would receive the
    // secret: it waits, saying the code changed and what it would inherit.
    let bytes = guest_with("hostile", |m| {
        m.replace("version = \"0.1.0\"", "version = \"0.2.0\"")
    })
    .await;
    let r = upload(&s, &writer, &bytes).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let v2 = r.json["skill"]["id"].as_str().unwrap().to_owned();
    let digest = r.json["skill"]["digest"].as_str().unwrap().to_owned();
    assert_eq!(r.json["skill"]["status"], "pending", "{}", r.text);
    assert_eq!(
        r.json["skill"]["review"],
        json!({"codeChanged": true, "inherits": ["secrets"]})
    );
    assert_eq!(r.json["skill"]["capabilityDiff"], json!({}));
    let on = s
        .request("GET", "/api/skills/agent/bot", Some(&admin), None)
        .await;
    assert_eq!(on.json["skills"][0]["skillId"], v1.as_str(), "{}", on.text);

    // Neither the writer nor a reader can let it through.
    let r = approve(&s, &writer, &v2, json!({})).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = approve(&s, &reader, &v2, json!({})).await;
    assert_eq!(r.status, 403, "{}", r.text);
    for status in ["active", "disabled", "active"] {
        let r = s
            .request(
                "PATCH",
                &format!("/api/skills/{v2}"),
                Some(&writer),
                Some(json!({"status": status})),
            )
            .await;
        if status == "active" {
            assert_eq!(error_of(&r).1, "approval_required", "{}", r.text);
        }
    }

    // The admin approves what they reviewed: another digest is 409, this
    // one carries the proposed grant over.
    let r = approve(&s, &admin, &v2, json!({"digest": "0".repeat(64)})).await;
    let (status, code, message) = error_of(&r);
    assert_eq!(
        (status, code.as_str()),
        (409, "review_outdated"),
        "{}",
        r.text
    );
    assert!(message.contains(&digest), "{message}");
    let r = approve(&s, &admin, &v2, json!({"version": "9.9.9"})).await;
    assert_eq!(r.status, 409, "{}", r.text);
    let r = approve(
        &s,
        &admin,
        &v2,
        json!({"digest": digest, "version": "0.2.0"}),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let r = approve(&s, &admin, &v2, json!({"digest": digest})).await;
    assert_eq!(r.json["skill"]["status"], "active", "{}", r.text);
    assert_eq!(
        r.json["skill"]["grant"]["secrets"]["DECLARED_SECRET"]["secretId"],
        secret.as_str()
    );
    assert!(r.json["skill"]["review"].is_null(), "{}", r.text);
    let on = s
        .request("GET", "/api/skills/agent/bot", Some(&admin), None)
        .await;
    assert_eq!(on.json["skills"][0]["skillId"], v2.as_str(), "{}", on.text);

    // An admin's own new version keeps the grant at once.
    let bytes = guest_with("hostile", |m| {
        m.replace("version = \"0.1.0\"", "version = \"0.3.0\"")
    })
    .await;
    let r = upload(&s, &admin, &bytes).await;
    assert_eq!(r.json["skill"]["status"], "active", "{}", r.text);
    // A grant that hands over nothing sensitive does not hold a writer up.
    let calc = s.installed(&admin, "calc").await;
    s.approve(&admin, &calc, None).await;
    let bytes = guest_with("calc", |m| {
        m.replace("version = \"1.0.0\"", "version = \"1.0.1\"")
    })
    .await;
    let r = upload(&s, &writer, &bytes).await;
    assert_eq!(r.json["skill"]["status"], "active", "{}", r.text);

    // The record: who, which digest, which grant, whether reviewed; no
    // secret's value anywhere.
    let r = s
        .request("GET", "/api/audit/approvals", Some(&admin), None)
        .await;
    assert!(!r.text.contains(VALUE), "{}", r.text);
    let records = r.json["approvals"].as_array().unwrap();
    let of_v2 = records
        .iter()
        .find(|a| a["subjectId"] == v2.as_str())
        .unwrap();
    assert_eq!(of_v2["digest"], digest.as_str());
    assert_eq!(of_v2["reviewed"], true);
    assert_eq!(
        of_v2["detail"]["grant"]["secrets"]["DECLARED_SECRET"]["secretId"],
        secret.as_str()
    );
    let of_v1 = records
        .iter()
        .find(|a| a["subjectId"] == v1.as_str())
        .unwrap();
    assert_eq!(of_v1["reviewed"], false);
    let r = s
        .request("GET", "/api/audit/approvals", Some(&writer), None)
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let other = s.tenant_confined("initech").await;
    let r = s
        .request("GET", "/api/audit/approvals", Some(&other), None)
        .await;
    assert_eq!(r.json["approvals"], json!([]), "{}", r.text);
    // Another tenant's admin cannot approve it either: it does not exist.
    let r = approve(&s, &other, &v2, json!({})).await;
    assert_eq!(r.status, 404, "{}", r.text);
}

#[tokio::test]
async fn binding_a_secret_to_a_destination_is_an_admins() {
    let s = TestServer::start("secret-destination").await;
    let admin = s.tenant("globex").await;
    let writer = s.token(&admin, &["skills:read", "skills:write"]).await;
    let secret = secret(&s, &admin, "k", "v-123456", "plain").await;
    s.agent(&admin, "bot").await;
    let server =
        |name: &str| json!({"name": name, "url": "https://tools.example/mcp", "secret_id": secret});
    let r = post(&s, "/api/agents/bot/mcp/servers", &writer, server("mine")).await;
    let (status, _, message) = error_of(&r);
    assert_eq!(status, 403, "{}", r.text);
    assert!(message.contains("admin's decision"), "{message}");
    let r = post(&s, "/api/agents/bot/mcp/servers", &admin, server("theirs")).await;
    assert_eq!(r.status, 201, "{}", r.text);
}

#[tokio::test]
async fn a_moved_registry_server_never_receives_the_credential() {
    let remote = skillhost_tests::mcp::RemoteMcpServer::start();
    let up = crate::sources::Sources::start(&remote.url);
    let elsewhere = Upstream::start("127.0.0.1");
    let options = skillhost::server::ServiceOptions {
        allow_private_sources: true,
        ..Default::default()
    };
    let s = TestServer::start_with("registry-moved", options).await;
    let admin = s.tenant("globex").await;
    let writer = s.token(&admin, &["skills:read", "skills:write"]).await;
    const KEY: &str = "registry-bearer-7f3a";
    let secret = secret(&s, &admin, "remote", KEY, "bearer").await;
    let r = post(
        &s,
        "/api/skills",
        &admin,
        json!({"source": "mcp_registry", "sourceUrl": up.url("/registry"), "sourceRef": "io.test/remote-tools", "credentialId": secret}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json["id"].as_str().unwrap().to_owned();

    // The registry now points the server at an origin nobody approved.
    up.post(&format!("/admin/remote?url={}", elsewhere.url("/echo/mcp")));
    let r = s
        .request(
            "POST",
            &format!("/api/skills/{id}/sync"),
            Some(&writer),
            None,
        )
        .await;
    assert_ne!(r.status, 500, "{}", r.text);
    let recorded = elsewhere.get("/recorded");
    assert!(
        recorded.contains("/echo/mcp"),
        "the moved remote was asked: {recorded}"
    );
    assert!(
        !recorded.contains(KEY),
        "the credential went to the moved remote: {recorded}"
    );
    assert!(
        !recorded.to_lowercase().contains("authorization"),
        "{recorded}"
    );
    // Whatever the sync found there, it does not serve until an admin says so.
    let r = s
        .request("GET", &format!("/api/skills/{id}"), Some(&admin), None)
        .await;
    assert!(!r.text.contains(&elsewhere.url("")), "{}", r.text);
}

#[tokio::test]
async fn stored_host_path_mounts_move_into_volumes_or_wait() {
    let volume = work_dir("upgrade-volume");
    std::fs::create_dir(volume.join("docs")).unwrap();
    std::fs::write(volume.join("docs/guide.md"), "# Guide\n").unwrap();
    let stray = work_dir("upgrade-stray");
    let s = TestServer::start_with_volumes("upgrade", &[("shared", volume.as_path(), true)]).await;
    let admin = s.tenant("globex").await;
    let id = s.installed(&admin, "files").await;
    approve(
        &s,
        &admin,
        &id,
        json!({"mounts": {"/docs": {"volume": "shared", "path": "docs"}}}),
    )
    .await;
    s.agent(&admin, "bot").await;
    s.assign(&admin, &id, json!({"agentId": "bot"})).await;
    let data_dir = s.stop().await;

    // As an older release stored it: host paths, one inside the volume.
    let old = json!({"network": null, "allowPrivateNetwork": false, "mounts": {
        "/docs": volume.join("docs"), "/notes": stray.as_path(),
    }, "env": {}, "secrets": {}, "inject": [], "config": {}, "limits": {}});
    let mut db = skillhost_tests::backend::raw_connection(&data_dir).await;
    sqlx::query("UPDATE skills SET grant_json = $1 WHERE id = $2")
        .bind(old.to_string())
        .bind(&id)
        .execute(&mut db)
        .await
        .unwrap();
    drop(db);
    let s = TestServer::restart_with_volumes(data_dir, &[("shared", volume.as_path(), true)]).await;
    let r = s
        .request("GET", &format!("/api/skills/{id}"), Some(&admin), None)
        .await;
    assert_eq!(r.json["skill"]["status"], "pending", "{}", r.text);
    assert_eq!(
        r.json["skill"]["grant"]["mounts"]["/docs"],
        json!({"volume": "shared", "path": "docs"})
    );
    assert_eq!(
        r.json["skill"]["grant"]["mounts"]["/notes"],
        json!({"needsApproval": true})
    );
    let reason = r.json["skill"]["review"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("/notes") && !reason.contains(stray.to_str().unwrap()),
        "{reason}"
    );
    assert!(!r.text.contains(stray.to_str().unwrap()), "{}", r.text);
    let r = invoke(&s, &admin, "bot", "files", "list_docs", json!({})).await;
    assert_ne!(r.json["success"], true, "{}", r.text);
    // Approved again with volumes, it serves.
    let r = approve(
        &s,
        &admin,
        &id,
        json!({"mounts": {"/docs": {"volume": "shared", "path": "docs"}, "/notes": {"volume": "shared"}}}),
    )
    .await;
    assert_eq!(r.json["skill"]["status"], "active", "{}", r.text);
    let r = invoke(&s, &admin, "bot", "files", "list_docs", json!({})).await;
    assert_eq!(r.json["output"], "[\"guide.md\"]", "{}", r.text);
}

#[tokio::test]
async fn every_role_against_every_grant_field() {
    let volume = work_dir("roles-volume");
    let s = TestServer::start_with_volumes("roles", &[("shared", volume.as_path(), true)]).await;
    let admin = s.tenant_confined("globex").await;
    let writer = s.token(&admin, &["skills:read", "skills:write"]).await;
    let reader = s.token(&admin, &["skills:read"]).await;
    let other = s.tenant("initech").await;
    s.agent(&admin, "bot").await;
    let r = post(
        &s,
        "/api/tokens",
        &admin,
        json!({"name": "bot", "scopes": ["skills:read", "skills:write"], "agentId": "bot"}),
    )
    .await;
    let bound = r.json["token"]["secret"].as_str().unwrap().to_owned();
    let skillset = skillset(&s, &admin).await;
    let r = post(
        &s,
        "/api/v1/integration/skillserver/create",
        &admin,
        json!({"skillsetId": skillset}),
    )
    .await;
    let integration = r.json["accessToken"].as_str().unwrap().to_owned();
    let secret = secret(&s, &admin, "k", "v-0123456789", "plain").await;
    let id = s.installed(&admin, "hostile").await;

    let fields = [
        ("network", json!({"network": ["http://localhost:*"]})),
        (
            "secrets",
            json!({"secrets": {"DECLARED_SECRET": {"secretId": secret}}}),
        ),
        (
            "inject",
            json!({"inject": [{"origin": "http://localhost:*", "header": "Authorization", "secretId": secret}]}),
        ),
        ("mounts", json!({"mounts": {"/data": {"volume": "shared"}}})),
        ("env", json!({"env": {"ALLOWED_VAR": "x"}})),
        ("config", json!({"config": {"k": "v"}})),
        ("allowPrivateNetwork", json!({"allowPrivateNetwork": true})),
    ];
    for (field, grant) in &fields {
        for (role, token, expected) in [
            ("no token", None, 401),
            ("a wrong token", Some("shk_wrong"), 401),
            ("an integration's token", Some(integration.as_str()), 401),
            ("a reader", Some(reader.as_str()), 403),
            ("a writer", Some(writer.as_str()), 403),
            ("an agent-bound token", Some(bound.as_str()), 403),
            ("another tenant's admin", Some(other.as_str()), 404),
            (
                "the tenant's admin",
                Some(admin.as_str()),
                if *field == "allowPrivateNetwork" {
                    403
                } else {
                    200
                },
            ),
        ] {
            let r = s
                .request(
                    "POST",
                    &format!("/api/skills/{id}/approve"),
                    token,
                    Some(grant.clone()),
                )
                .await;
            assert_eq!(r.status, expected, "{role} granting {field}: {}", r.text);
            assert!(!r.text.contains("v-0123456789"), "{}", r.text);
            assert!(!r.text.contains(volume.to_str().unwrap()), "{}", r.text);
        }
    }
    // The operator grants private networks in its own tenant.
    let own = s.installed(OPERATOR_TOKEN, "hostile").await;
    let r = approve(
        &s,
        OPERATOR_TOKEN,
        &own,
        json!({"allowPrivateNetwork": true}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);

    // Binding a secret to a destination, role by role: a skillset ability's
    // `secretId`, an MCP server's `secret_id`.
    let ability = json!({"name": "hostile ok", "description": "d", "skillId": id, "ability": "ok", "secretId": secret});
    let server = json!({"name": "remote", "url": "https://tools.example/mcp", "secret_id": secret});
    for (role, token, expected) in [
        ("a reader", reader.as_str(), 403),
        ("a writer", writer.as_str(), 403),
        ("an agent-bound token", bound.as_str(), 403),
        ("the tenant's admin", admin.as_str(), 200),
    ] {
        let r = post(
            &s,
            &format!("/api/v1/skillset/{skillset}/ability/create"),
            token,
            ability.clone(),
        )
        .await;
        assert_eq!(
            r.status, expected,
            "{role} binding an ability's secret: {}",
            r.text
        );
        let r = post(&s, "/api/agents/bot/mcp/servers", token, server.clone()).await;
        let expected = if expected == 200 { 201 } else { 403 };
        assert_eq!(
            r.status, expected,
            "{role} binding an MCP server's secret: {}",
            r.text
        );
        if r.status == 201 {
            let r = s
                .request(
                    "DELETE",
                    "/api/agents/bot/mcp/servers/remote",
                    Some(&admin),
                    None,
                )
                .await;
            assert_eq!(r.status, 204, "{}", r.text);
        }
    }
}
