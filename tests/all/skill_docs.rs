//! A skill's packaged documents end to end: text-tools packed with the
//! SKILL.md, references/ and scripts/ of its folder (`skills/text-tools`),
//! installed, assigned, and queried with seed 001's `skill_query` through
//! the official Python MCP client (`tests/mcp/client.py`; see the mcp module for
//! how to get it), against a real server (SQLite, or PostgreSQL with
//! `SKILLHOST_TEST_DATABASE_URL`).
use serde_json::{Value, json};
use skillhost::docs::SkillDocs;
use skillhost_tests::http::TestServer;
use skillhost_tests::mcp::py_client;
use std::path::Path;

fn folder() -> &'static Path {
    Path::new(skillhost_tests::guests::TEXT_TOOLS.manifest)
        .parent()
        .unwrap()
}

/// text-tools packed as `skillhost build` packs it: with its folder's
/// documents.
async fn text_tools_with_docs() -> Vec<u8> {
    let guest = skillhost_tests::guests::TEXT_TOOLS;
    let docs = SkillDocs::from_dir(folder()).unwrap().expect("documents");
    skillhost::pack::pack_with_docs(
        &skillhost_tests::fixture().runtime,
        &guest.component_bytes(),
        &guest.manifest_text(),
        Some(&docs),
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn skill_query_serves_the_packaged_skill_md_and_references() {
    let server = TestServer::start("skill-docs-query").await;
    let admin = server.tenant("acme").await;
    let bytes = text_tools_with_docs().await;
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
    let id = r.json["skill"]["id"].as_str().unwrap().to_owned();
    server.approve(&admin, &id, None).await;
    server.agent(&admin, "bot").await;
    server.assign(&admin, &id, json!({"agentId": "bot"})).await;

    let token = server.token(&admin, &["skills:read"]).await;
    let url = format!("http://{}/mcp/agents/bot", server.addr);
    let query = |arguments: Value| json!({"name": "skill_query", "arguments": arguments});
    let plan = json!([
        query(json!({"skillId": "text-tools"})),
        query(json!({"skillId": id, "referenceFile": "references/json-pointer.md"})),
        query(json!({"skillId": "text-tools", "referenceFile": "regex-syntax.md"})),
        query(json!({"skillId": "text-tools", "referenceFile": "ESCALATION-MATRIX.md"})),
        query(json!({"skillId": "text-tools", "query": "BACKREFERENCES"})),
        query(json!({"skillId": "calc"})),
    ]);
    let out = py_client(&url, &token, "auto", plan).await.unwrap();
    let calls = out["calls"].as_array().unwrap();
    let read = |rel: &str| std::fs::read_to_string(folder().join(rel)).unwrap();

    // The instructions are SKILL.md's body: the frontmatter is not in them.
    let first = &calls[0]["structured"];
    assert_eq!(first["skill"]["name"], "text-tools", "{out}");
    let instructions = first["instructions"].as_str().unwrap();
    assert!(instructions.starts_with("# text-tools\n"), "{instructions}");
    assert!(!instructions.contains("description:"), "{instructions}");
    assert!(read("SKILL.md").contains(instructions));
    assert_eq!(
        first["availableReferences"],
        json!(["references/json-pointer.md", "references/regex-syntax.md"])
    );
    assert_eq!(first["availableScripts"], json!(["scripts/text-input.py"]));
    assert_eq!(first["references"], json!([]));

    // A reference file by its path, by the id, and by its name inside
    // references/.
    assert_eq!(
        calls[1]["structured"]["references"],
        json!([{"path": "references/json-pointer.md", "content": read("references/json-pointer.md")}]),
        "{out}"
    );
    assert_eq!(
        calls[2]["structured"]["references"][0]["path"],
        "references/regex-syntax.md"
    );

    // An unknown file is an error result naming the files there are.
    assert_eq!(calls[3]["isError"], true, "{out}");
    let text = calls[3]["text"][0].as_str().unwrap();
    assert!(text.starts_with("not_found"), "{text}");
    assert!(
        text.contains("ESCALATION-MATRIX.md") && text.contains("references/json-pointer.md"),
        "{text}"
    );

    // A query brings the references that mention it.
    let found: Vec<&Value> = calls[4]["structured"]["references"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["path"])
        .collect();
    assert_eq!(found, [&json!("references/regex-syntax.md")], "{out}");

    // A skill the agent is not assigned is refused.
    assert_eq!(calls[5]["isError"], true);
    assert!(
        calls[5]["text"][0]
            .as_str()
            .unwrap()
            .starts_with("not_assigned"),
        "{out}"
    );
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

/// One file of a skill as `tests/mcp/skills.mjs` read it.
fn file<'a>(skill: &'a Value, uri: &str) -> &'a Value {
    skill["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["uri"] == uri)
        .unwrap_or_else(|| panic!("no file {uri} in {skill}"))
}

fn uris(list: &Value) -> Vec<&str> {
    let mut uris: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["uri"].as_str().unwrap())
        .collect();
    uris.sort();
    uris
}

/// MCP's skills extension, read by the official TypeScript SDK's
/// `SkillsClient` (which checks every file's size and digest, and
/// SKILL.md's frontmatter, against the entry): an agent sees the SKILL.md
/// bundles and the documented components assigned to it, every file of a
/// bundle as installed, in both protocol revisions. Another agent's
/// skills, a skillset's skills, unknown and hostile URIs are refused, and
/// an assignment's prompt override is no file.
#[tokio::test(flavor = "multi_thread")]
async fn an_agents_skills_are_read_and_verified_over_mcps_skills_extension() {
    let up = crate::sources::Sources::start("http://127.0.0.1:9/mcp");
    let options = skillhost::server::ServiceOptions {
        allow_private_sources: true,
        github: skillhost::sources::github::GithubConfig {
            web: url::Url::parse(&up.url("/gh")).unwrap(),
            api: url::Url::parse(&up.url("/api/v3")).unwrap(),
        },
        ..skillhost::server::ServiceOptions::default()
    };
    let s = TestServer::start_with("mcp-skills", options).await;
    let admin = s.tenant("acme").await;
    let globex = s.tenant("globex").await;
    let repo = up.url("/gh/acme/skills");
    let mut ids = Vec::new();
    for folder in ["pdf-tools", "git-helper"] {
        let body = json!({"source": "skill_md", "sourceUrl": repo, "sourceRef": format!("acme/skills/skills/{folder}")});
        let r = s
            .request("POST", "/api/skills", Some(&admin), Some(body))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        ids.push(r.json["id"].as_str().unwrap().to_owned());
    }
    let r = s
        .raw(
            "POST",
            "/api/skills",
            Some(&admin),
            Some(&text_tools_with_docs().await),
            Some("application/wasm"),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let text_tools = r.json["skill"]["id"].as_str().unwrap().to_owned();
    s.approve(&admin, &text_tools, None).await;
    s.agent(&admin, "bot").await;
    s.agent(&admin, "scout").await;
    let attach = "/api/agents/bot/attached-skills";
    let r = s
        .request(
            "POST",
            attach,
            Some(&admin),
            Some(json!({"skillId": ids[0], "promptOverride": "OVERRIDE: always ask first."})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    s.assign(&admin, &text_tools, json!({"agentId": "bot"}))
        .await;
    let r = s
        .request(
            "POST",
            "/api/agents/scout/attached-skills",
            Some(&admin),
            Some(json!({"skillId": ids[1]})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    // scout also reaches text-tools' ability through a skillset: a tool,
    // never a skill of its own.
    let r = s
        .request(
            "POST",
            "/api/v1/skillset/create",
            Some(&admin),
            Some(json!({"name": "Text", "description": "Text tools"})),
        )
        .await;
    let skillset = r.json["id"].as_str().unwrap().to_owned();
    let r = s
        .request(
            "POST",
            &format!("/api/v1/skillset/{skillset}/ability/create"),
            Some(&admin),
            Some(json!({"name": "count", "description": "Counts words", "skillId": text_tools, "ability": "word_count"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = s
        .request(
            "PUT",
            &format!("/api/agents/scout/skillsets/{skillset}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);

    let token = s.token(&admin, &["skills:read"]).await;
    let bot = format!("http://{}/mcp/agents/bot", s.addr);
    let probes = json!([
        {"kind": "get", "uri": "skill://git-helper/SKILL.md"},
        {"kind": "get", "uri": "skill://nothing/SKILL.md"},
        {"kind": "read", "uri": "skill://git-helper/SKILL.md"},
        {"kind": "read", "uri": "skill://pdf-tools/../git-helper/SKILL.md"},
        {"kind": "read", "uri": "skill://pdf-tools/.editorconfig"},
        {"kind": "read", "uri": "file:///etc/passwd"},
        {"kind": "directory", "uri": "skill://git-helper"},
        {"kind": "directory", "uri": "skill://pdf-tools/references/.."},
    ]);
    let logo: Vec<u8> = (0..=255).collect();
    for mode in ["legacy", "auto"] {
        let out = skillhost_tests::mcp::ts_skills(&bot, &token, mode, probes.clone())
            .await
            .unwrap();
        let version = if mode == "auto" {
            "2026-07-28"
        } else {
            "2025-11-25"
        };
        assert_eq!(out["protocolVersion"], version, "{out}");
        assert_eq!(
            (&out["supported"], &out["directoryRead"]),
            (&json!(true), &json!(true))
        );
        if mode == "auto" {
            assert_eq!(out["cacheScope"], "private", "{out}");
            assert!(out["ttlMs"].is_u64(), "{out}");
        }
        assert_eq!(
            uris(&out["skills"]),
            ["skill://pdf-tools/SKILL.md", "skill://text-tools/SKILL.md"],
            "{out}"
        );
        let pdf = &out["skills"][0];
        // Every file of the folder as installed, hidden ones aside.
        assert_eq!(
            uris(&pdf["resources"]),
            [
                "skill://pdf-tools/LICENSE.txt",
                "skill://pdf-tools/SKILL.md",
                "skill://pdf-tools/assets/logo.png",
                "skill://pdf-tools/references/forms.md",
                "skill://pdf-tools/scripts/fill.py",
            ],
            "{pdf}"
        );
        assert!(
            pdf["files"]
                .as_array()
                .unwrap()
                .iter()
                .all(|f| f["verified"] == true),
            "{pdf}"
        );
        assert_eq!(pdf["frontmatter"]["license"], "Apache-2.0");
        assert_eq!(pdf["frontmatter"]["metadata"]["version"], "1.1");
        let skill_md = file(pdf, "skill://pdf-tools/SKILL.md");
        assert_eq!(skill_md["frontmatter"], pdf["frontmatter"]);
        let text = skill_md["text"].as_str().unwrap();
        assert!(text.contains("# PDF tools (v1)"), "{text}");
        assert!(
            !text.contains("OVERRIDE"),
            "the prompt override is no file: {text}"
        );
        let png = file(pdf, "skill://pdf-tools/assets/logo.png");
        assert_eq!(png["mimeType"], "image/png");
        assert_eq!(png["text"], Value::Null, "binary goes as a blob");
        let entry = |uri: &str| {
            pdf["resources"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["uri"] == uri)
                .unwrap()
                .clone()
        };
        assert_eq!(
            entry("skill://pdf-tools/assets/logo.png"),
            json!({"uri": "skill://pdf-tools/assets/logo.png", "digest": sha256(&logo), "size": 256})
        );
        assert_eq!(
            file(pdf, "skill://pdf-tools/scripts/fill.py")["text"],
            "print('never run by skillhost')\n"
        );
        assert_eq!(
            pdf["directory"],
            json!([
                {"uri": "skill://pdf-tools/LICENSE.txt", "name": "LICENSE.txt", "mimeType": "text/plain", "size": 19},
                {"uri": "skill://pdf-tools/SKILL.md", "name": "SKILL.md", "mimeType": "text/markdown", "size": text.len()},
                {"uri": "skill://pdf-tools/assets", "name": "assets", "mimeType": "inode/directory", "size": null},
                {"uri": "skill://pdf-tools/references", "name": "references", "mimeType": "inode/directory", "size": null},
                {"uri": "skill://pdf-tools/scripts", "name": "scripts", "mimeType": "inode/directory", "size": null},
            ]),
            "{pdf}"
        );
        assert_eq!(pdf["getIsTheListedEntry"], true);

        // A component's packaged SKILL.md and references.
        let tools = &out["skills"][1];
        assert_eq!(
            uris(&tools["resources"]),
            [
                "skill://text-tools/SKILL.md",
                "skill://text-tools/references/json-pointer.md",
                "skill://text-tools/references/regex-syntax.md",
            ],
            "{tools}"
        );
        let read = |rel: &str| std::fs::read_to_string(folder().join(rel)).unwrap();
        assert_eq!(
            file(tools, "skill://text-tools/references/regex-syntax.md")["text"],
            read("references/regex-syntax.md")
        );
        assert_eq!(
            file(tools, "skill://text-tools/SKILL.md")["text"],
            read("SKILL.md")
        );

        // Another agent's skill, unknown and hostile URIs: refused alike.
        let refused: Vec<(&str, &Value)> = out["probes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["uri"].as_str().unwrap(), &p["code"]))
            .collect();
        assert!(
            out["probes"]
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["refused"] == true),
            "{out}"
        );
        // A resource not found is -32002 before 2026-07-28, -32602 since.
        let not_found = if mode == "auto" {
            json!(-32602)
        } else {
            json!(-32002)
        };
        assert_eq!(
            refused,
            [
                ("skill://git-helper/SKILL.md", &json!(-32602)),
                ("skill://nothing/SKILL.md", &json!(-32602)),
                ("skill://git-helper/SKILL.md", &not_found),
                ("skill://pdf-tools/../git-helper/SKILL.md", &not_found),
                ("skill://pdf-tools/.editorconfig", &not_found),
                ("file:///etc/passwd", &not_found),
                ("skill://git-helper", &json!(-32602)),
                ("skill://pdf-tools/references/..", &json!(-32602)),
            ],
            "{out}"
        );
    }

    // A sync's new content is what is read next, under a new digest.
    up.post("/admin/skill?v=2");
    let r = s
        .request(
            "POST",
            &format!("/api/skills/{}/sync", ids[0]),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.json["changed"], true, "{}", r.text);
    let out = skillhost_tests::mcp::ts_skills(&bot, &token, "auto", json!([]))
        .await
        .unwrap();
    let text = file(&out["skills"][0], "skill://pdf-tools/SKILL.md")["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(text.contains("# PDF tools (v2)"), "{text}");
    assert_eq!(
        out["skills"][0]["frontmatter"]["metadata"]["version"],
        "1.2"
    );

    // scout sees its own bundle, not the skill behind its skillset's tool.
    let scout = format!("http://{}/mcp/agents/scout", s.addr);
    let out = skillhost_tests::mcp::ts_skills(&scout, &token, "auto", json!([]))
        .await
        .unwrap();
    assert_eq!(
        uris(&out["skills"]),
        ["skill://git-helper/SKILL.md"],
        "{out}"
    );

    // Another tenant's admin cannot reach the endpoint at all (404, as
    // for an agent that does not exist); no token is 401.
    let other = s.token(&globex, &["skills:read"]).await;
    let failure = skillhost_tests::mcp::ts_skills(&bot, &other, "auto", json!([]))
        .await
        .unwrap_err();
    assert!(
        failure
            .sdk_error()
            .contains(r#"{"code":"not_found","error":"agent not found"}"#),
        "{}",
        failure.stderr
    );
    let failure = skillhost_tests::mcp::ts_skills(&bot, "", "auto", json!([]))
        .await
        .unwrap_err();
    assert!(
        failure.sdk_error().contains("HTTP 401"),
        "{}",
        failure.stderr
    );
}
