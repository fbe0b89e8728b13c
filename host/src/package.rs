//! A skill travels as one self-describing `.wasm` file: the component plus
//! a top-level custom section holding its manifest, and optionally a second
//! one holding its documents (SKILL.md, references, script names; see
//! [`crate::docs`]). This module reads and writes those sections and
//! inspects a component's imports and exports without compiling or running
//! anything.
use crate::docs::{DocsError, SkillDocs};
use crate::manifest::{Manifest, ManifestError, SkillKind};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use wasmparser::{Chunk, Encoding, Parser, Payload};

/// Name of the custom section carrying the manifest.
pub const MANIFEST_SECTION: &str = "skillhost:manifest";
/// Name of the optional custom section carrying the skill's documents.
pub const DOCS_SECTION: &str = "skillhost:docs";
/// Version of the section's JSON layout.
const FORMAT: u32 = 1;

/// Interface a skill built with the SDK exports.
pub const ABILITIES_EXPORT: &str = "skillhost:skill/abilities@0.1.";
/// Interface a command skill exports.
pub const RUN_EXPORT: &str = "wasi:cli/run@0.2.";

/// Import prefixes the host provides to every skill. Network is checked
/// separately against the declaration; sockets are provided refusing
/// everything.
const ALWAYS_PROVIDED: &[&str] = &[
    "wasi:cli/",
    "wasi:io/",
    "wasi:clocks/",
    "wasi:random/",
    "wasi:filesystem/",
    "skillhost:skill/host@0.1.",
    "skillhost:skill/types@0.1.",
];

/// What the section holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Section {
    format: u32,
    kind: SkillKind,
    manifest: Manifest,
}

/// A packaged skill, read without running it.
#[derive(Debug, Clone, PartialEq)]
pub struct Package {
    /// The embedded manifest, validated.
    pub manifest: Manifest,
    /// SDK or command.
    pub kind: SkillKind,
    /// The component's top-level import names, e.g. `wasi:http/types@0.2.6`.
    pub imports: Vec<String>,
    /// The component's top-level export names.
    pub exports: Vec<String>,
    /// Lowercase hex sha256 of the whole file (documents included).
    pub digest: String,
    /// The documents packaged with it, checked; `None` for a package
    /// without them (every package made before they existed).
    pub docs: Option<Arc<SkillDocs>>,
}

/// Why a file is not an installable skill. Each message names the offending
/// import or field and says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackageError {
    /// Not a WebAssembly component.
    #[error("not a WebAssembly component: {0}")]
    NotAComponent(String),
    /// The manifest section is missing.
    #[error(
        "the component carries no skill manifest; build SDK skills with `skillhost build` and pack other programs with `skillhost pack --manifest skill.toml`"
    )]
    NoManifest,
    /// The manifest section is present but unusable.
    #[error("{0}")]
    Manifest(#[from] ManifestError),
    /// The component already carries a manifest.
    #[error("the component already carries a skill manifest; pack the original program instead")]
    AlreadyPacked,
    /// An import the declaration does not cover.
    #[error("{0}")]
    UndeclaredImport(String),
    /// The exports do not match the skill kind.
    #[error("{0}")]
    WrongExports(String),
    /// The documents section is unusable.
    #[error("{0}")]
    Docs(#[from] DocsError),
}

/// Lowercase hex sha256 of `bytes`.
pub fn digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

struct Scan<'a> {
    imports: Vec<String>,
    exports: Vec<String>,
    manifest: Option<&'a [u8]>,
    docs: Option<&'a [u8]>,
}

fn scan(bytes: &[u8]) -> Result<Scan<'_>, PackageError> {
    let mut scan = Scan {
        imports: Vec::new(),
        exports: Vec::new(),
        manifest: None,
        docs: None,
    };
    let malformed = |e: wasmparser::BinaryReaderError| PackageError::NotAComponent(e.to_string());
    let mut parser = Parser::new(0);
    let mut at = 0usize;
    loop {
        let Chunk::Parsed { consumed, payload } =
            parser.parse(&bytes[at..], true).map_err(malformed)?
        else {
            // Not returned when the whole file is given (`eof`).
            return Err(PackageError::NotAComponent("truncated file".into()));
        };
        at += consumed;
        match payload {
            // The outer one only: nested modules are stepped over.
            Payload::Version { encoding, .. } if encoding != Encoding::Component => {
                return Err(PackageError::NotAComponent(
                    "this is a core module; build for wasm32-wasip2, which produces a component"
                        .into(),
                ));
            }
            // Only the outer component's sections describe the skill: its
            // modules and nested components (most of the bytes, every
            // function body) are stepped over here and validated by the
            // compiler.
            Payload::ModuleSection {
                unchecked_range, ..
            }
            | Payload::ComponentSection {
                unchecked_range, ..
            } => {
                if unchecked_range.end > bytes.len() {
                    return Err(PackageError::NotAComponent("truncated file".into()));
                }
                at = unchecked_range.end;
            }
            Payload::ComponentImportSection(reader) => {
                for import in reader {
                    scan.imports
                        .push(import.map_err(malformed)?.name.name.to_owned());
                }
            }
            Payload::ComponentExportSection(reader) => {
                for export in reader {
                    scan.exports
                        .push(export.map_err(malformed)?.name.name.to_owned());
                }
            }
            Payload::CustomSection(section) if section.name() == MANIFEST_SECTION => {
                if scan.manifest.is_some() {
                    return Err(PackageError::NotAComponent(
                        "two skill manifest sections".into(),
                    ));
                }
                scan.manifest = Some(section.data());
            }
            Payload::CustomSection(section) if section.name() == DOCS_SECTION => {
                if scan.docs.is_some() {
                    return Err(PackageError::NotAComponent(
                        "two skill documents sections".into(),
                    ));
                }
                scan.docs = Some(section.data());
            }
            Payload::End(_) => break,
            _ => {}
        }
    }
    Ok(scan)
}

/// Reads a packaged skill: manifest, kind, imports, exports and digest, and
/// checks that the component asks for nothing its manifest does not declare.
pub fn read(bytes: &[u8]) -> Result<Package, PackageError> {
    let scan = scan(bytes)?;
    let data = scan.manifest.ok_or(PackageError::NoManifest)?;
    let section: Section = serde_json::from_slice(data).map_err(|e| ManifestError {
        line: None,
        message: format!("embedded manifest is unreadable: {e}"),
    })?;
    if section.format != FORMAT {
        return Err(ManifestError {
            line: None,
            message: format!(
                "manifest format {} is not supported by this skillhost (expects {FORMAT})",
                section.format
            ),
        }
        .into());
    }
    section.manifest.check()?;
    let package = Package {
        manifest: section.manifest,
        kind: section.kind,
        imports: scan.imports,
        exports: scan.exports,
        digest: digest(bytes),
        docs: scan
            .docs
            .map(SkillDocs::from_section)
            .transpose()?
            .map(Arc::new),
    };
    check_exports(&package.exports, package.kind)?;
    check_imports(&package.imports, &package.manifest)?;
    if package.manifest.abilities.is_empty() {
        return Err(ManifestError {
            line: None,
            message: "the skill lists no abilities".into(),
        }
        .into());
    }
    Ok(package)
}

/// Only the documents of a packaged skill, e.g. from stored bytes that
/// [`read`] accepted when they were installed.
pub fn read_docs(bytes: &[u8]) -> Result<Option<SkillDocs>, PackageError> {
    let scan = scan(bytes)?;
    Ok(scan.docs.map(SkillDocs::from_section).transpose()?)
}

/// Which kind a bare component is, from its exports.
pub fn kind_of(bytes: &[u8]) -> Result<SkillKind, PackageError> {
    let scan = scan(bytes)?;
    if scan.manifest.is_some() {
        return Err(PackageError::AlreadyPacked);
    }
    if scan.exports.iter().any(|e| e.starts_with(ABILITIES_EXPORT)) {
        Ok(SkillKind::Sdk)
    } else if scan.exports.iter().any(|e| e.starts_with(RUN_EXPORT)) {
        Ok(SkillKind::Command)
    } else {
        Err(PackageError::WrongExports(format!(
            "the component exports neither `{ABILITIES_EXPORT}x` (an SDK skill) nor `{RUN_EXPORT}x` (a command); it exports: {}",
            list(&scan.exports)
        )))
    }
}

fn check_exports(exports: &[String], kind: SkillKind) -> Result<(), PackageError> {
    let (needed, what) = match kind {
        SkillKind::Sdk => (ABILITIES_EXPORT, "an SDK skill"),
        SkillKind::Command => (RUN_EXPORT, "a command skill"),
    };
    if exports.iter().any(|e| e.starts_with(needed)) {
        Ok(())
    } else {
        Err(PackageError::WrongExports(format!(
            "the manifest says this is {what}, but the component does not export `{needed}x`; it exports: {}",
            list(exports)
        )))
    }
}

/// Refuses imports beyond the declaration, naming the import and the
/// missing declaration.
pub fn check_imports(imports: &[String], manifest: &Manifest) -> Result<(), PackageError> {
    for import in imports {
        if import.starts_with("wasi:http/") {
            if manifest.capabilities.network.is_empty() {
                return Err(PackageError::UndeclaredImport(format!(
                    "the component imports `{import}` (outgoing HTTP) but its manifest declares no network access; \
                     add `network = [\"https://host.example\"]` under [capabilities] in skill.toml"
                )));
            }
        } else if import.starts_with("wasi:sockets/") {
            // Linked to an implementation that refuses every socket (see
            // the runtime's WASI context): language runtimes import it
            // whatever the skill does, and it grants nothing.
        } else if !ALWAYS_PROVIDED.iter().any(|p| import.starts_with(p)) {
            return Err(PackageError::UndeclaredImport(format!(
                "the component imports `{import}`, which skillhost does not provide"
            )));
        }
    }
    Ok(())
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "nothing".into()
    } else {
        names.join(", ")
    }
}

/// Appends the manifest section to a bare component.
pub fn embed(
    component: &[u8],
    kind: SkillKind,
    manifest: &Manifest,
) -> Result<Vec<u8>, PackageError> {
    embed_with_docs(component, kind, manifest, None)
}

/// Appends the manifest section, and the documents section when `docs`
/// has anything to carry, to a bare component.
pub fn embed_with_docs(
    component: &[u8],
    kind: SkillKind,
    manifest: &Manifest,
    docs: Option<&SkillDocs>,
) -> Result<Vec<u8>, PackageError> {
    let found = kind_of(component)?;
    if found != kind {
        return Err(PackageError::WrongExports(format!(
            "expected {kind:?} component, found {found:?}"
        )));
    }
    manifest.check()?;
    let section = Section {
        format: FORMAT,
        kind,
        manifest: manifest.clone(),
    };
    let data = serde_json::to_vec(&section).expect("a manifest serialises");
    let mut out = Vec::with_capacity(component.len() + data.len() + 32);
    out.extend_from_slice(component);
    custom_section(&mut out, MANIFEST_SECTION, &data);
    if let Some(docs) = docs.filter(|d| !d.is_empty()) {
        docs.check()?;
        custom_section(&mut out, DOCS_SECTION, &docs.to_section());
    }
    let package = read(&out)?;
    debug_assert_eq!(package.kind, kind);
    Ok(out)
}

/// Appends a custom section named `name` holding `data`.
fn custom_section(out: &mut Vec<u8>, name: &str, data: &[u8]) {
    let mut payload = Vec::with_capacity(data.len() + name.len() + 8);
    leb128(&mut payload, name.len() as u64);
    payload.extend_from_slice(name.as_bytes());
    payload.extend_from_slice(data);
    out.push(0); // custom section id
    leb128(out, payload.len() as u64);
    out.extend_from_slice(&payload);
}

fn leb128(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(network: bool) -> Manifest {
        let net = if network {
            "[capabilities]\nnetwork = [\"https://api.example.com\"]\n"
        } else {
            ""
        };
        Manifest::from_toml(&format!(
            "name = \"t\"\nversion = \"1.0.0\"\ndescription = \"d\"\n{net}"
        ))
        .unwrap()
    }

    #[test]
    fn core_modules_and_garbage_are_refused() {
        let core = b"\0asm\x01\0\0\0";
        assert!(
            matches!(read(core), Err(PackageError::NotAComponent(m)) if m.contains("core module"))
        );
        assert!(matches!(
            read(b"hello"),
            Err(PackageError::NotAComponent(_))
        ));
        // Cut inside its core module, or inside its outer sections.
        let (component, _) = calc();
        for cut in [component.len() / 2, component.len() - 3] {
            assert!(
                matches!(read(&component[..cut]), Err(PackageError::NotAComponent(_))),
                "cut at {cut} of {}",
                component.len()
            );
        }
    }

    #[test]
    fn imports_beyond_the_declaration_are_named() {
        let http = vec!["wasi:http/outgoing-handler@0.2.6".to_owned()];
        let err = check_imports(&http, &manifest(false))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("wasi:http/outgoing-handler@0.2.6") && err.contains("declares no network"),
            "{err}"
        );
        assert!(check_imports(&http, &manifest(true)).is_ok());

        // Linked refusing everything: no declaration needed, none widened.
        let sockets = vec!["wasi:sockets/tcp@0.2.6".to_owned()];
        assert!(check_imports(&sockets, &manifest(false)).is_ok());

        let other = vec!["acme:db/query@1.0.0".to_owned()];
        assert!(
            check_imports(&other, &manifest(true))
                .unwrap_err()
                .to_string()
                .contains("acme:db/query")
        );

        let fine = vec![
            "wasi:cli/environment@0.2.6".to_owned(),
            "skillhost:skill/host@0.1.0".to_owned(),
        ];
        assert!(check_imports(&fine, &manifest(false)).is_ok());
    }

    fn calc() -> (Vec<u8>, Manifest) {
        let guest = skillhost_guests::CALC;
        let manifest = Manifest::from_toml(&guest.manifest_text()).unwrap();
        (guest.component_bytes(), manifest)
    }

    #[test]
    fn cut_or_altered_components_are_refused_without_panicking() {
        let (component, _) = calc();
        let step = (component.len() / 4000).max(1);
        for cut in (0..component.len()).step_by(step) {
            let _ = read(&component[..cut]);
        }
        // A byte changed in the outer sections (a size, an index, a name)
        // or in a section header.
        let mut altered = component.clone();
        for at in (0..component.len()).step_by(step) {
            for value in [0x00, 0x7f, 0xff] {
                let kept = altered[at];
                altered[at] = value;
                let _ = read(&altered);
                altered[at] = kept;
            }
        }
    }

    fn docs() -> SkillDocs {
        SkillDocs {
            skill_md: Some("---\nname: calc\n---\n# Calc\n\nUse evaluate.\n".into()),
            references: [("references/grammar.md".to_owned(), "expr := ...".to_owned())].into(),
            scripts: vec!["scripts/check.sh".into()],
        }
    }

    #[test]
    fn documents_round_trip_and_are_covered_by_the_digest() {
        let (component, manifest) = calc();
        let plain = embed(&component, SkillKind::Command, &manifest).unwrap();
        assert_eq!(read(&plain).unwrap().docs, None);
        assert_eq!(read_docs(&plain).unwrap(), None);

        let packed =
            embed_with_docs(&component, SkillKind::Command, &manifest, Some(&docs())).unwrap();
        let package = read(&packed).unwrap();
        assert_eq!(package.docs.as_deref(), Some(&docs()));
        assert_eq!(read_docs(&packed).unwrap(), Some(docs()));
        assert_eq!(package.digest, digest(&packed));
        assert_ne!(package.digest, read(&plain).unwrap().digest);

        let empty = SkillDocs::default();
        let packed =
            embed_with_docs(&component, SkillKind::Command, &manifest, Some(&empty)).unwrap();
        assert_eq!(packed, plain, "nothing to carry adds no section");
    }

    #[test]
    fn documents_over_a_limit_or_outside_their_folders_are_refused() {
        let (component, manifest) = calc();
        let mut big = docs();
        big.references.insert(
            "references/huge.md".into(),
            "x".repeat(crate::docs::MAX_TOTAL_BYTES),
        );
        assert!(matches!(
            embed_with_docs(&component, SkillKind::Command, &manifest, Some(&big)),
            Err(PackageError::Docs(DocsError::TooLarge { .. }))
        ));

        // A hand-made section is checked when the package is read.
        let mut packed = embed(&component, SkillKind::Command, &manifest).unwrap();
        custom_section(
            &mut packed,
            DOCS_SECTION,
            br#"{"format":1,"docs":{"references":{"references/../../etc/passwd":"x"}}}"#,
        );
        let err = read(&packed).unwrap_err();
        assert!(
            matches!(&err, PackageError::Docs(DocsError::BadPath { .. })),
            "{err:?}"
        );
        assert!(err.to_string().contains("`..`"), "{err}");

        let mut twice =
            embed_with_docs(&component, SkillKind::Command, &manifest, Some(&docs())).unwrap();
        custom_section(&mut twice, DOCS_SECTION, &docs().to_section());
        assert!(matches!(read(&twice), Err(PackageError::NotAComponent(m)) if m.contains("two")));
    }

    #[test]
    fn leb128_matches_the_spec_examples() {
        let mut out = Vec::new();
        leb128(&mut out, 624485);
        assert_eq!(out, [0xE5, 0x8E, 0x26]);
    }
}
