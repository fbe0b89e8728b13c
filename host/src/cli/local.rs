//! What the commands that work on the author's machine share: the data dir
//! option, a runtime that keeps its files there, and reading input files.
use super::error::CliError;
use std::path::PathBuf;

/// Options shared by commands that run components.
#[derive(clap::Args, Debug, Clone)]
pub struct DataDir {
    /// Where compiled components and session state are kept.
    #[arg(long, env = "SKILLHOST_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
}

/// A runtime for local use: compile cache and session files in the data
/// dir, and the volumes `run`'s mounts name. The cache's key comes from the
/// data dir's secret key, as `serve`'s does, so a server on the same data
/// dir loads what the author's commands compiled.
pub(super) fn local_runtime(
    data: &DataDir,
    volumes: crate::capability::Volumes,
) -> Result<crate::runtime::Runtime, CliError> {
    let vault = crate::vault::Vault::open(&data.data_dir, None, None)
        .map_err(|e| CliError::new(e.to_string()))?;
    let config = crate::runtime::RuntimeConfig {
        cache_dir: Some(data.data_dir.join("cache")),
        cache_key: Some(vault.cache_key()),
        volumes,
        ..Default::default()
    };
    let sessions = std::sync::Arc::new(crate::runtime::FileSessions::new(
        data.data_dir.join("sessions"),
    ));
    Ok(crate::runtime::Runtime::new(config, sessions)?)
}

/// The bytes of a file the author named, or an error saying which.
pub(super) fn read_file(path: &std::path::Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError::new(format!("cannot read {}: {e}", path.display())))
}

/// Writes `files` (path under `dir`, text) into `dir`, creating folders:
/// how the SDKs this binary carries are laid out for a build or a new skill.
pub(super) fn write_files(dir: &std::path::Path, files: &[(&str, &str)]) -> Result<(), CliError> {
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap_or(dir))?;
        std::fs::write(path, text)?;
    }
    Ok(())
}
