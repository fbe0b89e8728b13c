//! The official MCP SDKs as test peers: the Python SDK's python (from the
//! venv `.ci/test` makes), its client script, and its `MCPServer` as a
//! real remote server on 127.0.0.1.
use std::path::PathBuf;
use std::process::Command;

/// `tests/mcp`: the clients' scripts and pinned packages.
pub fn clients_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/mcp"))
}

/// The python that has the official SDK; missing, the test fails saying
/// how to get it (nothing is skipped silently).
pub fn python() -> String {
    std::env::var("SKILLHOST_TEST_PYTHON").unwrap_or_else(|_| {
        panic!(
            "the MCP tests need the official Python SDK: run `bash .ci/test` (it makes the venv), \
             or set SKILLHOST_TEST_PYTHON to a python with `pip install -r tests/mcp/requirements.txt`"
        )
    })
}

/// How an official client run ended without a result.
#[derive(Debug)]
pub struct ClientFailure {
    /// Its exit code (2: the SDK raised or threw; see the scripts).
    pub code: Option<i32>,
    /// What it printed: the SDK's error.
    pub stderr: String,
}

impl ClientFailure {
    /// The SDK's error message, asserting that the SDK refused (exit 2)
    /// rather than the script failing some other way.
    pub fn sdk_error(&self) -> &str {
        assert_eq!(self.code, Some(2), "not an SDK error: {}", self.stderr);
        &self.stderr
    }
}

/// Runs the Python client (`tests/mcp/client.py`) in `mode` ("auto" or
/// "legacy") with a plan of tool calls.
pub async fn py_client(
    url: &str,
    token: &str,
    mode: &str,
    plan: serde_json::Value,
) -> Result<serde_json::Value, ClientFailure> {
    let out = tokio::process::Command::new(python())
        .arg(clients_dir().join("client.py"))
        .args([url, token, mode, &plan.to_string()])
        .output()
        .await
        .expect("python runs");
    client_result(out)
}

/// Runs the TypeScript client (`tests/mcp/client.mjs`) with a plan of tool
/// calls.
pub async fn ts_client(
    url: &str,
    token: &str,
    plan: serde_json::Value,
) -> Result<serde_json::Value, ClientFailure> {
    assert!(
        clients_dir()
            .join("node_modules/@modelcontextprotocol/sdk")
            .is_dir(),
        "the MCP tests need the official TypeScript SDK: run `bash .ci/test`, or `npm ci` in tests/mcp"
    );
    let out = tokio::process::Command::new("node")
        .arg(clients_dir().join("client.mjs"))
        .args([url, token, &plan.to_string()])
        .output()
        .await
        .expect("node runs");
    client_result(out)
}

/// Runs `tests/mcp/skills.mjs`: the TypeScript SDK 2.x's `SkillsClient`
/// lists and reads (and verifies) every skill of an agent's endpoint, in
/// `mode` ("legacy" or "auto"), then tries each probe expected to be
/// refused.
pub async fn ts_skills(
    url: &str,
    token: &str,
    mode: &str,
    probes: serde_json::Value,
) -> Result<serde_json::Value, ClientFailure> {
    assert!(
        clients_dir()
            .join("node_modules/@modelcontextprotocol/client")
            .is_dir(),
        "the MCP skills tests need the official TypeScript SDK 2.x: run `bash .ci/test`, or `npm ci` in tests/mcp"
    );
    let out = tokio::process::Command::new("node")
        .arg(clients_dir().join("skills.mjs"))
        .args([url, token, mode, &probes.to_string()])
        .output()
        .await
        .expect("node runs");
    client_result(out)
}

/// Runs `tests/mcp/tasks.mjs`: a plan of steps with MCP's tasks
/// extension through its official client (see the script); what each step
/// observed.
pub async fn ts_tasks(token: &str, plan: serde_json::Value) -> Vec<serde_json::Value> {
    assert!(
        clients_dir()
            .join("node_modules/@modelcontextprotocol/ext-tasks")
            .is_dir(),
        "the MCP tasks tests need the tasks extension's client: run `bash .ci/test`, or `npm ci` in tests/mcp"
    );
    let out = tokio::process::Command::new("node")
        .arg(clients_dir().join("tasks.mjs"))
        .args([token, &plan.to_string()])
        .output()
        .await
        .expect("node runs");
    match client_result(out) {
        Ok(serde_json::Value::Array(steps)) => steps,
        Ok(other) => panic!("tasks.mjs printed {other}"),
        Err(failure) => panic!("tasks.mjs failed: {}", failure.stderr),
    }
}

fn client_result(out: std::process::Output) -> Result<serde_json::Value, ClientFailure> {
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).expect("the client prints JSON"))
    } else {
        Err(ClientFailure {
            code: out.status.code(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }
}

/// A child process killed (and waited for) when dropped, so a failing test
/// leaves nothing running.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The official Python SDK's MCP server (`tests/mcp/remote_server.py`) on
/// 127.0.0.1; killed when dropped.
pub struct RemoteMcpServer {
    /// Its streamable HTTP endpoint.
    pub url: String,
    child: std::process::Child,
}

impl RemoteMcpServer {
    /// Starts it on port 0; it reports the address once it accepts
    /// connections.
    pub fn start() -> RemoteMcpServer {
        use std::io::BufRead;
        let mut child = Command::new(python())
            .arg(clients_dir().join("remote_server.py"))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python runs");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("the remote MCP server reports its address");
        let Some(addr) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the remote MCP server did not start: {line:?}");
        };
        RemoteMcpServer {
            url: format!("http://{addr}/mcp"),
            child,
        }
    }
}

impl Drop for RemoteMcpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The OAuth tests' authorization server: oidc-provider
/// (`tests/mcp/authorization_server.mjs`) on 127.0.0.1, killed when dropped.
pub struct AuthorizationServer {
    /// Its issuer URL (no trailing slash).
    pub issuer: String,
    _child: KillOnDrop,
}

impl AuthorizationServer {
    /// Starts it; it reports its issuer once it listens.
    pub fn start() -> AuthorizationServer {
        use std::io::BufRead;
        let mut child = Command::new("node")
            .arg(clients_dir().join("authorization_server.mjs"))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("node runs (tests/mcp needs `npm ci`; `bash .ci/test` does it)");
        let mut line = String::new();
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        stdout.read_line(&mut line).unwrap();
        // Whatever else it prints is read, so that a write never fails on
        // a closed pipe (which ends node).
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let started: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|_| panic!("the authorization server printed {line:?}"));
        AuthorizationServer {
            issuer: started["issuer"].as_str().unwrap().to_owned(),
            _child: KillOnDrop(child),
        }
    }

    /// A token signed as `key` says (see the script): one no client could
    /// get from it, for the refusal tests.
    pub async fn mint(
        &self,
        key: &str,
        header: serde_json::Value,
        claims: serde_json::Value,
    ) -> String {
        let body = serde_json::json!({"key": key, "header": header, "claims": claims});
        let (status, text) = http_call(
            &self.issuer,
            "POST",
            "/hostile/mint",
            Some(body.to_string()),
        )
        .await;
        assert_eq!(status, 200, "{text}");
        text
    }

    /// Adds the key it has not published so far to its key set.
    pub async fn publish_stranger(&self) {
        let (status, text) =
            http_call(&self.issuer, "POST", "/hostile/publish-stranger", None).await;
        assert_eq!(status, 200, "{text}");
    }

    /// How often its key set has been fetched.
    pub async fn jwks_fetches(&self) -> u64 {
        let (_, text) = http_call(&self.issuer, "GET", "/hostile/stats", None).await;
        serde_json::from_str::<serde_json::Value>(&text).unwrap()["jwks"]
            .as_u64()
            .unwrap()
    }
}

/// One plain HTTP/1 request to `base` (http://127.0.0.1:PORT).
async fn http_call(base: &str, method: &str, path: &str, body: Option<String>) -> (u16, String) {
    use http_body_util::BodyExt;
    let addr = base.strip_prefix("http://").expect("an http URL");
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    let request = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr)
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(bytes::Bytes::from(
            body.unwrap_or_default(),
        )))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// Runs `tests/mcp/oauth_client.mjs`: the TypeScript SDK 2.x signs in with
/// OAuth at `url` as `login` and runs `plan`'s tool calls.
pub async fn ts_oauth_client(
    url: &str,
    login: &str,
    plan: serde_json::Value,
) -> Result<serde_json::Value, ClientFailure> {
    let out = tokio::process::Command::new("node")
        .arg(clients_dir().join("oauth_client.mjs"))
        .args([url, login, &plan.to_string()])
        .output()
        .await
        .expect("node runs");
    client_result(out)
}
