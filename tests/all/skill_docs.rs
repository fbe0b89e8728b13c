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
