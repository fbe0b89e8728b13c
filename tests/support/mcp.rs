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

/// Runs the Python client (`tests/mcp/client.py`); `Err(stderr)` when the
/// SDK raised.
pub async fn py_client(
    url: &str,
    token: &str,
    mode: &str,
    plan: serde_json::Value,
) -> Result<serde_json::Value, String> {
    let out = tokio::process::Command::new(python())
        .arg(clients_dir().join("client.py"))
        .args([url, token, mode, &plan.to_string()])
        .output()
        .await
        .expect("python runs");
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).expect("the client prints JSON"))
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
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
    /// Starts it on a free port and waits until it accepts connections.
    pub fn start() -> RemoteMcpServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(python())
            .arg(clients_dir().join("remote_server.py"))
            .arg(port.to_string())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python runs");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "the remote MCP server did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        RemoteMcpServer {
            url: format!("http://127.0.0.1:{port}/mcp"),
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
