//! Seed 004's sources end to end, against real servers on 127.0.0.1 only:
//! `tests/upstreams/sources.py` (Python's http.server) shaped like GitHub's
//! archive endpoint, a spec server with a real API behind it that records
//! what it receives, and an MCP registry; the registry's server is the
//! official Python SDK's `MCPServer`. Every kind is installed, refused,
//! approved, attached, invoked (REST and the official MCP client), synced,
//! browsed and audited, on SQLite or PostgreSQL (`.ci/test` runs both).
use serde_json::{Value, json};
use skillhost::server::ServiceOptions;
use skillhost::sources::github::GithubConfig;
use skillhost_tests::http::{Reply, TestServer};
use skillhost_tests::mcp::{RemoteMcpServer, py_client};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const PETS_KEY: &str = "pk-live-9f8e7d6c5b4a";
const REMOTE_KEY: &str = "rk-live-0a1b2c3d4e5f";

/// `tests/upstreams/sources.py`, killed when dropped.
pub(crate) struct Sources {
    base: String,
    child: Child,
}

impl Sources {
    pub(crate) fn start(mcp_url: &str) -> Sources {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/upstreams/sources.py");
        let mut child = Command::new("python3")
            .args([script, mcp_url])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .expect("an address");
        Sources {
            base: format!("http://{addr}"),
            child,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) fn post(&self, path: &str) {
        let out = Command::new("python3")
            .args([
                "-c",
                "import sys,urllib.request;urllib.request.urlopen(urllib.request.Request(sys.argv[1],method='POST'))",
                &self.url(path),
            ])
            .status()
            .unwrap();
        assert!(out.success(), "{path}");
    }

    fn get(&self, path: &str) -> Value {
        let out = Command::new("python3")
            .args([
                "-c",
                "import sys,urllib.request;print(urllib.request.urlopen(sys.argv[1]).read().decode())",
                &self.url(path),
            ])
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

impl Drop for Sources {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn created(r: &Reply) -> String {
    assert_eq!(r.status, 201, "{}", r.text);
    r.json["id"].as_str().expect("an id").to_owned()
}

fn refused(r: &Reply, status: u16, code: &str, says: &str) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.json["code"], code, "{}", r.text);
    assert!(
        r.json["error"]
            .as_str()
            .unwrap_or("")
            .to_lowercase()
            .contains(&says.to_lowercase()),
        "expected `{says}` in {}",
        r.text
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_source_is_installed_refused_attached_invoked_synced_and_browsed() {
    let remote = RemoteMcpServer::start();
    let up = Sources::start(&remote.url);
    let options = ServiceOptions {
        allow_private_sources: true,
        github: GithubConfig {
            web: url::Url::parse(&up.url("/gh")).unwrap(),
            api: url::Url::parse(&up.url("/api/v3")).unwrap(),
        },
        mcp_registries: vec![
            url::Url::parse(&up.url("/registry")).unwrap(),
            url::Url::parse(&up.url("/nowhere")).unwrap(),
        ],
        skill_repos: vec![up.url("/gh/acme/skills")],
        ..ServiceOptions::default()
    };
    let s = TestServer::start_with("sources", options).await;
    let admin = s.tenant("acme").await;
    let other = s.tenant("globex").await;
    let writer = s.token(&admin, &["skills:read", "skills:write"]).await;
    let reader = s.token(&admin, &["skills:read"]).await;
    let mut secrets = Vec::new();
    for (name, value, kind) in [
        ("pets key", PETS_KEY, "plain"),
        ("remote key", REMOTE_KEY, "bearer"),
    ] {
        let r = s
            .request(
                "POST",
                "/api/v1/secret/create",
                Some(&admin),
                Some(json!({"name": name, "value": value, "type": kind})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        secrets.push(r.json["id"].as_str().unwrap().to_owned());
    }
    let (pets_key, remote_key) = (secrets[0].clone(), secrets[1].clone());
    let repo = up.url("/gh/acme/skills");
    let pdf_body = json!({"source": "skill_md", "sourceUrl": repo, "sourceRef": "acme/skills/skills/pdf-tools"});

    // The surface's guards.
    let r = s
        .request("POST", "/api/skills", None, Some(pdf_body.clone()))
        .await;
    assert_eq!(r.status, 401, "{}", r.text);
    let r = s
        .request(
            "POST",
            "/api/skills",
            Some("shk_wrong"),
            Some(pdf_body.clone()),
        )
        .await;
    assert_eq!(r.status, 401, "{}", r.text);
    let r = s
        .request("POST", "/api/skills", Some(&reader), Some(pdf_body.clone()))
        .await;
    assert_eq!(r.status, 403, "{}", r.text);

    // SKILL.md from a GitHub repository's archive.
    let r = s
        .request("POST", "/api/skills", Some(&admin), Some(pdf_body.clone()))
        .await;
    let pdf = created(&r);
    assert_eq!(r.json["source"], "skill_md");
    assert_eq!(r.json["name"], "pdf-tools");
    assert_eq!(r.json["version"], "1.1");
    assert_eq!(r.json["author"], "acme");
    assert_eq!(r.json["tags"], json!(["pdf", "forms"]));
    assert_eq!(r.json["sourceRef"], "acme/skills/skills/pdf-tools");
    assert_eq!(r.json["sourceUrl"], repo);
    assert_eq!(r.json["status"], "active");
    assert_eq!(r.json["authType"], "none");
    assert!(r.json["lastSyncedAt"].is_string());
    let r = s
        .request("POST", "/api/skills", Some(&admin), Some(pdf_body.clone()))
        .await;
    refused(&r, 409, "SKILL_ALREADY_INSTALLED", "already installed");
    let r = s
        .request(
            "POST",
            "/api/skills",
            Some(&admin),
            Some(json!({"source": "skill_md", "sourceUrl": repo, "sourceRef": "acme/skills/skills/Bad_Name"})),
        )
        .await;
    refused(&r, 422, "INVALID_SKILL_MD", "name");
    let r = s
        .request(
            "POST",
            "/api/skills",
            Some(&admin),
            Some(json!({"source": "skill_md", "sourceUrl": repo, "sourceRef": "acme/skills/skills/missing"})),
        )
        .await;
    refused(&r, 422, "INVALID_SKILL_MD", "skill.md");
    let r = s
        .request(
            "POST",
            "/api/skills",
            Some(&admin),
            Some(json!({"source": "skill_md", "sourceUrl": up.url("/archives/evil.tar.gz")})),
        )
        .await;
    refused(&r, 422, "INVALID_ARCHIVE", "..");
    let r = s
        .request(
            "POST",
            "/api/skills",
            Some(&admin),
            Some(json!({"source": "skill_md", "sourceUrl": repo, "sourceRef": "other/repo/x"})),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    // A lone SKILL.md, and a .zip of a folder under another name.
    let r = s
        .request(
            "POST",
            "/api/skills",
            Some(&writer),
            Some(json!({"source": "skill_md", "sourceUrl": up.url("/raw/SKILL.md")})),
        )
        .await;
    let git = created(&r);
    assert_eq!(
        (r.json["name"].as_str(), r.json["status"].as_str()),
        (Some("git-helper"), Some("pending"))
    );
    let r = s
        .request(
            "POST",
            &format!("/api/skills/{git}/approve"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = s
        .request(
            "POST",
            "/api/skills",
            Some(&admin),
            Some(json!({"source": "skill_md", "sourceUrl": up.url("/archives/folder.zip"), "name": "pdf-forms"})),
        )
        .await;
    created(&r);
    assert_eq!(r.json["name"], "pdf-forms");

    // OpenAPI: a writer's install waits for an admin.
    let spec_url = up.url("/specs/pets.yaml");
    let r = s
        .request(
            "POST",
            "/api/skills",
            Some(&writer),
            Some(json!({"source": "openapi_action", "sourceUrl": spec_url})),
        )
        .await;
    let pets = created(&r);
    assert_eq!(r.json["name"], "pet-store");
    assert_eq!(r.json["status"], "pending");
    assert_eq!(r.json["authType"], "api_key");
    assert_eq!(r.json["version"], "2.1");
    let abilities: Vec<&str> = r.json["abilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    for name in ["listPets", "createPet", "getPet", "whoAmI", "health"] {
        assert!(abilities.contains(&name), "{abilities:?}");
    }
    let origin = format!("http://{}", up.base.trim_start_matches("http://"));
    assert_eq!(r.json["capabilities"]["network"], json!([origin]));
    let get_pet = r.json["abilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "getPet")
        .unwrap()
        .clone();
    assert_eq!(
        get_pet["input_schema"]["required"],
        json!(["petId"]),
        "{get_pet}"
    );
    assert!(
        !get_pet["input_schema"].to_string().contains("X-API-Key"),
        "credentials stay out of the input schema: {get_pet}"
    );
    let r = s
        .request(
            "POST",
            "/api/skills",
            Some(&admin),
            Some(json!({"source": "openapi_action", "sourceUrl": up.url("/specs/empty.json")})),
        )
        .await;
    refused(&r, 422, "INVALID_OPENAPI", "no operations");
    let r = s
        .request(
            "POST",
            &format!("/api/skills/{pets}/approve"),
            Some(&admin),
            Some(json!({"allowPrivateNetwork": true})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    // An MCP registry's server: its tools, listed at install, are the abilities.
    let registry = up.url("/registry");
    let r = s
        .request(
            "POST",
            "/api/skills",
            Some(&admin),
            Some(json!({"source": "mcp_registry", "sourceUrl": registry, "sourceRef": "io.test/remote-tools"})),
        )
        .await;
    let tools = created(&r);
    assert_eq!(r.json["name"], "remote-tools");
    assert_eq!(r.json["version"], "1.2.0");
    assert_eq!(r.json["sourceRef"], "io.test/remote-tools");
    let names: Vec<&str> = r.json["toolIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    for name in ["add", "whoami", "fail"] {
        assert!(names.contains(&name), "{names:?}");
    }
    for (reference, status, code, says) in [
        (
            "io.test/nope",
            404,
            "REGISTRY_SERVER_NOT_FOUND",
            "io.test/nope",
        ),
        (
            "io.test/stdio-only",
            422,
            "STDIO_TRANSPORT_UNSUPPORTED",
            "stdio",
        ),
    ] {
        let r = s
            .request(
                "POST",
                "/api/skills",
                Some(&admin),
                Some(json!({"source": "mcp_registry", "sourceUrl": registry, "sourceRef": reference})),
            )
            .await;
        refused(&r, status, code, says);
    }
    let r = s
        .request(
            "POST",
            &format!("/api/skills/{tools}/approve"),
            Some(&admin),
            Some(json!({"allowPrivateNetwork": true})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = s
        .request(
            "GET",
            "/api/skills?source=openapi_action",
            Some(&reader),
            None,
        )
        .await;
    assert_eq!(r.json["skills"].as_array().unwrap().len(), 1, "{}", r.text);
    let r = s
        .request("GET", &format!("/api/skills/{pets}"), Some(&other), None)
        .await;
    assert_eq!(
        r.status, 404,
        "another tenant's skill is not there: {}",
        r.text
    );

    // Attach to an agent; a credential is an admin's to give.
    let r = s
        .request(
            "POST",
            "/api/agents",
            Some(&writer),
            Some(json!({"name": "bot"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let attach = "/api/agents/bot/attached-skills";
    let r = s
        .request(
            "POST",
            attach,
            Some(&writer),
            Some(json!({"skillId": pets, "credentialId": pets_key})),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = s
        .request(
            "POST",
            attach,
            Some(&admin),
            Some(json!({"skillId": pets, "credentialId": "no-such-secret"})),
        )
        .await;
    refused(&r, 422, "secret_not_found", "no-such-secret");
    let r = s
        .request("POST", attach, Some(&other), Some(json!({"skillId": pets})))
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    for body in [
        json!({"skillId": pets, "credentialId": pets_key}),
        json!({"skillId": tools, "credentialId": remote_key}),
        json!({"skillId": pdf}),
        json!({"skillId": git, "promptOverride": "Always sign commits with -S."}),
    ] {
        let r = s.request("POST", attach, Some(&admin), Some(body)).await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert!(r.json["skill"]["source"].is_string(), "{}", r.text);
    }
    let r = s.request("GET", attach, Some(&reader), None).await;
    assert_eq!(r.json.as_array().unwrap().len(), 4, "{}", r.text);
    assert!(!r.text.contains(PETS_KEY));

    // OpenAPI operations through the guard, the credential filled in by the host.
    let invoke = |skill: &str, ability: &str, args: Value| {
        let path = format!("/api/agents/bot/skills/{skill}/invoke");
        let body = json!({"ability": ability, "args": args});
        let s = &s;
        let reader = reader.clone();
        async move { s.request("POST", &path, Some(&reader), Some(body)).await }
    };
    let r = invoke("pet-store", "getPet", json!({"petId": "1"})).await;
    assert_eq!(r.json["success"], true, "{}", r.text);
    assert_eq!(r.json["output_type"], "json");
    assert!(
        r.json["output"].as_str().unwrap().contains("Rex"),
        "{}",
        r.text
    );
    let r = invoke("pet-store", "listPets", json!({"limit": 1})).await;
    let listed: Value = serde_json::from_str(r.json["output"].as_str().unwrap()).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{}", r.text);
    let r = invoke(
        "pet-store",
        "createPet",
        json!({"requestBody": {"name": "Kit", "tag": null}}),
    )
    .await;
    assert_eq!(r.json["success"], true, "{}", r.text);
    assert!(r.json["output"].as_str().unwrap().contains("Kit"));
    let r = invoke("pet-store", "whoAmI", json!({})).await;
    assert_eq!(r.json["success"], true, "{}", r.text);
    assert!(
        !r.text.contains(PETS_KEY),
        "the credential is redacted: {}",
        r.text
    );
    assert!(r.text.contains("[secret:pets key]"), "{}", r.text);
    let r = invoke("pet-store", "getPet", json!({})).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json["code"], "invalid_input");
    // A path parameter is one segment: `../whoami` is sent encoded, and
    // the API looks for a pet of that name.
    let r = invoke("pet-store", "getPet", json!({"petId": "../whoami"})).await;
    assert_eq!(
        (
            r.status,
            r.json["success"].as_bool(),
            r.json["code"].as_str(),
            r.json["error"].as_str()
        ),
        (
            200,
            Some(false),
            Some("upstream_error"),
            Some(r#"the API answered 404 Not Found: {"error": "no pet ../whoami"}"#)
        ),
        "{}",
        r.text
    );
    let recorded = up.get("/api/_recorded");
    let calls = recorded.as_array().unwrap();
    assert!(
        calls
            .iter()
            .any(|c| c["path"] == "/pets/1" && c["headers"]["x-api-key"] == PETS_KEY),
        "the API received the real key: {recorded}"
    );
    assert_eq!(
        calls.iter().filter(|c| c["path"] == "/whoami").count(),
        1,
        "a path parameter cannot reach another operation: {recorded}"
    );
    assert!(
        calls
            .iter()
            .any(|c| c["path"] == "/pets" && c["query"]["limit"] == "1"),
        "{recorded}"
    );

    // The registry server's tools through the remote MCP client.
    let r = invoke("remote-tools", "add", json!({"a": 2, "b": 3})).await;
    assert_eq!(r.json["success"], true, "{}", r.text);
    assert!(
        r.json["output"].as_str().unwrap().contains('5'),
        "{}",
        r.text
    );
    let r = invoke("remote-tools", "whoami", json!({})).await;
    assert_eq!(r.json["success"], true, "{}", r.text);
    assert!(!r.text.contains(REMOTE_KEY), "{}", r.text);
    assert!(r.text.contains("[secret:remote key]"), "{}", r.text);
    let r = invoke("remote-tools", "fail", json!({"reason": "test"})).await;
    assert_eq!(r.json["success"], false, "{}", r.text);
    assert!(r.text.contains("Error executing tool fail"), "{}", r.text);
    // A SKILL.md runs nothing.
    let r = invoke("pdf-tools", "anything", json!({})).await;
    assert_eq!(
        (
            r.status,
            r.json["success"].as_bool(),
            r.json["code"].as_str(),
            r.json["error"].as_str()
        ),
        (
            404,
            Some(false),
            Some("not_found"),
            Some(
                "not found: skill `pdf-tools` has no callable abilities: its instructions are read with skill_query"
            )
        ),
        "{}",
        r.text
    );

    // What the agent's runtime loads at its next message.
    let r = s
        .request("GET", "/api/agents/bot/context", Some(&reader), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let prompt = r.json["systemPrompt"].as_str().unwrap();
    assert!(prompt.contains("PDF tools (v1)"), "{prompt}");
    assert!(prompt.contains("Always sign commits with -S."), "{prompt}");
    assert!(
        !prompt.contains("Keep commits small"),
        "the override replaces it: {prompt}"
    );
    let tool_names: Vec<&str> = r.json["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for name in ["pet-store__getPet", "remote-tools__add", "skill_query"] {
        assert!(tool_names.contains(&name), "{tool_names:?}");
    }
    let r = s
        .request("GET", "/api/agents/bot/context", Some(&other), None)
        .await;
    assert_eq!(r.status, 404, "{}", r.text);

    // The official MCP client: skill_query serves the bundle, and the
    // operation and remote tools are tools like any other.
    let mcp_url = format!("http://{}/mcp/agents/bot", s.addr);
    let out = py_client(
        &mcp_url,
        &reader,
        "auto",
        json!([
            {"name": "skill_query", "arguments": {"skillId": "pdf-tools", "referenceFile": "forms.md"}},
            {"name": "skill_query", "arguments": {"skillId": "git-helper"}},
            {"name": "pet-store__getPet", "arguments": {"petId": "2"}},
            {"name": "remote-tools__add", "arguments": {"a": 20, "b": 22}},
        ]),
    )
    .await
    .expect("the official client works");
    let calls = out["calls"].as_array().unwrap();
    let query: Value = serde_json::from_str(calls[0]["text"][0].as_str().unwrap()).unwrap();
    assert!(
        query["instructions"]
            .as_str()
            .unwrap()
            .contains("PDF tools (v1)"),
        "{query}"
    );
    assert_eq!(
        query["references"][0]["path"], "references/forms.md",
        "{query}"
    );
    assert_eq!(
        query["availableScripts"],
        json!(["scripts/fill.py"]),
        "{query}"
    );
    let git_query: Value = serde_json::from_str(calls[1]["text"][0].as_str().unwrap()).unwrap();
    assert_eq!(
        git_query["instructions"], "Always sign commits with -S.",
        "{git_query}"
    );
    assert!(
        calls[2]["text"][0].as_str().unwrap().contains("Tom"),
        "{out}"
    );
    assert!(
        calls[3]["text"][0].as_str().unwrap().contains("42"),
        "{out}"
    );

    // Syncs: new content at once; a new origin waits for approval; a
    // failure keeps the skill serving, in status error.
    up.post("/admin/skill?v=2");
    let r = s
        .request(
            "POST",
            &format!("/api/skills/{pdf}/sync"),
            Some(&writer),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.json["ok"].as_bool(), r.json["changed"].as_bool()),
        (Some(true), Some(true))
    );
    assert!(r.json["syncedAt"].is_string());
    assert_eq!(r.json["skill"]["version"], "1.2");
    let r = s
        .request("GET", "/api/agents/bot/context", Some(&reader), None)
        .await;
    assert!(
        r.json["systemPrompt"]
            .as_str()
            .unwrap()
            .contains("PDF tools (v2)"),
        "{}",
        r.text
    );
    let r = s
        .request(
            "POST",
            &format!("/api/skills/{tools}/sync"),
            Some(&writer),
            None,
        )
        .await;
    assert_eq!(r.json["changed"], false, "{}", r.text);
    up.post("/admin/spec?v=2");
    // The grant reaches a private network: new content a writer syncs
    // waits for an admin, even though it asks for nothing more.
    let r = s
        .request(
            "POST",
            &format!("/api/skills/{pets}/sync"),
            Some(&writer),
            None,
        )
        .await;
    assert_eq!(r.json["pendingApproval"], true, "{}", r.text);
    assert_eq!(
        r.json["skill"]["review"],
        json!({"codeChanged": true, "inherits": ["allowPrivateNetwork"]}),
        "{}",
        r.text
    );
    // The admin's own sync takes it.
    let r = s
        .request(
            "POST",
            &format!("/api/skills/{pets}/sync"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(
        (
            r.json["changed"].as_bool(),
            r.json["pendingApproval"].as_bool()
        ),
        (Some(true), Some(false)),
        "{}",
        r.text
    );
    assert!(
        r.json["skill"]["toolIds"]
            .to_string()
            .contains("listVaccinations"),
        "{}",
        r.text
    );
    up.post("/admin/spec?v=3");
    let r = s
        .request(
            "POST",
            &format!("/api/skills/{pets}/sync"),
            Some(&writer),
            None,
        )
        .await;
    assert_eq!(r.json["pendingApproval"], true, "{}", r.text);
    assert!(
        r.json["skill"]["capabilityDiff"]["network"]
            .to_string()
            .contains("localhost"),
        "{}",
        r.text
    );
    let r = invoke("pet-store", "getPet", json!({"petId": "1"})).await;
    assert_eq!(
        r.json["success"], true,
        "the approved content still serves: {}",
        r.text
    );
    let r = s
        .request(
            "POST",
            &format!("/api/skills/{pets}/approve"),
            Some(&admin),
            Some(json!({"allowPrivateNetwork": true})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        r.json["skill"]["capabilities"]["network"]
            .to_string()
            .contains("localhost"),
        "{}",
        r.text
    );
    up.post("/admin/fail?on=1");
    let r = s
        .request(
            "POST",
            &format!("/api/skills/{pets}/sync"),
            Some(&writer),
            None,
        )
        .await;
    refused(&r, 502, "SYNC_FAILED", "500");
    let r = s
        .request("GET", &format!("/api/skills/{pets}"), Some(&reader), None)
        .await;
    assert_eq!(r.json["skill"]["status"], "error", "{}", r.text);
    assert!(r.json["skill"]["syncError"].is_string());
    let r = invoke("pet-store", "getPet", json!({"petId": "1"})).await;
    assert_eq!(
        r.json["success"], true,
        "a failed sync keeps the skill serving: {}",
        r.text
    );
    up.post("/admin/fail?on=0");

    // Browse: the registries and the repository in one catalog.
    let r = s
        .request("GET", "/api/skills/browse", Some(&reader), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let entries = r.json["skills"].as_array().unwrap();
    let entry = |key: &str| entries.iter().find(|e| e["key"] == key).cloned();
    assert_eq!(
        entry("mcp_registry:io.test/remote-tools").unwrap()["installedId"],
        tools.as_str()
    );
    assert_eq!(
        entry("skill_md:acme/skills/skills/pdf-tools").unwrap()["installedId"],
        pdf.as_str()
    );
    assert!(entry("skill_md:acme/skills/skills/git-helper").unwrap()["installedId"].is_null());
    assert!(
        entry("skill_md:acme/skills/skills/Bad_Name").is_none(),
        "an invalid folder is not offered"
    );
    assert_eq!(
        entry("mcp_registry:io.test/stdio-only").unwrap()["installable"],
        false
    );
    let warnings = r.json["warnings"].as_array().unwrap();
    assert_eq!(
        warnings.len(),
        1,
        "the failing registry is named, the others answer: {}",
        r.text
    );
    assert!(
        warnings[0]["sourceUrl"]
            .as_str()
            .unwrap()
            .contains("/nowhere")
    );
    let r = s
        .request("GET", "/api/skills/browse?q=weather", Some(&reader), None)
        .await;
    let keys: Vec<&str> = r.json["skills"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["mcp_registry:io.test/weather"], "{}", r.text);
    let r = s
        .request(
            "GET",
            "/api/skills/browse?source=mcp_registry&limit=2",
            Some(&reader),
            None,
        )
        .await;
    assert_eq!(r.json["skills"].as_array().unwrap().len(), 2, "{}", r.text);
    let cursor = r.json["nextCursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let r = s
        .request(
            "GET",
            &format!("/api/skills/browse?source=mcp_registry&limit=2&cursor={cursor}"),
            Some(&reader),
            None,
        )
        .await;
    assert_eq!(r.json["skills"].as_array().unwrap().len(), 1, "{}", r.text);
    assert!(r.json["nextCursor"].is_null());
    let r = s
        .request("GET", "/api/skills/browse?limit=500", Some(&reader), None)
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    // Another tenant browses the same entries, none of them installed
    // (where this tenant sees its installs).
    let installed = |r: &Reply| -> Vec<(String, bool)> {
        r.json["skills"]
            .as_array()
            .unwrap_or_else(|| panic!("{}", r.text))
            .iter()
            .map(|e| {
                (
                    e["key"].as_str().unwrap().to_owned(),
                    !e["installedId"].is_null(),
                )
            })
            .collect()
    };
    let mine = s
        .request("GET", "/api/skills/browse", Some(&reader), None)
        .await;
    let theirs = s
        .request("GET", "/api/skills/browse", Some(&other), None)
        .await;
    assert_eq!((mine.status, theirs.status), (200, 200), "{}", theirs.text);
    let mine = installed(&mine);
    assert_eq!(
        mine.iter()
            .filter(|(_, installed)| *installed)
            .map(|(key, _)| key.as_str())
            .collect::<Vec<_>>(),
        [
            "mcp_registry:io.test/remote-tools",
            "skill_md:acme/skills/skills/pdf-tools"
        ]
    );
    let not_installed: Vec<(String, bool)> =
        mine.iter().map(|(key, _)| (key.clone(), false)).collect();
    assert_eq!(installed(&theirs), not_installed);
    let r = s.request("GET", "/api/skills/browse", None, None).await;
    assert_eq!(r.status, 401);

    // Runners: seed 004's other principal.
    let r = s
        .request(
            "POST",
            "/api/runners",
            Some(&writer),
            Some(json!({"name": "nightly"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = s
        .request(
            "POST",
            "/api/runners",
            Some(&reader),
            Some(json!({"name": "n2"})),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = s.request("GET", "/api/runners", Some(&reader), None).await;
    assert_eq!(r.json["runners"][0]["name"], "nightly", "{}", r.text);
    let r = s
        .request("GET", "/api/agents/nightly", Some(&reader), None)
        .await;
    assert_eq!(r.status, 404, "a runner is not an agent: {}", r.text);
    let r = s
        .request(
            "POST",
            "/api/runners/nightly/skills",
            Some(&writer),
            Some(json!({"skillId": pdf, "promptOverride": "Only read forms."})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = s
        .request("GET", "/api/runners/nightly/skills", Some(&reader), None)
        .await;
    assert_eq!(
        r.json[0]["promptOverride"], "Only read forms.",
        "{}",
        r.text
    );
    let r = s
        .request("GET", "/api/runners/nightly/context", Some(&reader), None)
        .await;
    assert_eq!(
        r.json["systemPrompt"], "## Skill: pdf-tools\n\nOnly read forms.",
        "{}",
        r.text
    );
    let r = s
        .request("GET", "/api/runners/nightly", Some(&other), None)
        .await;
    assert_eq!(r.status, 404);

    // The audit: every call, its requests, never a credential.
    let r = s
        .request("GET", "/api/audit?skill=pet-store", Some(&admin), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let calls: Vec<(&str, &str, &str)> = r.json["invocations"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", r.text))
        .iter()
        .map(|i| {
            (
                i["ability"].as_str().unwrap(),
                i["surface"].as_str().unwrap(),
                i["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    // Newest first: every call above, on REST and through the MCP client.
    assert_eq!(
        calls,
        [
            ("getPet", "rest", "success"),
            ("getPet", "rest", "success"),
            ("getPet", "mcp", "success"),
            ("getPet", "rest", "upstream_error"),
            ("getPet", "rest", "invalid_input"),
            ("whoAmI", "rest", "success"),
            ("createPet", "rest", "success"),
            ("listPets", "rest", "success"),
            ("getPet", "rest", "success"),
        ],
        "{}",
        r.text
    );
    let r = s.request("GET", "/api/audit", Some(&admin), None).await;
    assert!(
        !r.text.contains(PETS_KEY) && !r.text.contains(REMOTE_KEY),
        "{}",
        r.text
    );
    assert!(r.text.contains("remote-tools"), "{}", r.text);

    // A skillset ability backed by the OpenAPI skill carries its own
    // `secretId` as the call's credential, on the skill server as on every
    // surface; binding that secret to the skill's origin is an admin's act.
    let r = s
        .request(
            "POST",
            "/api/v1/skillset/create",
            Some(&writer),
            Some(json!({"name": "Pets desk", "description": "Pet lookups"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let desk = r.json["id"].as_str().unwrap().to_owned();
    let abilities = format!("/api/v1/skillset/{desk}/ability");
    let who = json!({"name": "who", "description": "Who the API sees", "skillId": pets, "ability": "whoAmI", "secretId": pets_key});
    let r = s
        .request(
            "POST",
            &format!("{abilities}/create"),
            Some(&writer),
            Some(who.clone()),
        )
        .await;
    refused(
        &r,
        403,
        "forbidden",
        "binding a secret to a destination is an admin's decision",
    );
    let r = s
        .request(
            "POST",
            &format!("{abilities}/create"),
            Some(&writer),
            Some(json!({"name": "anon", "description": "Without a key", "skillId": pets, "ability": "whoAmI"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let anon = r.json["id"].as_str().unwrap().to_owned();
    let r = s
        .request(
            "POST",
            &format!("{abilities}/{anon}/update"),
            Some(&writer),
            Some(json!({"secretId": pets_key})),
        )
        .await;
    refused(&r, 403, "forbidden", "admin");
    let r = s
        .request(
            "POST",
            &format!("{abilities}/create"),
            Some(&admin),
            Some(who),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = s
        .request(
            "POST",
            "/api/v1/integration/skillserver/create",
            Some(&writer),
            Some(json!({"skillsetId": desk, "name": "Pets desk"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let (desk_server, desk_token) = (
        r.json["id"].as_str().unwrap().to_owned(),
        r.json["accessToken"].as_str().unwrap().to_owned(),
    );
    let before = up.get("/api/_recorded");
    let before = before.as_array().unwrap().len();
    let r = s
        .request(
            "POST",
            &format!("/integration/skillserver/{desk_server}?format=json"),
            Some(&desk_token),
            Some(json!({"ability": "who", "input": {}})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        !r.text.contains(PETS_KEY),
        "the credential is redacted: {}",
        r.text
    );
    assert!(r.text.contains("[secret:pets key]"), "{}", r.text);
    let recorded = up.get("/api/_recorded");
    let whoami: Vec<&Value> = recorded.as_array().unwrap()[before..]
        .iter()
        .filter(|c| c["path"] == "/whoami")
        .collect();
    assert_eq!(whoami.len(), 1, "{recorded}");
    assert_eq!(whoami[0]["headers"]["x-api-key"], PETS_KEY, "{recorded}");
    // Without its own secretId the ability has no credential (no
    // attachment's reaches a skillset call), and nothing is sent.
    let r = s
        .request(
            "POST",
            &format!("/integration/skillserver/{desk_server}?format=json"),
            Some(&desk_token),
            Some(json!({"ability": "anon", "input": {}})),
        )
        .await;
    assert_eq!(r.status, 502, "{}", r.text);
    assert_eq!(r.json["error"]["code"], "failed", "{}", r.text);
    assert!(
        r.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("this operation needs a credential"),
        "{}",
        r.text
    );
    assert_eq!(
        up.get("/api/_recorded").as_array().unwrap().len(),
        before + 1,
        "only the call with the key reached the API"
    );

    // Uninstalling detaches from every agent and runner.
    let r = s
        .request("DELETE", &format!("/api/skills/{pdf}"), Some(&writer), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = s
        .request("GET", "/api/runners/nightly/context", Some(&reader), None)
        .await;
    assert_eq!(r.json["systemPrompt"], "", "{}", r.text);
    let r = s
        .request("DELETE", "/api/runners/nightly", Some(&writer), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

/// A YAML document of about 15 KB whose one anchor, 1,000 strings, is
/// named 2,000 times: two million strings once expanded (the shape
/// yaml_serde's own repetition limit lets through).
fn alias_bomb(head: &str) -> String {
    format!(
        "{head}x-a: &a [{}]\nx-b: [{}]\n",
        vec!["\"lol\""; 1000].join(", "),
        vec!["*a"; 2000].join(", ")
    )
}

#[tokio::test]
async fn yaml_alias_bombs_are_refused_at_install_with_the_reason() {
    let up = skillhost_tests::Upstream::start("127.0.0.1");
    let options = ServiceOptions {
        allow_private_sources: true,
        ..ServiceOptions::default()
    };
    let s = TestServer::start_with("sources-alias-bomb", options).await;
    let admin = s.tenant("acme").await;
    let writer = s.token(&admin, &["skills:read", "skills:write"]).await;
    let spec = alias_bomb("openapi: 3.1.0\ninfo: {title: bomb, version: '1'}\npaths: {}\n");
    up.put_file("bomb.yaml", spec.as_bytes());
    let skill_md = format!(
        "---\n{}---\nA skill.\n",
        alias_bomb("name: bomb\ndescription: explodes\n")
    );
    up.put_file("SKILL.md", skill_md.as_bytes());
    for (source, file, code) in [
        ("openapi_action", "bomb.yaml", "INVALID_OPENAPI"),
        ("skill_md", "SKILL.md", "INVALID_SKILL_MD"),
    ] {
        let started = std::time::Instant::now();
        let r = s
            .request(
                "POST",
                "/api/skills",
                Some(&writer),
                Some(json!({"source": source, "sourceUrl": up.file_url(file)})),
            )
            .await;
        refused(
            &r,
            422,
            code,
            "its aliases (`*name`) expand it to more than",
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{source}"
        );
    }
    let r = s.request("GET", "/api/skills", Some(&writer), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        !r.text.contains("bomb"),
        "nothing was installed: {}",
        r.text
    );
}
