//! Golden tests of every invocation surface: each is a thin translation onto
//! the one invocation path, and these pin what each answers and audits, so a
//! change to the path cannot change a seed's contract unnoticed.
//!
//! One ability of the `hostile` guest is reached through each surface that
//! can name it:
//!
//! - `rest`: `POST /api/agents/{agent}/skills/hostile/invoke` (seed 003);
//! - `mcp_agent`: `tools/call hostile__<ability>` on `/mcp/agents/{agent}`;
//! - `mcp_agent_skillset`: `tools/call <ability>` on the same endpoint, the
//!   ability being a skill-backed ability of a skillset attached to the
//!   agent;
//! - `mcp_integration`: `tools/call <ability>` on an MCP server integration
//!   over that skillset (`/integration/mcpserver/{id}/mcp`);
//! - `skillserver_json` / `skillserver_text`: a skill server integration's
//!   runtime URL over that skillset, JSON and plain text answers;
//!
//! and a remote MCP server's tool (the official Python SDK's server)
//! through seed 003's `POST /api/agents/{agent}/mcp/invoke` (`rest_mcp_invoke`)
//! and as `<server>__<tool>` on the agent's MCP endpoint.
//!
//! For each case and surface the HTTP status, content type and whole body
//! (volatile fields normalised) and the audit rows the call wrote are kept
//! in `tests/golden/surfaces/<case>.json` and compared exactly; each file
//! also lists how each surface's audit row differs from the REST one.
//! `BLESS=1` rewrites the files from what the server answers now.
//!
//! MCP is driven with raw JSON-RPC (stateless 2025-11-25, the wire format),
//! and a few cases again through the official Python SDK client.
use serde_json::{Map, Value, json};
use skillhost::server::ServiceOptions;
use skillhost_tests::http::{Reply, TestServer};
use skillhost_tests::mcp::{RemoteMcpServer, py_client};
use std::collections::BTreeMap;
use std::path::PathBuf;

// ---------------------------------------------------------------------
// Golden files

fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/golden/surfaces"))
        .join(format!("{name}.json"))
}

fn blessing() -> bool {
    std::env::var("BLESS").is_ok_and(|v| v == "1")
}

/// Compares `actual` with the golden file `name` (or writes it with
/// `BLESS=1`); returns a description of the difference, if any.
fn check_golden(name: &str, actual: &Value) -> Option<String> {
    let path = golden_path(name);
    let pretty = serde_json::to_string_pretty(actual).unwrap() + "\n";
    if blessing() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, pretty).unwrap();
        return None;
    }
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Some(format!(
            "{}: missing; run with BLESS=1 to write it. Actual:\n{pretty}",
            path.display()
        ));
    };
    let expected: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    if &expected == actual {
        return None;
    }
    Some(format!(
        "{} differs (BLESS=1 rewrites it if the change is intended)\n{}",
        path.display(),
        line_diff(&serde_json::to_string_pretty(&expected).unwrap(), &pretty)
    ))
}

/// The lines only in `expected` (-) and only in `actual` (+), in order:
/// enough to see what moved without a diff crate.
fn line_diff(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    // Longest common subsequence, small inputs.
    let mut lcs = vec![vec![0usize; a.len() + 1]; e.len() + 1];
    for i in (0..e.len()).rev() {
        for j in (0..a.len()).rev() {
            lcs[i][j] = if e[i] == a[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < e.len() || j < a.len() {
        if i < e.len() && j < a.len() && e[i] == a[j] {
            i += 1;
            j += 1;
        } else if j < a.len() && (i == e.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out += &format!("+ {}\n", a[j]);
            j += 1;
        } else {
            out += &format!("- {}\n", e[i]);
            i += 1;
        }
    }
    out
}

/// Fails listing every golden file that differs.
fn assert_goldens(mismatches: Vec<String>) {
    assert!(
        mismatches.is_empty(),
        "{} golden file(s) differ:\n\n{}",
        mismatches.len(),
        mismatches.join("\n\n")
    );
}

// ---------------------------------------------------------------------
// Normalisation

/// Volatile strings (ids, ports, tokens) and what they read as in golden
/// files; longest first so an id is never half replaced.
#[derive(Default, Clone)]
struct Names(Vec<(String, String)>);

impl Names {
    fn add(&mut self, volatile: impl Into<String>, stable: impl Into<String>) {
        self.0.push((volatile.into(), stable.into()));
        self.0.sort_by_key(|(v, _)| std::cmp::Reverse(v.len()));
    }

    fn text(&self, s: &str) -> String {
        let mut out = s.to_owned();
        for (volatile, stable) in &self.0 {
            if !volatile.is_empty() {
                out = out.replace(volatile.as_str(), stable);
            }
        }
        out
    }

    /// Every string in `value` with the volatile parts replaced, and the
    /// fields that differ on every call (ids, timings) by placeholders.
    fn value(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.text(s)),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.value(v)).collect()),
            Value::Object(map) => {
                let mut out = Map::new();
                for (key, v) in map {
                    let v = match key.as_str() {
                        "invocation_id" => placeholder(v, "<invocation-id>"),
                        "execution_time_ms" => placeholder(v, "<ms>"),
                        _ => self.value(v),
                    };
                    out.insert(key.clone(), v);
                }
                Value::Object(out)
            }
            other => other.clone(),
        }
    }

    /// An audit row: its id and time replaced, its measurements kept only
    /// as zero or not.
    fn audit_row(&self, row: &Value) -> Value {
        let mut out = Map::new();
        for (key, v) in row.as_object().expect("an audit row is an object") {
            let v = match key.as_str() {
                "id" => placeholder(v, "<invocation-id>"),
                "createdAt" => placeholder(v, "<time>"),
                "durationUs" | "peakMemoryBytes" => zero_or_positive(v),
                "requests" => self.requests(v),
                _ => self.value(v),
            };
            out.insert(key.clone(), v);
        }
        Value::Object(out)
    }

    /// Outbound requests as recorded: their timings replaced, and sorted,
    /// since an MCP client's requests (its event stream's GET beside the
    /// call's POST) finish in no fixed order.
    fn requests(&self, requests: &Value) -> Value {
        let Some(items) = requests.as_array() else {
            return self.value(requests);
        };
        let mut items: Vec<Value> = items
            .iter()
            .map(|r| match r.as_object() {
                Some(map) => Value::Object(
                    map.iter()
                        .map(|(k, v)| {
                            let v = if k.ends_with("_ms")
                                || k.ends_with("Ms")
                                || k.ends_with("_us")
                                || k.ends_with("Us")
                            {
                                placeholder(v, "<duration>")
                            } else {
                                self.value(v)
                            };
                            (k.clone(), v)
                        })
                        .collect(),
                ),
                None => self.value(r),
            })
            .collect();
        items.sort_by_key(Value::to_string);
        Value::Array(items)
    }
}

/// `stable` in place of a value that is there, null kept as null.
fn placeholder(v: &Value, stable: &str) -> Value {
    if v.is_null() {
        Value::Null
    } else {
        Value::String(stable.into())
    }
}

fn zero_or_positive(v: &Value) -> Value {
    match v.as_f64() {
        Some(0.0) => json!(0),
        Some(_) => json!("<positive>"),
        None => v.clone(),
    }
}

// ---------------------------------------------------------------------
// The surfaces

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Surface {
    Rest,
    McpAgent,
    McpAgentSkillset,
    McpIntegration,
    SkillserverJson,
    SkillserverText,
}

impl Surface {
    fn name(self) -> &'static str {
        match self {
            Surface::Rest => "rest",
            Surface::McpAgent => "mcp_agent",
            Surface::McpAgentSkillset => "mcp_agent_skillset",
            Surface::McpIntegration => "mcp_integration",
            Surface::SkillserverJson => "skillserver_json",
            Surface::SkillserverText => "skillserver_text",
        }
    }
}

/// Every surface that can name the ability.
const EVERY: [Surface; 6] = [
    Surface::Rest,
    Surface::McpAgent,
    Surface::McpAgentSkillset,
    Surface::McpIntegration,
    Surface::SkillserverJson,
    Surface::SkillserverText,
];

/// The surfaces that name an agent's assignment (the skillset surfaces
/// have no assignment to be missing or disabled).
const ASSIGNMENT: [Surface; 2] = [Surface::Rest, Surface::McpAgent];

/// The abilities of the hostile guest the cases use; each is also a
/// skill-backed ability of the same name in the skillset.
const ABILITIES: &[&str] = &[
    "ok", "env_all", "flood", "fetch", "spin", "allocate", "panic", "config",
];

/// What the approved grant says in the main cases: a short timeout and a
/// 1 KiB output limit keep the timeout and output cases quick.
fn cases_grant() -> Value {
    json!({"limits": {"timeoutMs": 1000, "outputKb": 1}})
}

/// One answer as pinned, and what the audit check needs.
struct Called {
    surface: Surface,
    request_id: String,
    /// Status, content type, body (normalised).
    pinned: Value,
    /// The invocation id the answer names (REST body, skill server header).
    invocation_id: Option<String>,
}

/// A tenant with the hostile guest installed, agents, a skillset of its
/// abilities attached to `bot`, and both integrations over it.
struct World<'a> {
    server: &'a TestServer,
    tenant: String,
    admin: String,
    reader: String,
    mcp_integration: (String, String),
    skill_server: (String, String),
    names: Names,
}

async fn ok(r: Reply, what: &str) -> Reply {
    assert!(
        (200..300).contains(&r.status),
        "{what}: {} {}",
        r.status,
        r.text
    );
    r
}

impl<'a> World<'a> {
    /// Sets the tenant up; `grant` approves the skill (`None` leaves it
    /// pending approval).
    async fn new(server: &'a TestServer, tenant: &str, grant: Option<Value>) -> World<'a> {
        let s = server;
        let admin = s.tenant(tenant).await;
        let reader = s.token(&admin, &["skills:read"]).await;
        let mut names = Names::default();
        names.add(s.addr.to_string(), "<host>");
        let r = ok(s.install(&admin, "hostile").await, "install").await;
        let skill = r.json["skill"]["id"].as_str().unwrap().to_owned();
        names.add(skill.clone(), "<skill-id:hostile>");
        if let Some(grant) = grant {
            ok(
                s.request(
                    "POST",
                    &format!("/api/skills/{skill}/approve"),
                    Some(&admin),
                    Some(grant),
                )
                .await,
                "approve",
            )
            .await;
        }
        // `bot` has the skill; `stranger` does not; `off` has it disabled.
        for agent in ["bot", "stranger", "off"] {
            let r = ok(
                s.request(
                    "POST",
                    "/api/agents",
                    Some(&admin),
                    Some(json!({"name": agent})),
                )
                .await,
                "agent",
            )
            .await;
            let id = r.json["id"]
                .as_str()
                .or(r.json["agent"]["id"].as_str())
                .unwrap_or_else(|| panic!("an agent id in {}", r.text))
                .to_owned();
            names.add(id, format!("<agent-id:{agent}>"));
        }
        for agent in ["bot", "off"] {
            ok(
                s.request(
                    "POST",
                    &format!("/api/skills/{skill}/assign"),
                    Some(&admin),
                    Some(json!({"agentId": agent})),
                )
                .await,
                "assign",
            )
            .await;
        }
        ok(
            s.request(
                "PATCH",
                &format!("/api/skills/{skill}/assignments/off"),
                Some(&admin),
                Some(json!({"enabled": false})),
            )
            .await,
            "disable",
        )
        .await;
        let r = ok(
            s.request(
                "POST",
                "/api/v1/skillset/create",
                Some(&admin),
                Some(
                    json!({"name": "Hostile set", "description": "The hostile guest's abilities"}),
                ),
            )
            .await,
            "skillset",
        )
        .await;
        let skillset = r.json["id"].as_str().unwrap().to_owned();
        names.add(skillset.clone(), "<skillset-id>");
        for ability in ABILITIES {
            let r = ok(
                s.request(
                    "POST",
                    &format!("/api/v1/skillset/{skillset}/ability/create"),
                    Some(&admin),
                    Some(json!({"name": ability, "description": format!("hostile's {ability}"), "skillId": skill, "ability": ability})),
                )
                .await,
                "ability",
            )
            .await;
            names.add(
                r.json["id"].as_str().unwrap(),
                format!("<ability-id:{ability}>"),
            );
        }
        ok(
            s.request(
                "PUT",
                &format!("/api/agents/bot/skillsets/{skillset}"),
                Some(&admin),
                None,
            )
            .await,
            "attach",
        )
        .await;
        let integration = |kind: &'static str| {
            let (admin, skillset) = (admin.clone(), skillset.clone());
            async move {
                let r = ok(
                    s.request(
                        "POST",
                        &format!("/api/v1/integration/{kind}/create"),
                        Some(&admin),
                        Some(json!({"skillsetId": skillset, "name": format!("hostile {kind}")})),
                    )
                    .await,
                    kind,
                )
                .await;
                (
                    r.json["id"].as_str().unwrap().to_owned(),
                    r.json["accessToken"].as_str().unwrap().to_owned(),
                )
            }
        };
        let mcp_integration = integration("mcpserver").await;
        let skill_server = integration("skillserver").await;
        names.add(mcp_integration.0.clone(), "<integration-id:mcpserver>");
        names.add(skill_server.0.clone(), "<integration-id:skillserver>");
        names.add(mcp_integration.1.clone(), "<token>");
        names.add(skill_server.1.clone(), "<token>");
        World {
            server,
            tenant: tenant.to_owned(),
            admin,
            reader,
            mcp_integration,
            skill_server,
            names,
        }
    }

    /// Calls `ability` with `input` through `surface` as `agent` (the
    /// skillset surfaces have no agent), tagged with a request id the audit
    /// rows can be found by.
    async fn call(
        &self,
        surface: Surface,
        case: &str,
        agent: &str,
        ability: &str,
        input: &Value,
    ) -> Called {
        let request_id = format!("{}-{case}-{}", self.tenant, surface.name());
        let s = self.server;
        let json_headers = [
            ("content-type", "application/json"),
            ("x-request-id", request_id.as_str()),
        ];
        let r = match surface {
            Surface::Rest => {
                let body = json!({"ability": ability, "args": input}).to_string();
                s.send(
                    "POST",
                    &format!("/api/agents/{agent}/skills/hostile/invoke"),
                    Some(&self.reader),
                    &json_headers,
                    Some(body.as_bytes()),
                )
                .await
            }
            Surface::McpAgent => {
                let path = format!("/mcp/agents/{agent}");
                mcp_call(
                    s,
                    &path,
                    &self.reader,
                    &request_id,
                    &format!("hostile__{ability}"),
                    input,
                )
                .await
            }
            Surface::McpAgentSkillset => {
                let path = format!("/mcp/agents/{agent}");
                mcp_call(s, &path, &self.reader, &request_id, ability, input).await
            }
            Surface::McpIntegration => {
                let path = format!("/integration/mcpserver/{}/mcp", self.mcp_integration.0);
                mcp_call(
                    s,
                    &path,
                    &self.mcp_integration.1,
                    &request_id,
                    ability,
                    input,
                )
                .await
            }
            Surface::SkillserverJson | Surface::SkillserverText => {
                let query = if surface == Surface::SkillserverJson {
                    "?format=json"
                } else {
                    ""
                };
                let body = json!({"ability": ability, "input": input}).to_string();
                s.send(
                    "POST",
                    &format!("/integration/skillserver/{}{query}", self.skill_server.0),
                    Some(&self.skill_server.1),
                    &json_headers,
                    Some(body.as_bytes()),
                )
                .await
            }
        };
        self.pin(surface, request_id, r)
    }

    fn pin(&self, surface: Surface, request_id: String, r: Reply) -> Called {
        let header = |name: &str| r.headers.get(name).map(|v| v.to_str().unwrap().to_owned());
        // A JSON answer as JSON; anything else (the skill server's text) as
        // the text it is, even when that text happens to parse as JSON.
        let is_json = header("content-type").is_some_and(|t| t.contains("json"));
        let body = if is_json && !r.json.is_null() {
            self.names.value(&r.json)
        } else {
            Value::String(self.names.text(&r.text))
        };
        let invocation_id = header("x-invocation-id")
            .or_else(|| r.json["invocation_id"].as_str().map(str::to_owned));
        Called {
            surface,
            pinned: json!({
                "status": r.status,
                "contentType": header("content-type"),
                "xInvocationIdHeader": header("x-invocation-id").is_some(),
                "body": body,
            }),
            request_id,
            invocation_id,
        }
    }

    /// Every audit row of this tenant, by request id.
    async fn audit(&self) -> BTreeMap<String, Vec<Value>> {
        let r = self
            .server
            .request("GET", "/api/audit?limit=1000", Some(&self.admin), None)
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(
            r.json["nextCursor"].is_null(),
            "more than one page of audit"
        );
        let mut by_request: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for row in r.json["invocations"].as_array().unwrap() {
            let id = row["requestId"].as_str().unwrap_or("").to_owned();
            by_request.entry(id).or_default().push(row.clone());
        }
        by_request
    }

    /// A case's golden document: each surface's answer and audit rows, and
    /// how each audit row differs from the REST one.
    fn document(
        &self,
        case: &str,
        what: Value,
        called: &[Called],
        audit: &BTreeMap<String, Vec<Value>>,
    ) -> Value {
        let mut surfaces = Map::new();
        let mut rows_of: Vec<(Surface, Vec<Value>)> = Vec::new();
        for c in called {
            let rows = audit.get(&c.request_id).cloned().unwrap_or_default();
            let mut entry = c.pinned.clone();
            // Whether the id the answer names is the audit row's.
            entry["invocationIdIsAuditRowId"] = match &c.invocation_id {
                None => Value::Null,
                Some(id) => json!(rows.len() == 1 && rows[0]["id"] == id.as_str()),
            };
            entry["audit"] = Value::Array(rows.iter().map(|r| self.names.audit_row(r)).collect());
            surfaces.insert(c.surface.name().to_owned(), entry);
            rows_of.push((c.surface, rows));
        }
        json!({
            "case": case,
            "call": what,
            "surfaces": surfaces,
            "auditComparedWithRest": audit_comparison(&rows_of, &self.names),
        })
    }
}

/// `tools/call` as raw JSON-RPC over one stateless POST (2025-11-25).
async fn mcp_call(
    s: &TestServer,
    path: &str,
    token: &str,
    request_id: &str,
    tool: &str,
    arguments: &Value,
) -> Reply {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": tool, "arguments": arguments}})
    .to_string();
    s.send(
        "POST",
        path,
        Some(token),
        &[
            ("content-type", "application/json"),
            ("accept", "application/json, text/event-stream"),
            ("mcp-protocol-version", "2025-11-25"),
            ("x-request-id", request_id),
        ],
        Some(body.as_bytes()),
    )
    .await
}

/// Fields an audit row of one call may differ in from another surface's
/// without the call being recorded differently.
const PER_CALL: &[&str] = &[
    "id",
    "createdAt",
    "durationUs",
    "peakMemoryBytes",
    "requestId",
    "surface",
];

/// For each surface other than REST: how its audit rows differ from the
/// REST call's (fields other than [`PER_CALL`]), or how many rows each
/// wrote when that differs.
fn audit_comparison(rows_of: &[(Surface, Vec<Value>)], names: &Names) -> Value {
    let Some((_, rest)) = rows_of.iter().find(|(s, _)| *s == Surface::Rest) else {
        return Value::Null;
    };
    let mut out = Map::new();
    for (surface, rows) in rows_of.iter().filter(|(s, _)| *s != Surface::Rest) {
        let verdict = match (rest.as_slice(), rows.as_slice()) {
            ([reference], [row]) => {
                let (reference, row) = (names.audit_row(reference), names.audit_row(row));
                let mut differs = Map::new();
                let keys: std::collections::BTreeSet<&String> = reference
                    .as_object()
                    .unwrap()
                    .keys()
                    .chain(row.as_object().unwrap().keys())
                    .collect();
                for key in keys {
                    if PER_CALL.contains(&key.as_str()) {
                        continue;
                    }
                    if reference.get(key) != row.get(key) {
                        differs.insert(
                            key.clone(),
                            json!({
                                "rest": reference.get(key).cloned().unwrap_or(Value::Null),
                                "here": row.get(key).cloned().unwrap_or(Value::Null),
                            }),
                        );
                    }
                }
                if differs.is_empty() {
                    json!("same")
                } else {
                    Value::Object(differs)
                }
            }
            (r, h) if r.len() == h.len() => json!("same (no rows)"),
            (r, h) => json!(format!("rows: rest {}, here {}", r.len(), h.len())),
        };
        out.insert(surface.name().to_owned(), verdict);
    }
    Value::Object(out)
}

// ---------------------------------------------------------------------
// The cases

/// One case: which agent calls which ability with what, through which
/// surfaces.
struct Case {
    name: &'static str,
    /// The REST call's audit outcome: proof that the guest produced the
    /// category the case is named for, whatever the golden file says.
    outcome: &'static str,
    agent: &'static str,
    ability: &'static str,
    input: Value,
    surfaces: &'static [Surface],
}

fn component_cases() -> Vec<Case> {
    let case = |name, ability, input| Case {
        name,
        outcome: match name {
            "success_json" => "success",
            other => other,
        },
        agent: "bot",
        ability,
        input,
        surfaces: &EVERY,
    };
    vec![
        case("success", "ok", json!({})),
        case("success_json", "env_all", json!({})),
        case("invalid_input", "flood", json!({"n": "lots"})),
        case(
            "capability_denied",
            "fetch",
            json!({"target": "http://example.com/"}),
        ),
        case("timeout", "spin", json!({})),
        case("out_of_memory", "allocate", json!({"n": 64u64 << 20})),
        case("output_too_large", "flood", json!({"n": 4096})),
        case("guest_trap", "panic", json!({})),
        case("failed", "config", json!({"target": "units"})),
        case("not_found", "nope", json!({})),
        Case {
            name: "not_assigned",
            outcome: "refused",
            agent: "stranger",
            ability: "ok",
            input: json!({}),
            surfaces: &ASSIGNMENT,
        },
        Case {
            name: "assignment_disabled",
            outcome: "refused",
            agent: "off",
            ability: "ok",
            input: json!({}),
            surfaces: &ASSIGNMENT,
        },
    ]
}

fn options() -> ServiceOptions {
    ServiceOptions {
        // The audit rows then show the input each surface passed on.
        record_inputs: true,
        ..ServiceOptions::default()
    }
}

/// Runs `cases` in `world`, then pins each with the audit rows it wrote.
/// Returns the golden files that differ, and each way a surface's audit
/// of a case departs from the REST call's in outcome, skill, ability or
/// number of rows (or names a surface other than its own).
async fn run_cases(world: &World<'_>, cases: &[Case]) -> (Vec<String>, Vec<String>) {
    let mut called = Vec::new();
    for case in cases {
        let mut answers = Vec::new();
        for surface in case.surfaces {
            answers.push(
                world
                    .call(*surface, case.name, case.agent, case.ability, &case.input)
                    .await,
            );
        }
        called.push(answers);
    }
    let audit = world.audit().await;
    let mut mismatches = Vec::new();
    let mut divergences = Vec::new();
    for (case, answers) in cases.iter().zip(&called) {
        let rest = &answers[0];
        assert_eq!(rest.surface, Surface::Rest);
        let rows_of = |c: &Called| audit.get(&c.request_id).cloned().unwrap_or_default();
        let rest_rows = rows_of(rest);
        assert_eq!(
            rest_rows
                .iter()
                .map(|r| r["outcome"].as_str().unwrap())
                .collect::<Vec<_>>(),
            [case.outcome],
            "{}: the REST call's audit row",
            case.name
        );
        for c in answers {
            let rows = rows_of(c);
            let label = c.surface.name();
            if rows.len() != rest_rows.len() {
                divergences.push(format!(
                    "{}/{label}: {} audit rows, rest {}",
                    case.name,
                    rows.len(),
                    rest_rows.len()
                ));
                continue;
            }
            let own = match c.surface {
                Surface::Rest => "rest",
                Surface::McpAgent | Surface::McpAgentSkillset | Surface::McpIntegration => "mcp",
                Surface::SkillserverJson | Surface::SkillserverText => "skillserver",
            };
            for (row, reference) in rows.iter().zip(&rest_rows) {
                if row["surface"] != own {
                    divergences.push(format!("{}/{label}: surface {}", case.name, row["surface"]));
                }
                for field in ["outcome", "skillName", "ability"] {
                    if row[field] != reference[field] {
                        divergences.push(format!(
                            "{}/{label}: {field} {} (rest {})",
                            case.name, row[field], reference[field]
                        ));
                    }
                }
            }
        }
        let what = json!({"agent": case.agent, "ability": case.ability, "input": case.input});
        let doc = world.document(case.name, what, answers, &audit);
        mismatches.extend(check_golden(case.name, &doc));
    }
    (mismatches, divergences)
}

/// Where today's surfaces audit one call differently from the REST call:
/// each for the refactor to decide on. An audit row that agrees with
/// REST's in outcome, skill and ability is the rule; anything else must
/// be listed here.
const KNOWN_AUDIT_DIVERGENCES: &[&str] = &[
    // No such ability: REST audits `not_found`; the others answer without
    // an audit row.
    "not_found/mcp_agent: 0 audit rows, rest 1",
    "not_found/mcp_agent_skillset: 0 audit rows, rest 1",
    "not_found/mcp_integration: 0 audit rows, rest 1",
    "not_found/skillserver_json: 0 audit rows, rest 1",
    "not_found/skillserver_text: 0 audit rows, rest 1",
    // Not assigned: REST audits a refusal; on MCP a skill the agent does
    // not have is no tool of its (unaudited, as any unknown name).
    "not_assigned/mcp_agent: 0 audit rows, rest 1",
];

#[tokio::test(flavor = "multi_thread")]
async fn each_category_through_every_surface_is_pinned() {
    let server = TestServer::start_with("surfaces-categories", options()).await;
    let world = World::new(&server, "acme", Some(cases_grant())).await;
    let (mut mismatches, mut divergences) = run_cases(&world, &component_cases()).await;

    // The skill waiting for approval: the same calls in a tenant that
    // installed, assigned and put it in a skillset but never approved it.
    let pending = World::new(&server, "pending", None).await;
    let case = [Case {
        name: "skill_not_active",
        outcome: "refused",
        agent: "bot",
        ability: "ok",
        input: json!({}),
        surfaces: &EVERY,
    }];
    let (more, diverging) = run_cases(&pending, &case).await;
    mismatches.extend(more);
    divergences.extend(diverging);
    assert_goldens(mismatches);
    assert_eq!(
        divergences, KNOWN_AUDIT_DIVERGENCES,
        "the surfaces' audit rows depart from the REST call's differently than they did"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn busy_through_every_surface_is_pinned() {
    // One sandbox slot, held by a call waiting on an upstream that never
    // answers until the test lets it go.
    let server = TestServer::start_with_pool("surfaces-busy", options(), 1).await;
    let grant = json!({"allowPrivateNetwork": true, "limits": {"timeoutMs": 30000}});
    let mut world = World::new(&server, "acme", Some(grant)).await;
    let upstream = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = upstream.local_addr().unwrap().port();
    world
        .names
        .add(format!("localhost:{port}"), "localhost:<upstream-port>");
    world
        .names
        .add(format!("127.0.0.1:{port}"), "127.0.0.1:<upstream-port>");
    let target = json!({"target": format!("http://localhost:{port}/")});
    let hold = world.call(Surface::Rest, "busy-hold", "bot", "fetch", &target);
    let busy = async {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut socket, _) =
            tokio::time::timeout(std::time::Duration::from_secs(60), upstream.accept())
                .await
                .expect("the holding call reaches the upstream")
                .unwrap();
        let mut head = Vec::new();
        let mut chunk = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = socket.read(&mut chunk).await.unwrap();
            assert!(n > 0, "the guest's request ended early");
            head.extend_from_slice(&chunk[..n]);
        }
        // The guest now waits for the answer inside its sandbox: every
        // other call finds no free slot.
        let mut answers = Vec::new();
        for surface in EVERY {
            answers.push(world.call(surface, "busy", "bot", "ok", &json!({})).await);
        }
        // The answer ends the holding call.
        socket
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\nconnection: close\r\n\r\nheld")
            .await
            .unwrap();
        socket.shutdown().await.unwrap();
        answers
    };
    let (held, answers) = tokio::join!(hold, busy);
    assert_eq!(
        held.pinned["body"]["output"], "200 held",
        "the holding call got its answer: {}",
        held.pinned
    );
    let audit = world.audit().await;
    let outcomes: Vec<&str> = audit["acme-busy-rest"]
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["busy"], "the REST call found no free slot");
    // Busy is audited alike on every surface: one row, same outcome,
    // skill and ability.
    for c in &answers {
        let rows: Vec<(&str, &str, &str)> = audit[&c.request_id]
            .iter()
            .map(|r| {
                let field = |f: &str| r[f].as_str().unwrap();
                (field("outcome"), field("skillName"), field("ability"))
            })
            .collect();
        assert_eq!(rows, [("busy", "hostile", "ok")], "{}", c.surface.name());
    }
    let what = json!({"agent": "bot", "ability": "ok", "input": {}, "while": "one sandbox slot, held by a `fetch` waiting on its upstream"});
    let mut doc = world.document("busy", what, &answers, &audit);
    let held_doc = world.document(
        "busy-hold",
        json!(null),
        std::slice::from_ref(&held),
        &audit,
    );
    doc["holdingCall"] = held_doc["surfaces"]["rest"].clone();
    assert_goldens(check_golden("busy", &doc).into_iter().collect());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_official_python_client_sees_the_same_answers() {
    let server = TestServer::start_with("surfaces-sdk", options()).await;
    let world = World::new(&server, "acme", Some(cases_grant())).await;
    let agent_url = format!("http://{}/mcp/agents/bot", server.addr);
    let plan = json!([
        {"name": "hostile__ok", "arguments": {}},
        {"name": "hostile__flood", "arguments": {"n": "lots"}},
        {"name": "hostile__panic", "arguments": {}},
        {"name": "ok", "arguments": {}},
        {"name": "hostile__nope", "arguments": {}},
    ]);
    let agent = py_client(&agent_url, &world.reader, "auto", plan)
        .await
        .expect("the SDK client runs");
    let integration_url = format!(
        "http://{}/integration/mcpserver/{}/mcp",
        server.addr, world.mcp_integration.0
    );
    let plan = json!([
        {"name": "ok", "arguments": {}},
        {"name": "flood", "arguments": {"n": "lots"}},
        {"name": "panic", "arguments": {}},
        {"name": "nope", "arguments": {}},
    ]);
    let integration = py_client(&integration_url, &world.mcp_integration.1, "auto", plan)
        .await
        .expect("the SDK client runs");
    let mut mismatches = Vec::new();
    mismatches.extend(check_golden("sdk_mcp_agent", &world.names.value(&agent)));
    mismatches.extend(check_golden(
        "sdk_mcp_integration",
        &world.names.value(&integration),
    ));
    assert_goldens(mismatches);
}

// ---------------------------------------------------------------------
// A remote MCP server's tool

/// An agent with remote MCP servers: `remote` (approved, reachable),
/// `waiting` (added by a writer, not approved) and `gone` (approved, then
/// stopped).
#[tokio::test(flavor = "multi_thread")]
async fn a_remote_mcp_tool_through_both_surfaces_is_pinned() {
    let remote = RemoteMcpServer::start();
    let server = TestServer::start_with("surfaces-remote", options()).await;
    let s = &server;
    let admin = s.tenant("acme").await;
    let reader = s.token(&admin, &["skills:read"]).await;
    let writer = s.token(&admin, &["skills:read", "skills:write"]).await;
    let mut names = Names::default();
    names.add(s.addr.to_string(), "<host>");
    let remote_port = remote
        .url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    names.add(
        format!("127.0.0.1:{remote_port}"),
        "127.0.0.1:<remote-port>",
    );
    let r = ok(
        s.request(
            "POST",
            "/api/agents",
            Some(&admin),
            Some(json!({"name": "bot"})),
        )
        .await,
        "agent",
    )
    .await;
    if let Some(id) = r.json["id"].as_str().or(r.json["agent"]["id"].as_str()) {
        names.add(id, "<agent-id:bot>");
    }
    let servers = "/api/agents/bot/mcp/servers";
    let add = |name: &'static str, url: String, token: String| async move {
        ok(
            s.request(
                "POST",
                servers,
                Some(&token),
                Some(json!({"name": name, "url": url})),
            )
            .await,
            name,
        )
        .await
    };
    let approve = |name: &'static str| {
        let admin = admin.clone();
        async move {
            let r = ok(
                s.request(
                    "POST",
                    &format!("{servers}/{name}/approve"),
                    Some(&admin),
                    Some(json!({"allowPrivateNetwork": true})),
                )
                .await,
                name,
            )
            .await;
            assert_eq!(r.json["status"], "connected", "{}", r.text);
        }
    };
    add("remote", remote.url.clone(), admin.clone()).await;
    approve("remote").await;
    add("waiting", remote.url.clone(), writer.clone()).await;
    {
        let gone = RemoteMcpServer::start();
        let gone_port = gone
            .url
            .split(':')
            .nth(2)
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        names.add(format!("127.0.0.1:{gone_port}"), "127.0.0.1:<gone-port>");
        add("gone", gone.url.clone(), admin.clone()).await;
        approve("gone").await;
    }

    struct RemoteCase {
        name: &'static str,
        server: &'static str,
        tool: &'static str,
        arguments: Value,
    }
    let cases = [
        RemoteCase {
            name: "success",
            server: "remote",
            tool: "add",
            arguments: json!({"a": 2, "b": 3}),
        },
        RemoteCase {
            name: "tool_error",
            server: "remote",
            tool: "fail",
            arguments: json!({"reason": "on purpose"}),
        },
        RemoteCase {
            name: "invalid_input",
            server: "remote",
            tool: "add",
            arguments: json!({"a": "two", "b": 3}),
        },
        RemoteCase {
            name: "not_found_tool",
            server: "remote",
            tool: "nope",
            arguments: json!({}),
        },
        RemoteCase {
            name: "not_found_server",
            server: "nope",
            tool: "add",
            arguments: json!({"a": 1, "b": 1}),
        },
        RemoteCase {
            name: "approval_pending",
            server: "waiting",
            tool: "add",
            arguments: json!({"a": 1, "b": 1}),
        },
        RemoteCase {
            name: "unreachable",
            server: "gone",
            tool: "add",
            arguments: json!({"a": 1, "b": 1}),
        },
    ];
    let world = World {
        server: s,
        tenant: "acme".into(),
        admin: admin.clone(),
        reader: reader.clone(),
        mcp_integration: (String::new(), String::new()),
        skill_server: (String::new(), String::new()),
        names: names.clone(),
    };
    let mut called = Vec::new();
    for case in &cases {
        let rest_id = format!("remote-{}-rest_mcp_invoke", case.name);
        let body = json!({"server": case.server, "tool": case.tool, "arguments": case.arguments})
            .to_string();
        let r = s
            .send(
                "POST",
                "/api/agents/bot/mcp/invoke",
                Some(&reader),
                &[
                    ("content-type", "application/json"),
                    ("x-request-id", &rest_id),
                ],
                Some(body.as_bytes()),
            )
            .await;
        let rest = world.pin(Surface::Rest, rest_id, r);
        let mcp_id = format!("remote-{}-mcp_agent", case.name);
        let tool = format!("{}__{}", case.server, case.tool);
        let r = mcp_call(
            s,
            "/mcp/agents/bot",
            &reader,
            &mcp_id,
            &tool,
            &case.arguments,
        )
        .await;
        let mcp = world.pin(Surface::McpAgent, mcp_id, r);
        called.push([rest, mcp]);
    }
    let audit = world.audit().await;
    let outcomes: Vec<&str> = audit["remote-success-rest_mcp_invoke"]
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["success"], "the remote tool was called");
    let mut mismatches = Vec::new();
    for (case, answers) in cases.iter().zip(&called) {
        let what = json!({"agent": "bot", "server": case.server, "tool": case.tool, "arguments": case.arguments});
        let mut doc = world.document(case.name, what, answers, &audit);
        // Name the surfaces as they are: seed 003's invoke, not the skill
        // invoke.
        let surfaces = doc["surfaces"].as_object_mut().unwrap();
        if let Some(rest) = surfaces.remove("rest") {
            surfaces.insert("rest_mcp_invoke".into(), rest);
        }
        mismatches.extend(check_golden(&format!("remote_{}", case.name), &doc));
    }

    // The official Python SDK client through the agent's endpoint.
    let url = format!("http://{}/mcp/agents/bot", s.addr);
    let plan = json!([
        {"name": "remote__add", "arguments": {"a": 20, "b": 22}},
        {"name": "remote__fail", "arguments": {"reason": "on purpose"}},
        {"name": "remote__nope", "arguments": {}},
    ]);
    let out = py_client(&url, &reader, "auto", plan)
        .await
        .expect("the SDK client runs");
    mismatches.extend(check_golden("sdk_remote_mcp_agent", &names.value(&out)));
    assert_goldens(mismatches);
}
