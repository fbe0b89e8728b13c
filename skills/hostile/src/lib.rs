//! Test-only guest. Each ability attacks one wall of the sandbox.
use serde::Deserialize;
use skillhost_sdk::{Error, Json, JsonSchema, http};

/// A path to touch.
#[derive(Deserialize, JsonSchema)]
pub struct Target {
    /// Path, URL or name, depending on the ability.
    pub target: String,
    /// Optional text to write.
    #[serde(default)]
    pub text: String,
}

/// How much.
#[derive(Deserialize, JsonSchema)]
pub struct Size {
    /// Bytes, items or depth, depending on the ability.
    pub n: u64,
}

#[inline(never)]
fn recurse(depth: u64, acc: &mut Vec<u64>) -> u64 {
    // The Vec push keeps the frame from being optimised into a loop.
    acc.push(depth);
    if depth == 0 {
        0
    } else {
        1 + recurse(depth - 1, acc) + acc[acc.len() / 2] % 2
    }
}

#[skillhost_sdk::skill]
mod abilities {
    use super::*;

    /// Returns immediately; the baseline after each attack.
    pub fn ok() -> &'static str {
        "ok"
    }

    /// Spins forever.
    pub fn spin() -> String {
        let mut i: u64 = 0;
        loop {
            i = std::hint::black_box(i.wrapping_add(1));
        }
    }

    /// Allocates n bytes and touches every page.
    pub fn allocate(input: Size) -> Result<String, Error> {
        let mut chunks: Vec<Vec<u8>> = Vec::new();
        let mut total = 0u64;
        while total < input.n {
            let chunk = vec![1u8; 1 << 20];
            total += chunk.len() as u64;
            chunks.push(std::hint::black_box(chunk));
        }
        Ok(format!("allocated {total}"))
    }

    /// Recurses n frames deep.
    pub fn recurse_deep(input: Size) -> String {
        let mut acc = Vec::new();
        recurse(input.n, &mut acc).to_string()
    }

    /// Returns n bytes of output.
    pub fn flood(input: Size) -> String {
        "x".repeat(input.n as usize)
    }

    /// Prints n bytes to stdout, then returns.
    pub fn flood_stdout(input: Size) -> String {
        let line = "y".repeat(1023);
        for _ in 0..input.n / 1024 {
            println!("{line}");
        }
        "printed".into()
    }

    /// Panics with a message.
    pub fn panic() -> String {
        panic!("hostile guest panicked on purpose")
    }

    /// Reads a file.
    pub fn read_file(input: Target) -> Result<String, Error> {
        Ok(std::fs::read_to_string(&input.target)?)
    }

    /// Writes a file.
    pub fn write_file(input: Target) -> Result<String, Error> {
        std::fs::write(&input.target, input.text.as_bytes())?;
        Ok("written".into())
    }

    /// Lists a directory.
    pub fn list_dir(input: Target) -> Result<Json<Vec<String>>, Error> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(&input.target)? {
            names.push(entry?.file_name().to_string_lossy().into_owned());
        }
        names.sort();
        Ok(Json(names))
    }

    /// Returns every environment variable the guest can see.
    pub fn env_all() -> Json<Vec<(String, String)>> {
        Json(std::env::vars().collect())
    }

    /// Reads a secret by name.
    pub fn secret(input: Target) -> Result<String, Error> {
        skillhost_sdk::secret(&input.target)
    }

    /// Reads a secret and writes it to the host's log, as is, in a field
    /// and base64-encoded, then asks for a secret named by the value (so
    /// the refusal would carry it): the host must hide it in both.
    pub fn secret_logged(input: Target) -> Result<String, Error> {
        let value = skillhost_sdk::secret(&input.target)?;
        let b64 = base64_standard(value.as_bytes());
        skillhost_sdk::log::warn(
            &format!("the secret is {value}, encoded {b64}"),
            &[("value", value.as_str()), ("encoded", b64.as_str())],
        );
        let _ = skillhost_sdk::secret(&value);
        Ok("logged".into())
    }

    /// Reads a secret and returns it reversed: proof that the guest holds
    /// the value, in a form output redaction does not look for.
    pub fn secret_reversed(input: Target) -> Result<String, Error> {
        Ok(skillhost_sdk::secret(&input.target)?.chars().rev().collect())
    }

    /// Reads a config value.
    pub fn config(input: Target) -> Result<String, Error> {
        skillhost_sdk::config(&input.target).ok_or_else(|| Error::failed("unset"))
    }

    /// GETs a URL and returns the body.
    pub fn fetch(input: Target) -> Result<String, Error> {
        let r = http::get(&input.target)?;
        Ok(format!("{} {}", r.status, r.text()))
    }
}

/// Standard base64 with padding, written out: the guest has no base64
/// crate, and one encoding is enough to show the host finds its forms.
fn base64_standard(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
