//! Host directories belong to the operator: the server's configuration
//! names volumes (each read-only or read-write) and a grant mounts a volume
//! and a sub-path in it, never a host path. No volume may contain the data
//! directory or lie inside it, and a sub-path resolves (symlinks followed)
//! inside its volume or not at all.
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// Where a granted mount comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum MountSource {
    /// An operator volume and a directory in it.
    Volume(VolumeMount),
    /// Grants approved before volumes existed named a host path. Kept so
    /// that stored grants still load: the upgrade maps each to a volume or
    /// sends the skill back to its admin; a call refuses it.
    HostPath(PathBuf),
}

/// An operator volume and a relative directory in it (`""` is the
/// volume's root).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeMount {
    /// The volume's name, as the operator configured it.
    pub volume: String,
    /// A directory inside the volume: relative, `/`-separated, no `.` or
    /// `..`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub path: String,
}

const MOUNT_FORM: &str = "a mount is {\"volume\": \"<name>\", \"path\": \"<sub/dir>\"}";

// By hand, so that each wrong shape gets its own message (an untagged
// enum only says that nothing matched).
impl<'de> Deserialize<'de> for MountSource {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Form;
        impl<'de> serde::de::Visitor<'de> for Form {
            type Value = MountSource;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(MOUNT_FORM)
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<MountSource, E> {
                Ok(MountSource::HostPath(PathBuf::from(text)))
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<MountSource, A::Error> {
                use serde::de::Error;
                let (mut volume, mut path) = (None, String::new());
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "volume" => volume = Some(map.next_value::<String>()?),
                        "path" => path = map.next_value::<String>()?,
                        other => {
                            return Err(A::Error::custom(format!(
                                "unknown field `{other}`: {MOUNT_FORM}"
                            )));
                        }
                    }
                }
                let volume =
                    volume.ok_or_else(|| A::Error::custom(format!("no `volume`: {MOUNT_FORM}")))?;
                check_sub_path(&path).map_err(A::Error::custom)?;
                Ok(MountSource::Volume(VolumeMount { volume, path }))
            }
        }
        d.deserialize_any(Form)
    }
}

/// A sub-path is relative and plain: nothing in it can climb out of the
/// volume before symlinks are even considered.
fn check_sub_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Ok(());
    }
    if path.len() > 1024 {
        return Err("a mount's path is at most 1024 characters".into());
    }
    if path.starts_with('/') {
        return Err(format!(
            "mount path `{path}` must be relative to its volume, e.g. `reports/2026`"
        ));
    }
    for segment in path.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return Err(format!(
                "mount path `{path}` must not contain empty segments, `.` or `..`"
            ));
        }
        if segment.contains(['\\', '\0']) {
            return Err(format!(
                "mount path `{path}` contains a forbidden character"
            ));
        }
    }
    Ok(())
}

impl fmt::Display for VolumeMount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "volume `{}`", self.volume)
        } else {
            write!(f, "`{}` in volume `{}`", self.path, self.volume)
        }
    }
}

/// One operator volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    /// The host directory, canonical.
    root: PathBuf,
    /// Whether grants may mount it read-write.
    pub writable: bool,
}

/// The operator's volumes, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Volumes(BTreeMap<String, Volume>);

/// Why a volume or a mount of one is refused. Never carries a host path:
/// tenants see these messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VolumeError {
    /// The configuration names a bad volume (operator-facing, at start).
    #[error("volume `{name}`: {reason}")]
    Config {
        /// The volume.
        name: String,
        /// Why.
        reason: String,
    },
    /// A grant names a volume the operator has not configured.
    #[error("there is no volume `{0}`; GET /api/volumes lists the operator's volumes")]
    Unknown(String),
    /// A read-write mount of a read-only volume.
    #[error("volume `{0}` is read-only; the path is declared in fs_write")]
    ReadOnly(String),
    /// The sub-path does not resolve to a directory inside the volume.
    #[error("{0} is not a directory inside its volume")]
    Outside(String),
}

impl Volumes {
    /// Parses `NAME=DIR[:ro|:rw]` (read-only when no mode is given).
    pub fn parse_flag(text: &str) -> Result<(String, PathBuf, bool), String> {
        let (name, rest) = text
            .split_once('=')
            .ok_or_else(|| format!("--volume expects NAME=DIR[:ro|:rw], got `{text}`"))?;
        if !crate::manifest::is_slug(name, 64) {
            return Err(format!(
                "--volume `{name}`: a volume name is 1-64 lowercase letters, digits and single hyphens"
            ));
        }
        let (dir, writable) = match rest.rsplit_once(':') {
            Some((dir, "rw")) => (dir, true),
            Some((dir, "ro")) => (dir, false),
            _ => (rest, false),
        };
        if dir.is_empty() {
            return Err(format!("--volume `{name}`: the directory is empty"));
        }
        Ok((name.to_owned(), PathBuf::from(dir), writable))
    }

    /// Builds the volumes, refusing any that is not a directory, that
    /// contains one of `protected` (the data directory) or lies inside one.
    pub fn new(
        list: impl IntoIterator<Item = (String, PathBuf, bool)>,
        protected: &[&Path],
    ) -> Result<Volumes, VolumeError> {
        let protected: Vec<PathBuf> = protected
            .iter()
            .filter_map(|p| std::fs::canonicalize(p).ok())
            .collect();
        let mut volumes = BTreeMap::new();
        for (name, dir, writable) in list {
            let config = |reason: String| VolumeError::Config {
                name: name.clone(),
                reason,
            };
            let root = std::fs::canonicalize(&dir)
                .map_err(|e| config(format!("{} cannot be opened ({e})", dir.display())))?;
            if !root.is_dir() {
                return Err(config(format!("{} is not a directory", dir.display())));
            }
            if let Some(p) = protected
                .iter()
                .find(|p| p.starts_with(&root) || root.starts_with(p))
            {
                return Err(config(format!(
                    "{} overlaps the data directory {} (secrets, database, compile cache); offer a directory outside it",
                    root.display(),
                    p.display()
                )));
            }
            if volumes
                .insert(name.clone(), Volume { root, writable })
                .is_some()
            {
                return Err(config("is named twice".into()));
            }
        }
        Ok(Volumes(volumes))
    }

    /// Names and modes, for tenants choosing a volume (never host paths).
    pub fn list(&self) -> impl Iterator<Item = (&str, bool)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.writable))
    }

    /// Whether any volume is configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The host directory `mount` names, canonical and inside its volume;
    /// `write` asks for a read-write mount. Symlinks are followed before the
    /// check, so a link planted in a writable volume leads nowhere else.
    pub fn open(&self, mount: &VolumeMount, write: bool) -> Result<PathBuf, VolumeError> {
        let volume = self
            .0
            .get(&mount.volume)
            .ok_or_else(|| VolumeError::Unknown(mount.volume.clone()))?;
        if write && !volume.writable {
            return Err(VolumeError::ReadOnly(mount.volume.clone()));
        }
        let joined = volume.root.join(&mount.path);
        std::fs::canonicalize(&joined)
            .ok()
            .filter(|d| d.starts_with(&volume.root) && d.is_dir())
            .ok_or_else(|| VolumeError::Outside(mount.to_string()))
    }

    /// The volume a host directory lies in and its path there: how the
    /// upgrade maps a stored host-path mount.
    pub fn locate(&self, host: &Path) -> Option<VolumeMount> {
        let host = std::fs::canonicalize(host).ok()?;
        self.0.iter().find_map(|(name, v)| {
            let rest = host.strip_prefix(&v.root).ok()?;
            let path = rest.to_str()?.to_owned();
            check_sub_path(&path).ok()?;
            Some(VolumeMount {
                volume: name.clone(),
                path,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mount(volume: &str, path: &str) -> VolumeMount {
        VolumeMount {
            volume: volume.into(),
            path: path.into(),
        }
    }

    #[test]
    fn a_flag_names_a_volume_and_its_mode() {
        assert_eq!(
            Volumes::parse_flag("shared=/srv/shared:rw").unwrap(),
            ("shared".into(), PathBuf::from("/srv/shared"), true)
        );
        assert_eq!(
            Volumes::parse_flag("ref=/srv/ref").unwrap(),
            ("ref".into(), PathBuf::from("/srv/ref"), false)
        );
        assert!(Volumes::parse_flag("Bad Name=/x").is_err());
        assert!(Volumes::parse_flag("noequals").is_err());
    }

    #[test]
    fn no_volume_reaches_the_data_directory() {
        let base = tempdir("overlap");
        let data = base.join("data");
        std::fs::create_dir_all(data.join("inner")).unwrap();
        for dir in [base.clone(), data.clone(), data.join("inner")] {
            let err = Volumes::new([("v".to_owned(), dir, false)], &[data.as_path()]).unwrap_err();
            assert!(
                err.to_string().contains("overlaps the data directory"),
                "{err}"
            );
        }
        let beside = base.join("beside");
        std::fs::create_dir_all(&beside).unwrap();
        Volumes::new([("v".to_owned(), beside, false)], &[data.as_path()]).unwrap();
        let _ = std::fs::remove_dir_all(&base);
    }

    #[test]
    fn a_sub_path_stays_inside_its_volume() {
        let base = tempdir("inside");
        let root = base.join("vol");
        std::fs::create_dir_all(root.join("reports")).unwrap();
        std::os::unix::fs::symlink(&base, root.join("escape")).unwrap();
        let volumes = Volumes::new([("vol".to_owned(), root.clone(), false)], &[]).unwrap();
        let dir = volumes.open(&mount("vol", "reports"), false).unwrap();
        assert!(dir.ends_with("reports"));
        assert_eq!(
            volumes.open(&mount("vol", "escape"), false),
            Err(VolumeError::Outside("`escape` in volume `vol`".into()))
        );
        assert_eq!(
            volumes.open(&mount("vol", ""), true),
            Err(VolumeError::ReadOnly("vol".into()))
        );
        assert_eq!(
            volumes.open(&mount("other", ""), false),
            Err(VolumeError::Unknown("other".into()))
        );
        assert_eq!(
            volumes.locate(&root.join("reports")),
            Some(mount("vol", "reports"))
        );
        assert_eq!(volumes.locate(&base), None);
        let _ = std::fs::remove_dir_all(&base);
    }

    #[test]
    fn a_grant_names_a_volume_or_is_read_as_a_stored_host_path() {
        let parsed: MountSource =
            serde_json::from_str(r#"{"volume": "vol", "path": "a/b"}"#).unwrap();
        assert_eq!(parsed, MountSource::Volume(mount("vol", "a/b")));
        let legacy: MountSource = serde_json::from_str(r#""/srv/x""#).unwrap();
        assert_eq!(legacy, MountSource::HostPath("/srv/x".into()));
        for bad in [
            r#"{"volume": "vol", "path": "../x"}"#,
            r#"{"volume": "vol", "path": "/abs"}"#,
            r#"{"volume": "vol", "path": "a//b"}"#,
        ] {
            assert!(serde_json::from_str::<MountSource>(bad).is_err(), "{bad}");
        }
    }

    fn tempdir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "skillhost-volume-{name}-{}",
            crate::runtime::unique_id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
