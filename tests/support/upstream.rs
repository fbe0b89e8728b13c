//! Python's standard `http.server` as an upstream (`tests/upstreams/upstream.py`):
//! a peer nobody here wrote, which writes heads and bodies in separate
//! system calls, closes HTTP/1.0 connections, keeps HTTP/1.1 ones alive,
//! chunks, trickles and stalls. It is also the file server of URL installs
//! and syncs (`/files/…`, from a directory the test writes), and the echo
//! (`/echo`) and request counter (`/hits`) of the network tests.
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

/// A running upstream; killed when dropped (it also exits when its stdin
/// closes, so it never outlives the test process).
pub struct Upstream {
    /// Where it listens.
    pub addr: SocketAddr,
    child: Child,
    /// What `/files/…` serves (removed with the upstream).
    files: crate::WorkDir,
}

impl Upstream {
    /// Starts one on `host` (e.g. `127.0.0.1`, or `127.0.0.2` to stand for
    /// an address the operator trusts), port 0.
    pub fn start(host: &str) -> Upstream {
        let files = crate::work_dir("upstream-files");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/upstreams/upstream.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args(["--host", host, "--port", "0", "--files"])
            .arg(&files)
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
        Upstream { addr, child, files }
    }

    /// Serves `bytes` at `/files/{name}` from now on (written aside and
    /// renamed into place, so no request sees half of it).
    pub fn put_file(&self, name: &str, bytes: &[u8]) {
        let tmp = self.files.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, bytes).unwrap();
        std::fs::rename(&tmp, self.files.join(name)).unwrap();
    }

    /// Stops serving `/files/{name}`: it answers 404 from now on.
    pub fn remove_file(&self, name: &str) {
        std::fs::remove_file(self.files.join(name)).unwrap();
    }

    /// The URL of `/files/{name}`.
    pub fn file_url(&self, name: &str) -> String {
        self.url(&format!("/files/{name}"))
    }

    /// The method and path of every request the upstream has handled, in
    /// order (`METHOD PATH`; the test's own questions are not counted).
    pub fn requests(&self) -> Vec<String> {
        serde_json::from_str(&self.get("/requests")).expect("a JSON list")
    }

    /// How many requests the upstream has handled (the test's own questions
    /// are not counted).
    pub fn hits(&self) -> usize {
        self.get("/hits").trim().parse().expect("a count")
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
        let _ = std::fs::remove_dir_all(&self.files);
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
