//! Python's standard `http.server` as an upstream (`tests/upstreams/upstream.py`):
//! a peer nobody here wrote, which writes heads and bodies in separate
//! system calls, closes HTTP/1.0 connections, keeps HTTP/1.1 ones alive,
//! chunks, trickles and stalls.
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

/// A running upstream; killed when dropped (it also exits when its stdin
/// closes, so it never outlives the test process).
pub struct Upstream {
    /// Where it listens.
    pub addr: SocketAddr,
    child: Child,
}

impl Upstream {
    /// Starts one on `host` (e.g. `127.0.0.1`, or `127.0.0.2` to stand for
    /// an address the operator trusts), port 0.
    pub fn start(host: &str) -> Upstream {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/upstreams/upstream.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args(["--host", host, "--port", "0"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 must be installed to run the upstream tests");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("upstream announces its port");
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected upstream output: {line:?}"))
            .parse()
            .expect("host:port");
        Upstream { addr, child }
    }

    /// `http://HOST:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// GETs `path` from the test itself (not through skillhost) and
    /// returns the body.
    pub fn get(&self, path: &str) -> String {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(self.addr).expect("upstream reachable");
        write!(stream, "GET {path} HTTP/1.0\r\nHost: test\r\n\r\n").unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).unwrap();
        let (_, body) = reply.split_once("\r\n\r\n").expect("an HTTP answer");
        body.to_owned()
    }

    /// The same, naming the host `localhost` (for patterns that allow it).
    pub fn localhost_url(&self, path: &str) -> String {
        format!("http://localhost:{}{path}", self.addr.port())
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The body every upstream route sends for `size` bytes (the script's
/// `pattern`): a-z repeated, a newline every 64 bytes.
pub fn pattern(size: usize) -> Vec<u8> {
    let alphabet: Vec<u8> = (b'a'..=b'z').collect();
    let mut line: Vec<u8> = alphabet.repeat(3)[..63].to_vec();
    line.push(b'\n');
    line.iter().copied().cycle().take(size).collect()
}
