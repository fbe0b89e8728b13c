//! The REST API's contract, checked by tools nobody here wrote: the
//! document at `GET /openapi.json` passes `openapi-spec-validator`, names
//! every route the router serves (MCP's excepted) and nothing it does not
//! serve, and Schemathesis finds no failure against a live server.
//!
//! The tools are pinned in `tests/contract/requirements.txt`; `.ci/test`
//! installs them into `target/contract-venv`, and
//! `SKILLHOST_TEST_CONTRACT_PYTHON` may name another venv's python.
//! `tests/contract/schemathesis.sh` runs a longer Schemathesis pass on both
//! backends against a `skillhost serve` process.
use serde_json::Value;
use skillhost_tests::backend::postgres_url;
use skillhost_tests::http::{OPERATOR_TOKEN, TestServer};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Examples per operation in CI: enough to reach each operation's error
/// paths, bounded so the suite stays within minutes.
const CI_EXAMPLES: &str = "10";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn tools() -> PathBuf {
    let python = std::env::var("SKILLHOST_TEST_CONTRACT_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo().join("target/contract-venv/bin/python"));
    assert!(
        python.exists(),
        "{}: the contract tools are missing; run .ci/test, or `python3 -m venv target/contract-venv && \
         target/contract-venv/bin/pip install -r tests/contract/requirements.txt`",
        python.display()
    );
    python.parent().unwrap().to_owned()
}

async fn document(server: &TestServer) -> Value {
    let reply = server.request("GET", "/openapi.json", None, None).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.headers.get("content-type").unwrap(),
        "application/json"
    );
    reply.json
}

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch"];

/// (method, path, secured) of every operation in the document.
fn operations(document: &Value) -> Vec<(String, String, bool)> {
    let mut found = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in METHODS {
            if let Some(operation) = item.get(*method) {
                // `{}` among the requirements: the token is optional.
                let secured = operation["security"].as_array().is_some_and(|s| {
                    !s.is_empty()
                        && s.iter()
                            .all(|r| r.as_object().is_some_and(|o| !o.is_empty()))
                });
                found.push((method.to_uppercase(), path.clone(), secured));
            }
        }
    }
    found
}

#[tokio::test]
async fn the_document_is_valid_openapi_3_1_with_unique_operations() {
    let server = TestServer::start("contract-valid").await;
    let document = document(&server).await;
    assert_eq!(document["openapi"], "3.1.0");
    let file = server.data_dir.join("openapi.json");
    std::fs::write(&file, document.to_string()).unwrap();
    let validated = Command::new(tools().join("openapi-spec-validator"))
        .arg(&file)
        .output()
        .expect("running openapi-spec-validator");
    assert!(
        validated.status.success(),
        "openapi-spec-validator refused the document:\n{}{}",
        String::from_utf8_lossy(&validated.stdout),
        String::from_utf8_lossy(&validated.stderr)
    );

    let mut ids = std::collections::BTreeMap::new();
    for (method, path, _) in operations(&document) {
        let id = document["paths"][&path][method.to_lowercase()]["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path} has no operationId"))
            .to_owned();
        if let Some(other) = ids.insert(id.clone(), format!("{method} {path}")) {
            panic!("operationId `{id}` is used by {other} and {method} {path}");
        }
        let operation = &document["paths"][&path][method.to_lowercase()];
        for status in operation["responses"].as_object().unwrap().keys() {
            assert!(
                status.len() == 3 && status.parse::<u16>().is_ok(),
                "{method} {path}: response `{status}` is not a status code"
            );
        }
    }
    // MCP's endpoints are named apart, not described as REST.
    let mcp = document["x-mcp-endpoints"]
        .as_object()
        .expect("x-mcp-endpoints");
    assert!(mcp.contains_key("/mcp/agents/{agent}"));
    assert!(
        document["paths"]
            .as_object()
            .unwrap()
            .keys()
            .all(|p| !p.starts_with("/mcp/")),
        "MCP endpoints are not REST operations"
    );
}

/// Every `.route(` outside MCP's module: a route the document cannot know.
fn undocumented_routes() -> Vec<String> {
    let mut found = Vec::new();
    let root = repo().join("host/src/server");
    let mut pending = vec![root.clone()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                // MCP's endpoints are MCP's, not OpenAPI's; the console's
                // pages are a client of the API, not part of it.
                if !["mcp", "console"].contains(&path.file_name().unwrap().to_str().unwrap()) {
                    pending.push(path);
                }
                continue;
            }
            let relative = path.strip_prefix(&root).unwrap().display().to_string();
            let text = std::fs::read_to_string(&path).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            for (n, line) in lines.iter().enumerate() {
                let plain = [".route(", ".route_service(", ".nest("]
                    .iter()
                    .any(|call| line.contains(call));
                // The document's own route, added after it is made.
                let call = format!("{line}{}", lines.get(n + 1).unwrap_or(&""));
                let own = relative == "mod.rs" && call.contains("\"/openapi.json\"");
                if plain && !own {
                    found.push(format!(
                        "host/src/server/{relative}:{}: {}",
                        n + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    found
}

#[tokio::test]
async fn every_route_is_described_and_every_described_route_is_served() {
    let undocumented = undocumented_routes();
    assert!(
        undocumented.is_empty(),
        "routes added with `.route(` are missing from /openapi.json; add them with \
         `.routes(routes!(handler))` and a `#[utoipa::path]` on the handler:\n{}",
        undocumented.join("\n")
    );

    let server = TestServer::start("contract-routes").await;
    let document = document(&server).await;
    let operations = operations(&document);
    assert!(operations.len() > 50, "{} operations", operations.len());
    for (method, path, secured) in operations {
        let concrete = path
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') {
                    "contract-probe"
                } else {
                    segment
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let reply = server.request(&method, &concrete, None, None).await;
        assert_ne!(
            reply.status, 405,
            "{method} {path} is documented but the router has no such method"
        );
        assert!(
            !(reply.status == 404 && reply.json["error"] == "Route not found"),
            "{method} {path} is documented but not served"
        );
        if secured {
            assert_eq!(
                reply.status, 401,
                "{method} {path} needs a token, yet without one answered {}: {}",
                reply.status, reply.text
            );
        }
    }
}

#[tokio::test]
async fn schemathesis_finds_no_failure() {
    if postgres_url().is_some() {
        // Bounded CI time: the SQLite pass runs it (.ci/test), and
        // tests/contract/schemathesis.sh runs longer passes on both.
        eprintln!("Schemathesis runs in the SQLite pass");
        return;
    }
    let server = TestServer::start("contract-schemathesis").await;
    let url = format!("http://{}/openapi.json", server.addr);
    let report = repo().join("target/contract-report");
    let settings = repo().join("tests/contract/schemathesis.toml");
    let run = Command::new(tools().join("schemathesis"))
        .arg("--config-file")
        .arg(&settings)
        .args([
            "run",
            &url,
            "--checks",
            "all",
            "--max-examples",
            CI_EXAMPLES,
        ])
        // `--checks all` overrides the settings file's `enabled = false`.
        .args(["--exclude-checks", "ensure_resource_availability"])
        .args([
            "--header",
            &format!("Authorization: Bearer {OPERATOR_TOKEN}"),
        ])
        // One worker: Schemathesis' workers are threads, and this
        // machine's CPython 3.11.7 fails `ast.parse` run in two threads at
        // once ("AST constructor recursion depth mismatch"), which
        // Hypothesis does to describe its filters. Time-bounded for CI.
        .args([
            "--seed",
            "1",
            "--workers",
            "1",
            "--max-time",
            "300",
            "--report",
            "junit",
        ])
        .arg("--report-dir")
        .arg(&report)
        .env("NO_COLOR", "1")
        .output()
        .expect("running schemathesis");
    let out = String::from_utf8_lossy(&run.stdout);
    let summary = out.rfind("SUMMARY").map(|at| &out[at..]).unwrap_or(&out);
    println!("{summary}");
    assert!(
        run.status.success(),
        "Schemathesis found failures:\n{out}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
}
