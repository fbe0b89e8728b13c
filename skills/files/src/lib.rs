//! Reads a read-only mount (`/docs`) and writes notes to a read-write mount
//! (`/notes`), with plain `std::fs`.
use serde::Deserialize;
use skillhost_sdk::{Error, Json, JsonSchema};
use std::path::{Component, Path, PathBuf};

/// A file name relative to a mount.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Name {
    /// Path relative to the mount, e.g. `guide.md` or `2024/report.txt`.
    pub path: String,
}

/// Input of `write_note`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Note {
    /// File name of the note, e.g. `todo.md`.
    pub path: String,
    /// The note's text; replaces any earlier note of that name.
    pub text: String,
}

/// Joins a relative path onto a mount, refusing absolute paths and `..`:
/// the sandbox would refuse them anyway, this gives a clearer message.
fn under(mount: &str, relative: &str) -> Result<PathBuf, Error> {
    let rel = Path::new(relative);
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(Error::invalid_input(format!(
            "`{relative}` must be a plain relative path without `..`"
        )));
    }
    Ok(Path::new(mount).join(rel))
}

fn list(dir: &str) -> Result<Vec<String>, Error> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let mut name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type()?.is_dir() {
            name.push('/');
        }
        names.push(name);
    }
    names.sort();
    Ok(names)
}

#[skillhost_sdk::skill]
mod abilities {
    use super::*;

    /// Lists the documents in the read-only /docs folder.
    pub fn list_docs() -> Result<Json<Vec<String>>, Error> {
        Ok(Json(list("/docs")?))
    }

    /// Returns the text of a document in /docs.
    pub fn read_doc(input: Name) -> Result<String, Error> {
        Ok(std::fs::read_to_string(under("/docs", &input.path)?)?)
    }

    /// Writes a note into /notes, replacing any note of the same name.
    pub fn write_note(input: Note) -> Result<String, Error> {
        let path = under("/notes", &input.path)?;
        std::fs::write(&path, input.text.as_bytes())?;
        Ok(format!("saved {} ({} bytes)", input.path, input.text.len()))
    }

    /// Lists the notes in /notes.
    pub fn list_notes() -> Result<Json<Vec<String>>, Error> {
        Ok(Json(list("/notes")?))
    }

    /// Returns the text of a note in /notes.
    pub fn read_note(input: Name) -> Result<String, Error> {
        Ok(std::fs::read_to_string(under("/notes", &input.path)?)?)
    }
}
