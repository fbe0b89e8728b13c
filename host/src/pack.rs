//! Packaging: turns a bare component and its `skill.toml` (and the skill
//! folder's documents, when it has any) into one self-describing skill file.
use crate::docs::SkillDocs;
use crate::error::LoadError;
use crate::manifest::{Manifest, SkillKind};
use crate::package::{self, PackageError};
use crate::runtime::Runtime;

/// Why packaging failed.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    /// The manifest text is invalid.
    #[error(transparent)]
    Manifest(#[from] crate::manifest::ManifestError),
    /// The component or the combination is invalid.
    #[error(transparent)]
    Package(#[from] PackageError),
    /// The component could not be compiled or described.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The manifest lists abilities that the code defines, or misses ones a
    /// command needs.
    #[error("{0}")]
    Abilities(String),
}

/// Packs `component` with the manifest text `skill_toml`. An SDK component
/// is asked for its abilities in a sandbox granted nothing; a command's
/// abilities come from the manifest's `[[abilities]]`. The result is loaded
/// once to prove it installs.
pub async fn pack(
    runtime: &Runtime,
    component: &[u8],
    skill_toml: &str,
) -> Result<Vec<u8>, PackError> {
    pack_with_docs(runtime, component, skill_toml, None).await
}

/// [`pack`], also embedding `docs` (SKILL.md, references, script names).
pub async fn pack_with_docs(
    runtime: &Runtime,
    component: &[u8],
    skill_toml: &str,
    docs: Option<&SkillDocs>,
) -> Result<Vec<u8>, PackError> {
    let mut manifest = Manifest::from_toml(skill_toml)?;
    let kind = package::kind_of(component)?;
    match kind {
        SkillKind::Sdk => {
            if !manifest.abilities.is_empty() {
                return Err(PackError::Abilities(
                    "this is an SDK skill: its abilities come from the code, so remove [[abilities]] from skill.toml".into(),
                ));
            }
            manifest.abilities = runtime.describe(component).await?;
        }
        SkillKind::Command => {
            if manifest.abilities.is_empty() {
                return Err(PackError::Abilities(
                    "a command skill needs at least one [[abilities]] entry (name, description, input_schema) in skill.toml"
                        .into(),
                ));
            }
        }
    }
    let packed = package::embed_with_docs(component, kind, &manifest, docs)?;
    runtime.load(&packed)?;
    Ok(packed)
}
