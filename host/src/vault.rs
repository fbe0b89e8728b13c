//! Encryption of tenant secrets at rest: ChaCha20-Poly1305 (ring) under a
//! 256-bit key the operator gives (`SKILLHOST_SECRET_KEY`) or the server
//! creates in the data directory on first start (`secret.key`, mode 0600).
//! Each sealed value is bound to its tenant and secret id (associated data),
//! so a ciphertext copied onto another row does not open. A copy of the
//! database without the key reveals no secret.
//!
//! Rotation: start with the new key as `SKILLHOST_SECRET_KEY` and the old
//! one as `SKILLHOST_SECRET_KEY_PREVIOUS`; rows sealed under the old key
//! still open, and [`crate::server::prepare_secrets`] re-seals them at start.
use base64::Engine as _;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;

/// Length of a key in bytes.
pub const KEY_LEN: usize = 32;

/// A key configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The key text is not 32 bytes in base64 or hex.
    #[error(
        "{what} must be 32 bytes as base64 (44 characters) or hex (64 characters); generate one with `openssl rand -base64 32`"
    )]
    BadKey {
        /// Which setting.
        what: &'static str,
    },
    /// The key file could not be read or created.
    #[error("secret key file {path}: {reason}")]
    KeyFile {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// A sealed value was made under a key this node does not have, or was
    /// tampered with.
    #[error(
        "a secret is sealed under key {key_id}, which this server does not have; start it with that key in SKILLHOST_SECRET_KEY or SKILLHOST_SECRET_KEY_PREVIOUS"
    )]
    UnknownKey {
        /// The key id the value names.
        key_id: String,
    },
    /// The ciphertext does not open under the key it names.
    #[error("a sealed secret does not open: it was altered or moved to another row")]
    Corrupt,
}

/// One key and its public id.
struct Key {
    id: String,
    key: LessSafeKey,
}

impl Key {
    fn new(bytes: &[u8; KEY_LEN]) -> Key {
        let mut hash = Sha256::new();
        hash.update(b"skillhost secret key id\0");
        hash.update(bytes);
        Key {
            id: hex::encode(&hash.finalize()[..8]),
            key: LessSafeKey::new(
                UnboundKey::new(&CHACHA20_POLY1305, bytes).expect("a 32-byte key"),
            ),
        }
    }
}

/// A value sealed for storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// Which key sealed it.
    pub key_id: String,
    /// Nonce followed by ciphertext and tag.
    pub bytes: Vec<u8>,
}

/// The current key and, during a rotation, the previous one. Cheap to clone.
#[derive(Clone)]
pub struct Vault(Arc<Keys>);

struct Keys {
    current: Key,
    previous: Option<Key>,
    /// Authenticates the compile cache's artifacts: derived from the
    /// current key, so nothing but this server can make one it will load.
    cache_key: [u8; KEY_LEN],
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("key_id", &self.0.current.id)
            .finish_non_exhaustive()
    }
}

fn parse_key(text: &str, what: &'static str) -> Result<[u8; KEY_LEN], VaultError> {
    let text = text.trim();
    let bytes = if text.len() == 2 * KEY_LEN && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(text).ok()
    } else {
        base64::engine::general_purpose::STANDARD.decode(text).ok()
    };
    bytes
        .and_then(|b| <[u8; KEY_LEN]>::try_from(b).ok())
        .ok_or(VaultError::BadKey { what })
}

impl Vault {
    /// A vault with `current` (and `previous`, while rotating) as raw keys.
    pub fn from_keys(current: &[u8; KEY_LEN], previous: Option<&[u8; KEY_LEN]>) -> Vault {
        let derived = ring::hmac::sign(
            &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, current),
            b"skillhost compile cache key",
        );
        let cache_key = derived.as_ref().try_into().expect("SHA-256 is 32 bytes");
        Vault(Arc::new(Keys {
            current: Key::new(current),
            previous: previous.map(Key::new),
            cache_key,
        }))
    }

    /// The operator's key text (base64 or hex) if given, else the key file
    /// in `data_dir`, created on first start with mode 0600.
    pub fn open(
        data_dir: &Path,
        key: Option<&str>,
        previous: Option<&str>,
    ) -> Result<Vault, VaultError> {
        let current = match key {
            Some(text) => parse_key(text, "SKILLHOST_SECRET_KEY")?,
            None => key_file(&data_dir.join("secret.key"))?,
        };
        let previous = previous
            .map(|text| parse_key(text, "SKILLHOST_SECRET_KEY_PREVIOUS"))
            .transpose()?;
        Ok(Vault::from_keys(&current, previous.as_ref()))
    }

    /// The key the compile cache authenticates its artifacts with (it
    /// changes with the secret key: a rotation recompiles once).
    pub fn cache_key(&self) -> [u8; KEY_LEN] {
        self.0.cache_key
    }

    /// The id of the key new values are sealed under (not secret).
    pub fn key_id(&self) -> &str {
        &self.0.current.id
    }

    /// Whether `key_id` is this vault's previous key (a row to re-seal).
    pub fn is_previous(&self, key_id: &str) -> bool {
        self.0.previous.as_ref().is_some_and(|k| k.id == key_id)
    }

    /// Seals `plain` for the row `(tenant, id)`.
    pub fn seal(&self, tenant: &str, id: &str, plain: &str) -> Sealed {
        let key = &self.0.current;
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).expect("the OS random source is available");
        let mut bytes = plain.as_bytes().to_vec();
        key.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad(tenant, id)),
                &mut bytes,
            )
            .expect("sealing cannot fail for these sizes");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&bytes);
        Sealed {
            key_id: key.id.clone(),
            bytes: out,
        }
    }

    /// Opens a value sealed for the row `(tenant, id)`.
    pub fn open_sealed(
        &self,
        tenant: &str,
        id: &str,
        sealed: &Sealed,
    ) -> Result<String, VaultError> {
        let key = [Some(&self.0.current), self.0.previous.as_ref()]
            .into_iter()
            .flatten()
            .find(|k| k.id == sealed.key_id)
            .ok_or_else(|| VaultError::UnknownKey {
                key_id: sealed.key_id.clone(),
            })?;
        if sealed.bytes.len() < NONCE_LEN {
            return Err(VaultError::Corrupt);
        }
        let (nonce, ciphertext) = sealed.bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| VaultError::Corrupt)?;
        let mut buffer = ciphertext.to_vec();
        let plain = key
            .key
            .open_in_place(nonce, Aad::from(aad(tenant, id)), &mut buffer)
            .map_err(|_| VaultError::Corrupt)?;
        String::from_utf8(plain.to_vec()).map_err(|_| VaultError::Corrupt)
    }
}

fn aad(tenant: &str, id: &str) -> Vec<u8> {
    format!("skillhost secret\0{tenant}\0{id}").into_bytes()
}

/// Reads the key file, or creates it (exclusively, mode 0600) when absent.
/// Two processes starting together on one data directory agree on the key:
/// the loser of the exclusive create reads the winner's file.
pub(crate) fn key_file(path: &Path) -> Result<[u8; KEY_LEN], VaultError> {
    use std::io::Write;
    let failed = |e: std::io::Error| VaultError::KeyFile {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    for _ in 0..50 {
        match std::fs::read_to_string(path) {
            Ok(text) if !text.trim().is_empty() => {
                return parse_key(&text, "the secret key file");
            }
            // Another process created it and is still writing.
            Ok(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                match options.open(path) {
                    Ok(mut file) => {
                        let mut key = [0u8; KEY_LEN];
                        getrandom::fill(&mut key).expect("the OS random source is available");
                        let text = base64::engine::general_purpose::STANDARD.encode(key);
                        file.write_all(format!("{text}\n").as_bytes())
                            .and_then(|()| file.sync_all())
                            .map_err(failed)?;
                        tracing::warn!(
                            path = %path.display(),
                            "created a new secret key; back it up: without it the stored secrets cannot be read"
                        );
                        return Ok(key);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(failed(e)),
                }
            }
            Err(e) => return Err(failed(e)),
        }
    }
    Err(VaultError::KeyFile {
        path: path.display().to_string(),
        reason: "the file stays empty".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_for_its_row_and_key() {
        let vault = Vault::from_keys(&[7; KEY_LEN], None);
        let sealed = vault.seal("t1", "s1", "hunter2-value");
        assert!(!sealed.bytes.windows(6).any(|w| w == b"hunter"));
        assert_eq!(
            vault.open_sealed("t1", "s1", &sealed).unwrap(),
            "hunter2-value"
        );
        assert!(matches!(
            vault.open_sealed("t2", "s1", &sealed),
            Err(VaultError::Corrupt)
        ));
        assert!(matches!(
            vault.open_sealed("t1", "s2", &sealed),
            Err(VaultError::Corrupt)
        ));
        let other = Vault::from_keys(&[8; KEY_LEN], None);
        assert!(matches!(
            other.open_sealed("t1", "s1", &sealed),
            Err(VaultError::UnknownKey { .. })
        ));
        let mut flipped = sealed.clone();
        *flipped.bytes.last_mut().unwrap() ^= 1;
        assert!(matches!(
            vault.open_sealed("t1", "s1", &flipped),
            Err(VaultError::Corrupt)
        ));
    }

    #[test]
    fn the_previous_key_still_opens_during_a_rotation() {
        let old = Vault::from_keys(&[1; KEY_LEN], None);
        let sealed = old.seal("t", "s", "v");
        let rotated = Vault::from_keys(&[2; KEY_LEN], Some(&[1; KEY_LEN]));
        assert!(rotated.is_previous(&sealed.key_id));
        assert_eq!(rotated.open_sealed("t", "s", &sealed).unwrap(), "v");
        assert_ne!(rotated.seal("t", "s", "v").key_id, sealed.key_id);
    }

    #[test]
    fn keys_parse_from_base64_or_hex_and_nothing_else() {
        assert!(parse_key(&"ab".repeat(32), "k").is_ok());
        assert!(
            parse_key(
                &base64::engine::general_purpose::STANDARD.encode([3u8; 32]),
                "k"
            )
            .is_ok()
        );
        assert!(parse_key("short", "k").is_err());
        assert!(
            parse_key(
                &base64::engine::general_purpose::STANDARD.encode([3u8; 16]),
                "k"
            )
            .is_err()
        );
    }

    #[test]
    fn the_key_file_is_created_once_with_mode_0600() {
        let dir = std::env::temp_dir().join(format!("skillhost-vault-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let a = Vault::open(&dir, None, None).unwrap();
        let b = Vault::open(&dir, None, None).unwrap();
        assert_eq!(a.key_id(), b.key_id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("secret.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
