//! Test-only command guest: writes `BYTES` bytes to stdout and, when a
//! write fails (the host's output limit), exits with `CODE` (0 to pretend
//! all is well). The host must report `output_too_large` either way.
//!
//!     flood-cmd BYTES CODE
use std::io::Write;

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("numeric arguments"))
        .collect();
    let (bytes, code) = (args[0], args[1] as i32);
    let line = [b'z'; 1024];
    let mut out = std::io::stdout().lock();
    let mut written = 0;
    while written < bytes {
        let n = (bytes - written).min(line.len() as u64) as usize;
        if out.write_all(&line[..n]).and_then(|()| out.flush()).is_err() {
            eprintln!("flood-cmd: stdout refused more after {written} bytes");
            std::process::exit(code);
        }
        written += n as u64;
    }
}
