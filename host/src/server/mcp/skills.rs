//! MCP's skills extension (`io.modelcontextprotocol/skills`) on an agent's
//! endpoint: the agent's own skills that carry instructions (SKILL.md
//! bundles, and components whose package holds a SKILL.md) as `skill://`
//! files that the client checks against their sha256 and size.
//!
//! Nothing here runs anything: a script is a file like any other. Only
//! the skills assigned to the agent, enabled and active, appear; the
//! abilities of attached skillsets are tools, not skills, and an
//! assignment's `promptOverride` is no file (it changes no digest).
//!
//! A skill's files: a bundle's every file as installed (their bytes in the
//! store's `skill_files`); for a component, and for a bundle installed
//! before files were kept or too big to keep, its SKILL.md and references.
use super::tools::internal;
use crate::docs::{SkillDocs, split_frontmatter};
use crate::services::AppState;
use crate::sources::SourceBody;
use crate::store::{Agent, SkillRow, SkillStatus};
use base64::Engine;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use rmcp::ErrorData as McpError;
use rmcp::model::{
    DIRECTORY_MIME_TYPE, ReadResourceResult, Resource, ResourceContents, Skill, SkillFrontmatter,
    SkillResource, SkillResources,
};
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;

/// What a path segment keeps unescaped in a `skill://` URI: RFC 3986's
/// unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The skills one agent may read, built for one request.
pub(crate) struct Catalog {
    skills: Vec<Served>,
}

struct Served {
    entry: Skill,
    /// `skill://…/`: the skill's folder, with the slash.
    root: String,
    files: Vec<File>,
}

struct File {
    /// Relative to the skill's folder.
    path: String,
    uri: String,
    size: u64,
    body: Body,
}

enum Body {
    /// In the store's `skill_files`, by sha256 (hex).
    Stored(String),
    /// Held in the skill's documents.
    Text(Arc<SkillDocs>, TextOf),
}

#[derive(Clone)]
enum TextOf {
    SkillMd,
    Reference(String),
}

impl Catalog {
    /// The skills of `agent` in `tenant` that carry instructions, by URI.
    pub(crate) async fn of(
        state: &AppState,
        tenant: &str,
        agent: &Agent,
    ) -> Result<Catalog, McpError> {
        let mut skills = Vec::new();
        let assigned = state
            .store
            .agent_skills(tenant, &agent.id)
            .await
            .map_err(internal)?;
        for (assignment, skill) in assigned {
            if !assignment.enabled || skill.status != SkillStatus::Active {
                continue;
            }
            if let Some(served) = served(state, tenant, &skill).await? {
                skills.push(served);
            }
        }
        skills.sort_by(|a, b| a.entry.uri.cmp(&b.entry.uri));
        Ok(Catalog { skills })
    }

    /// Every skill's entry, for `skills/list`.
    pub(crate) fn entries(&self) -> Vec<Skill> {
        self.skills.iter().map(|s| s.entry.clone()).collect()
    }

    /// The entry of the skill whose SKILL.md is `uri`; `-32602` otherwise,
    /// as the extension asks (a skill of another agent is not told apart).
    pub(crate) fn entry(&self, uri: &str) -> Result<Skill, McpError> {
        self.skills
            .iter()
            .find(|s| s.entry.uri == uri)
            .map(|s| s.entry.clone())
            .ok_or_else(|| {
                McpError::invalid_params(
                    format!("no skill `{uri}` for this agent; skills/list names its skills"),
                    None,
                )
            })
    }

    /// Each skill's SKILL.md, for `resources/list`.
    pub(crate) fn skill_mds(&self) -> Vec<Resource> {
        self.skills
            .iter()
            .map(|s| {
                Resource::new(s.entry.uri.clone(), s.entry.frontmatter.name.clone())
                    .with_mime_type("text/markdown")
            })
            .collect()
    }

    /// The children of the directory `uri` (a skill's folder or one inside
    /// it, written without the final slash).
    pub(crate) fn directory(&self, uri: &str) -> Result<Vec<Resource>, McpError> {
        let not_a_directory = || {
            McpError::invalid_params(
                format!("`{uri}` is no directory of this agent's skills"),
                None,
            )
        };
        let dir = format!("{}/", uri.trim_end_matches('/'));
        let skill = self
            .skills
            .iter()
            .find(|s| dir.starts_with(&s.root))
            .ok_or_else(not_a_directory)?;
        let mut children = Vec::new();
        let mut folders = BTreeSet::new();
        for file in &skill.files {
            let Some(rest) = file.uri.strip_prefix(&dir) else {
                continue;
            };
            match rest.split_once('/') {
                None => children.push(
                    with_mime(
                        Resource::new(file.uri.clone(), file_name(&file.path)),
                        &file.path,
                    )
                    .with_size(file.size),
                ),
                Some((folder, _)) => {
                    folders.insert(folder.to_owned());
                }
            }
        }
        if children.is_empty() && folders.is_empty() {
            return Err(not_a_directory());
        }
        for folder in folders {
            let name = percent_encoding::percent_decode_str(&folder)
                .decode_utf8_lossy()
                .into_owned();
            children.push(
                Resource::new(format!("{dir}{folder}"), name).with_mime_type(DIRECTORY_MIME_TYPE),
            );
        }
        children.sort_by(|a, b| a.uri.cmp(&b.uri));
        Ok(children)
    }

    /// The file `uri`, as text when it is UTF-8 of a textual type without
    /// NUL, else as base64.
    pub(crate) async fn read(
        &self,
        state: &AppState,
        tenant: &str,
        uri: &str,
    ) -> Result<ReadResourceResult, McpError> {
        let file = self
            .skills
            .iter()
            .flat_map(|s| &s.files)
            .find(|f| f.uri == uri)
            .ok_or_else(|| {
                McpError::resource_not_found(
                    format!(
                        "no resource `{uri}` for this agent; skills/list names its skills' files"
                    ),
                    None,
                )
            })?;
        let bytes = match &file.body {
            Body::Stored(sha256) => state
                .store
                .skill_file(tenant, sha256)
                .await
                .map_err(internal)?
                .ok_or_else(|| internal(format!("the stored file {} is missing", file.path)))?,
            Body::Text(docs, of) => text_of(docs, of).as_bytes().to_vec(),
        };
        let mime = mime_type(&file.path);
        let text = mime
            .filter(|m| is_textual(m))
            .filter(|_| !bytes.contains(&0))
            .and_then(|_| std::str::from_utf8(&bytes).ok());
        let contents = match text {
            Some(text) => ResourceContents::text(text, uri),
            None => ResourceContents::blob(
                base64::engine::general_purpose::STANDARD.encode(&bytes),
                uri,
            ),
        };
        let contents = match mime {
            Some(mime) => contents.with_mime_type(mime),
            None => contents,
        };
        Ok(ReadResourceResult::new(vec![contents]))
    }
}

fn text_of<'a>(docs: &'a SkillDocs, of: &TextOf) -> &'a str {
    match of {
        TextOf::SkillMd => docs.skill_md.as_deref().unwrap_or_default(),
        TextOf::Reference(path) => docs.references.get(path).map_or("", String::as_str),
    }
}

/// `skill`'s entry and files, or `None` when it carries no SKILL.md (or
/// one the extension's rules refuse: logged, and the others still listed).
async fn served(
    state: &AppState,
    tenant: &str,
    skill: &SkillRow,
) -> Result<Option<Served>, McpError> {
    let (docs, kept) = match skill.detail.as_deref().map(|d| &d.body) {
        Some(SourceBody::SkillMd { bundle }) => {
            (Arc::new(bundle.docs.clone()), bundle.files.clone())
        }
        Some(_) => return Ok(None),
        None => match state
            .component_docs(tenant, &skill.digest)
            .await
            .map_err(|_| internal("reading a component's documents failed"))?
        {
            Some(docs) => (docs, Vec::new()),
            None => return Ok(None),
        },
    };
    let Some(skill_md) = docs.skill_md.as_deref() else {
        return Ok(None);
    };
    let Some(frontmatter) = frontmatter(skill_md) else {
        tracing::warn!(skill = %skill.manifest.name, "not served as an MCP skill: its SKILL.md has no frontmatter with a name and a description");
        return Ok(None);
    };
    let name = &skill.manifest.name;
    let root = if frontmatter.name == *name {
        format!("skill://{}/", encode(name))
    } else {
        format!("skill://{}/{}/", encode(name), encode(&frontmatter.name))
    };
    let uri_of = |path: &str| {
        let segments: Vec<String> = path.split('/').map(encode).collect();
        format!("{root}{}", segments.join("/"))
    };
    let mut files = Vec::new();
    let mut listed = Vec::new();
    if kept.is_empty() {
        let texts = std::iter::once(("SKILL.md".to_owned(), TextOf::SkillMd)).chain(
            docs.references
                .keys()
                .map(|path| (path.clone(), TextOf::Reference(path.clone()))),
        );
        for (path, of) in texts {
            let text = text_of(&docs, &of);
            let uri = uri_of(&path);
            listed.push(SkillResource::from_bytes(uri.clone(), text.as_bytes()));
            files.push(File {
                size: text.len() as u64,
                path,
                uri,
                body: Body::Text(docs.clone(), of),
            });
        }
    } else {
        for file in kept {
            let uri = uri_of(&file.path);
            listed.push(SkillResource::new(
                uri.clone(),
                format!("sha256:{}", file.sha256),
                file.size,
            ));
            files.push(File {
                size: file.size,
                path: file.path,
                uri,
                body: Body::Stored(file.sha256),
            });
        }
    }
    let entry = Skill::new(
        format!("{root}SKILL.md"),
        frontmatter,
        SkillResources::Files(listed),
    );
    if let Err(error) = entry.validate() {
        tracing::warn!(skill = %name, %error, "not served as an MCP skill");
        return Ok(None);
    }
    Ok(Some(Served { entry, root, files }))
}

/// SKILL.md's frontmatter as its YAML reads, every field kept; `None`
/// without a `name` and a `description`.
fn frontmatter(skill_md: &str) -> Option<SkillFrontmatter> {
    let (Some(yaml), _) = split_frontmatter(skill_md).ok()? else {
        return None;
    };
    let value: Value = crate::untrusted::yaml::from_str(yaml).ok()?;
    serde_json::from_value(value).ok()
}

fn encode(segment: &str) -> String {
    utf8_percent_encode(segment, SEGMENT).to_string()
}

fn file_name(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_owned()
}

fn with_mime(resource: Resource, path: &str) -> Resource {
    match mime_type(path) {
        Some(mime) => resource.with_mime_type(mime),
        None => resource,
    }
}

/// The media type a file's extension names; `None` when unknown.
fn mime_type(path: &str) -> Option<&'static str> {
    let name = file_name(path).to_ascii_lowercase();
    let (_, extension) = name.rsplit_once('.')?;
    Some(match extension {
        "md" | "markdown" => "text/markdown",
        "txt" | "text" => "text/plain",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "css" => "text/css",
        "js" | "mjs" | "cjs" => "text/javascript",
        "ts" => "text/x-typescript",
        "py" => "text/x-python",
        "rs" => "text/x-rust",
        "sh" | "bash" => "application/x-sh",
        "json" => "application/json",
        "yaml" | "yml" => "application/yaml",
        "toml" => "application/toml",
        "xml" => "application/xml",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        _ => return None,
    })
}

/// Whether a type's bytes may go out as `text` (if UTF-8 without NUL).
fn is_textual(mime: &str) -> bool {
    mime.starts_with("text/")
        || matches!(
            mime,
            "application/json"
                | "application/yaml"
                | "application/toml"
                | "application/xml"
                | "application/x-sh"
                | "image/svg+xml"
        )
}
