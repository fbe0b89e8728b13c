//! Reading a skill folder's documents from disk: `SKILL.md` and the `*.md`
//! files beside it, `references/**` as text, and the names under
//! `scripts/**`, each path kept inside the folder (symlinks leading out are
//! refused) and counted against the limits as it is read.
use super::{
    DocsError, MAX_REFERENCES, MAX_SCRIPTS, MAX_SKILL_MD_BYTES, MAX_TOTAL_BYTES, SkillDocs, bad,
    check_path,
};
use std::path::{Path, PathBuf};

/// Deepest folder nesting walked. Real skills nest one or two levels; the
/// cap also ends a symlink loop inside the folder.
const MAX_DEPTH: usize = 8;

impl SkillDocs {
    /// The documents of a skill folder: `SKILL.md` and the other `*.md`
    /// files beside it, `references/**` and the names under `scripts/**`.
    /// `None` when the folder has none of them.
    pub fn from_dir(dir: &Path) -> Result<Option<SkillDocs>, DocsError> {
        let skill_md = dir.join("SKILL.md");
        let skill_md = skill_md.exists().then_some(skill_md);
        let docs = collect(dir, skill_md.as_deref())?;
        Ok((!docs.is_empty()).then_some(docs))
    }

    /// The documents around `skill_md` (`skillhost pack --skill-md`): that
    /// file, the other `*.md` files beside it, and the `references/` and
    /// `scripts/` folders beside it.
    pub fn from_skill_md(skill_md: &Path) -> Result<SkillDocs, DocsError> {
        let dir = match skill_md.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        collect(dir, Some(skill_md))
    }
}

/// Reads the documents around `skill_md` (if any) in `dir`.
fn collect(dir: &Path, skill_md: Option<&Path>) -> Result<SkillDocs, DocsError> {
    let root = canonical(dir)?;
    let mut walk = Walk {
        root,
        docs: SkillDocs::default(),
        total: 0,
    };
    if let Some(skill_md) = skill_md {
        let own = walk.inside(skill_md)?;
        walk.docs.skill_md = Some(walk.text(skill_md, "SKILL.md", MAX_SKILL_MD_BYTES)?);
        // Real skills keep further documents beside SKILL.md (FORMS.md,
        // REFERENCE.md); they are references too.
        for (name, path) in entries(dir)? {
            let lower = name.to_ascii_lowercase();
            if !lower.ends_with(".md") || walk.inside(&path)? == own || !path.is_file() {
                continue;
            }
            let text = walk.text(&path, &name, MAX_TOTAL_BYTES)?;
            walk.add_reference(name, text)?;
        }
    }
    for folder in ["references", "scripts"] {
        let path = dir.join(folder);
        if path.symlink_metadata().is_ok() {
            walk.inside(&path)?;
            if path.is_dir() {
                walk.folder(&path, folder, 1)?;
            }
        }
    }
    walk.docs.check()?;
    Ok(walk.docs)
}

struct Walk {
    root: PathBuf,
    docs: SkillDocs,
    total: usize,
}

impl Walk {
    /// `path`'s real location, refused when it is outside the root.
    fn inside(&self, path: &Path) -> Result<PathBuf, DocsError> {
        let real = canonical(path)?;
        if real.starts_with(&self.root) {
            Ok(real)
        } else {
            Err(DocsError::Outside(path.display().to_string()))
        }
    }

    /// Reads a text file, counting it against the total.
    fn text(&mut self, path: &Path, name: &str, limit: usize) -> Result<String, DocsError> {
        let size = std::fs::metadata(path).map_err(|e| io(path, e))?.len();
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        if size > limit {
            return Err(DocsError::TooLarge {
                what: name.into(),
                size,
                limit,
            });
        }
        self.total = self.total.saturating_add(size);
        if self.total > MAX_TOTAL_BYTES {
            return Err(DocsError::TooLarge {
                what: "SKILL.md and references/ together".into(),
                size: self.total,
                limit: MAX_TOTAL_BYTES,
            });
        }
        let bytes = std::fs::read(path).map_err(|e| io(path, e))?;
        String::from_utf8(bytes).map_err(|_| DocsError::NotText(name.into()))
    }

    fn add_reference(&mut self, name: String, text: String) -> Result<(), DocsError> {
        if self.docs.references.len() >= MAX_REFERENCES {
            return Err(DocsError::TooMany {
                dir: "references",
                limit: MAX_REFERENCES,
            });
        }
        self.docs.references.insert(name, text);
        Ok(())
    }

    /// Walks `path` (named `rel` inside the skill), in name order.
    fn folder(&mut self, path: &Path, rel: &str, depth: usize) -> Result<(), DocsError> {
        if depth > MAX_DEPTH {
            return Err(bad(rel, "folders nest deeper than 8 levels"));
        }
        for (name, entry) in entries(path)? {
            let rel = format!("{rel}/{name}");
            self.inside(&entry)?;
            let meta = std::fs::metadata(&entry).map_err(|e| io(&entry, e))?;
            if meta.is_dir() {
                self.folder(&entry, &rel, depth + 1)?;
            } else if !meta.is_file() {
                continue;
            } else if rel.starts_with("scripts/") {
                if self.docs.scripts.len() >= MAX_SCRIPTS {
                    return Err(DocsError::TooMany {
                        dir: "scripts",
                        limit: MAX_SCRIPTS,
                    });
                }
                check_path(&rel)?;
                self.docs.scripts.push(rel);
            } else {
                check_path(&rel)?;
                let text = self.text(&entry, &rel, MAX_TOTAL_BYTES)?;
                self.add_reference(rel, text)?;
            }
        }
        Ok(())
    }
}

/// A folder's entries as `(name, path)`, sorted by name, hidden ones
/// (`.DS_Store`, `.gitkeep`) left out.
fn entries(dir: &Path) -> Result<Vec<(String, PathBuf)>, DocsError> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| io(dir, e))? {
        let entry = entry.map_err(|e| io(dir, e))?;
        let Ok(name) = entry.file_name().into_string() else {
            return Err(bad(
                &entry.path().display().to_string(),
                "the file name is not UTF-8",
            ));
        };
        if !name.starts_with('.') {
            out.push((name, entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

fn canonical(path: &Path) -> Result<PathBuf, DocsError> {
    std::fs::canonicalize(path).map_err(|e| io(path, e))
}

fn io(path: &Path, error: std::io::Error) -> DocsError {
    DocsError::Io {
        path: path.display().to_string(),
        message: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh folder under the system's temporary directory, removed on
    /// drop.
    struct Folder(PathBuf);

    impl Folder {
        fn new(name: &str) -> Folder {
            let path =
                std::env::temp_dir().join(format!("skillhost-docs-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).unwrap();
            Folder(path)
        }

        fn put(&self, rel: &str, bytes: impl AsRef<[u8]>) -> &Folder {
            let path = self.0.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
            self
        }
    }

    impl Drop for Folder {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    const SKILL_MD: &str =
        "---\nname: t\ndescription: Does t.\n---\n\n# Using t\n\nCall `t` with text.\n";

    #[test]
    fn a_folder_gives_skill_md_references_and_script_names() {
        let f = Folder::new("full");
        f.put("SKILL.md", SKILL_MD)
            .put("FORMS.md", "forms")
            .put("README.txt", "not a document")
            .put("references/guide.md", "the guide")
            .put("references/deep/more.txt", "more")
            .put("references/.DS_Store", [0xff, 0xfe])
            .put("scripts/check.py", [0xff, 0x00])
            .put("src/lib.rs", "fn main() {}");
        let docs = SkillDocs::from_dir(&f.0).unwrap().unwrap();
        assert_eq!(docs.skill_md.as_deref(), Some(SKILL_MD));
        assert_eq!(
            docs.references.keys().collect::<Vec<_>>(),
            [
                "FORMS.md",
                "references/deep/more.txt",
                "references/guide.md"
            ]
        );
        assert_eq!(docs.scripts, ["scripts/check.py"]);
        assert_eq!(
            docs.instructions(),
            Some("# Using t\n\nCall `t` with text.")
        );
        assert_eq!(
            docs.reference("guide.md"),
            Some(("references/guide.md", "the guide"))
        );
        assert_eq!(docs.reference("FORMS.md").unwrap().1, "forms");
        assert_eq!(docs.reference("missing.md"), None);

        let beside = SkillDocs::from_skill_md(&f.0.join("SKILL.md")).unwrap();
        assert_eq!(beside, docs);
    }

    #[test]
    fn a_folder_without_documents_has_none() {
        let f = Folder::new("none");
        f.put("skill.toml", "name = \"t\"")
            .put("README.md", "dev notes");
        assert_eq!(SkillDocs::from_dir(&f.0).unwrap(), None);
        // references/ alone is enough; root .md files come only with SKILL.md.
        f.put("references/a.md", "a");
        let docs = SkillDocs::from_dir(&f.0).unwrap().unwrap();
        assert_eq!(docs.skill_md, None);
        assert_eq!(
            docs.references.keys().collect::<Vec<_>>(),
            ["references/a.md"]
        );
        assert_eq!(docs.instructions(), None);
    }

    #[test]
    fn binary_references_are_refused_by_name() {
        let f = Folder::new("binary");
        f.put("SKILL.md", SKILL_MD)
            .put("references/logo.png", [0x89, b'P', 0xff]);
        assert_eq!(
            SkillDocs::from_dir(&f.0).unwrap_err(),
            DocsError::NotText("references/logo.png".into())
        );
    }

    #[test]
    fn sizes_and_counts_are_capped() {
        let f = Folder::new("big");
        f.put("SKILL.md", "x".repeat(MAX_SKILL_MD_BYTES + 1));
        assert!(matches!(
            SkillDocs::from_dir(&f.0),
            Err(DocsError::TooLarge { what, .. }) if what == "SKILL.md"
        ));
        let f = Folder::new("total");
        f.put("SKILL.md", SKILL_MD)
            .put("references/a.md", "a".repeat(MAX_TOTAL_BYTES / 2))
            .put("references/b.md", "b".repeat(MAX_TOTAL_BYTES / 2));
        assert!(matches!(
            SkillDocs::from_dir(&f.0),
            Err(DocsError::TooLarge { what, .. }) if what.contains("together")
        ));
        let f = Folder::new("many");
        for i in 0..=MAX_REFERENCES {
            f.put(&format!("references/{i:03}.md"), "r");
        }
        assert_eq!(
            SkillDocs::from_dir(&f.0).unwrap_err(),
            DocsError::TooMany {
                dir: "references",
                limit: MAX_REFERENCES
            }
        );
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_leading_out_are_refused_and_inside_ones_followed() {
        let outside = Folder::new("outside");
        outside.put("secret.md", "not yours");
        let f = Folder::new("links");
        f.put("SKILL.md", SKILL_MD)
            .put("references/real.md", "real");
        std::os::unix::fs::symlink(
            f.0.join("references/real.md"),
            f.0.join("references/alias.md"),
        )
        .unwrap();
        let docs = SkillDocs::from_dir(&f.0).unwrap().unwrap();
        assert_eq!(docs.reference("alias.md").unwrap().1, "real");
        std::os::unix::fs::symlink(outside.0.join("secret.md"), f.0.join("references/leak.md"))
            .unwrap();
        assert!(matches!(
            SkillDocs::from_dir(&f.0),
            Err(DocsError::Outside(p)) if p.ends_with("leak.md")
        ));
    }
}
