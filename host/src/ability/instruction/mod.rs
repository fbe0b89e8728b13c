//! Instruction abilities in seed 002's syntax: one ```` ```fetch ```` block
//! with placeholders, and free guidance around it. Parsed when the ability
//! is written; what cannot run is refused with its line and column.
//!
//! The rule that keeps templates safe: the scheme, host and port of the
//! fetch URL are literal text. A placeholder can change the path, query,
//! headers and body, never where the request (or a secret in it) goes.
//! That origin and the secrets the template names are the ability's
//! declaration, approved by an admin like a component's.
pub mod execute;
mod fetch;
mod field;

pub use fetch::{FetchRequest, RenderError};
pub use field::{Field, ParamType, Sigil};

use crate::capability::NetworkPattern;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// Actions the host runs; the seed's others (search, email, bot, …) have no
/// meaning here.
pub const SUPPORTED_ACTIONS: &[&str] = &["fetch"];

/// A template that cannot run, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct InstructionError {
    /// 1-based line in the instruction.
    pub line: usize,
    /// 1-based column (characters).
    pub column: usize,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// One piece of the action block's body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Segment {
    /// Literal text.
    Text(String),
    /// A placeholder.
    Field {
        /// What it says.
        field: Field,
        /// Stands between double quotes in the template.
        quoted: bool,
        /// Stands where a line break would change the request's structure
        /// (a URL, a header, any YAML value).
        line_sensitive: bool,
        /// Byte offset of its opener in the instruction.
        at: usize,
    },
}

/// How the block writes its request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchForm {
    /// A URL alone: GET.
    Bare,
    /// `METHOD URL`, header lines, a blank line, a body.
    Raw,
    /// YAML: `method`, `url`, `path`, `query`, `headers`, `authorization`, `body`.
    Yaml,
}

/// A parsed instruction.
#[derive(Debug, Clone, PartialEq)]
pub struct Instruction {
    /// Text outside the action block, shown to agents in the manual.
    pub guidance: String,
    /// The block's form.
    pub form: FetchForm,
    /// The block's options (`fetch/key=value`).
    pub options: Map<String, Value>,
    pub(crate) body: Vec<Segment>,
    /// The literal origin every request goes to.
    pub origin: NetworkPattern,
    /// The secrets named, by reference (`API_KEY` for `${SECRET_API_KEY}`,
    /// `DEFAULT` for the ability's own `secretId`).
    pub secrets: BTreeSet<String>,
}

/// Line and column of byte `offset` in `text`.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

fn error_at(text: &str, offset: usize, message: impl Into<String>) -> InstructionError {
    let (line, column) = position(text, offset);
    InstructionError {
        line,
        column,
        message: message.into(),
    }
}

/// A fenced block found in the instruction.
struct Block<'a> {
    info: &'a str,
    info_at: usize,
    body: &'a str,
    body_at: usize,
}

/// Top-level fenced blocks (``` or ~~~, three or more) and the text around
/// them.
fn blocks(text: &str) -> Result<(Vec<Block<'_>>, String), InstructionError> {
    let mut found = Vec::new();
    let mut guidance = String::new();
    let mut offset = 0;
    let mut open: Option<(String, &str, usize, usize)> = None;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim_end_matches(['\n', '\r']);
        match &open {
            None => {
                let fence: String = trimmed
                    .chars()
                    .take_while(|c| *c == '`' || *c == '~')
                    .collect();
                if fence.len() >= 3 && fence.chars().all(|c| c == fence.chars().next().unwrap()) {
                    let info = &trimmed[fence.len()..];
                    let info_at = start + fence.len();
                    open = Some((fence, info.trim(), info_at, offset));
                } else {
                    guidance.push_str(line);
                }
            }
            Some((fence, info, info_at, body_at)) => {
                if trimmed.trim_end() == fence.as_str()
                    || (trimmed.starts_with(fence.as_str())
                        && trimmed
                            .trim_end()
                            .chars()
                            .all(|c| c == fence.chars().next().unwrap()))
                {
                    found.push(Block {
                        info,
                        info_at: *info_at,
                        body: &text[*body_at..start],
                        body_at: *body_at,
                    });
                    open = None;
                }
            }
        }
    }
    if let Some((fence, _, info_at, _)) = open {
        return Err(error_at(
            text,
            info_at - fence.len(),
            format!("this block is never closed: end it with a line `{fence}`"),
        ));
    }
    Ok((found, guidance.trim().to_owned()))
}

/// `fetch/key=value/flag` → the action and its options.
fn info_options(info: &str) -> (String, Map<String, Value>) {
    let mut parts = info.split('/');
    let action = parts.next().unwrap_or("").trim().to_owned();
    let mut options = Map::new();
    for part in parts {
        let (key, value) = part.split_once('=').unwrap_or((part, ""));
        let value = value.replace("%2F", "/").replace("%2f", "/");
        let typed = if let Ok(n) = value.parse::<i64>() {
            Value::from(n)
        } else if let Ok(b) = value.parse::<bool>() {
            Value::from(b)
        } else {
            Value::from(value)
        };
        options.insert(key.trim().to_owned(), typed);
    }
    (action, options)
}

/// Splits a block body into text and placeholders, with the skeleton of
/// the body.
fn segments(
    text: &str,
    body: &str,
    body_at: usize,
) -> Result<(Vec<Segment>, Skeleton), InstructionError> {
    let mut out = Vec::new();
    let mut skeleton = Skeleton {
        text: String::new(),
        starts: Vec::new(),
    };
    let mut literal = String::new();
    let mut literal_at = body_at;
    let mut i = 0;
    let flush = |literal: &mut String,
                 literal_at: usize,
                 out: &mut Vec<Segment>,
                 skeleton: &mut Skeleton| {
        if !literal.is_empty() {
            skeleton.starts.push((skeleton.text.len(), literal_at));
            skeleton.text.push_str(literal);
            out.push(Segment::Text(std::mem::take(literal)));
        }
    };
    while i < body.len() {
        let rest = &body[i..];
        let Some(&(open, close, sigil)) =
            field::SIGILS.iter().find(|(o, _, _)| rest.starts_with(o))
        else {
            let c = rest.chars().next().expect("not at the end");
            if literal.is_empty() {
                literal_at = body_at + i;
            }
            literal.push(c);
            i += c.len_utf8();
            continue;
        };
        let inner_start = i + open.len();
        let end = find_close(&body[inner_start..], close).ok_or_else(|| {
            error_at(
                text,
                body_at + i,
                format!("`{open}` is never closed with `{close}` on the same line"),
            )
        })?;
        let inner = &body[inner_start..inner_start + end];
        let field = Field::parse(sigil, inner).map_err(|m| error_at(text, body_at + i, m))?;
        let quoted =
            body[..i].ends_with('"') && body[inner_start + end + close.len()..].starts_with('"');
        flush(&mut literal, literal_at, &mut out, &mut skeleton);
        skeleton.starts.push((skeleton.text.len(), body_at + i));
        skeleton.text.push('\0');
        out.push(Segment::Field {
            field,
            quoted,
            line_sensitive: false,
            at: body_at + i,
        });
        i = inner_start + end + close.len();
    }
    flush(&mut literal, literal_at, &mut out, &mut skeleton);
    Ok((out, skeleton))
}

/// Where `close` ends a placeholder, skipping operand arguments such as
/// `default<…>` or `default[…]` that may contain it.
fn find_close(inner: &str, close: &str) -> Option<usize> {
    let mut expect: Vec<char> = Vec::new();
    let mut previous: Option<char> = None;
    let mut description = false;
    for (i, c) in inner.char_indices() {
        if expect.is_empty() && inner[i..].starts_with(close) {
            return Some(i);
        }
        if c == '\n' {
            return None;
        }
        if !description {
            if let Some(&top) = expect.last()
                && c == top
            {
                expect.pop();
            } else if let Some(pair) = match c {
                '<' => Some('>'),
                '[' => Some(']'),
                '{' => Some('}'),
                '(' => Some(')'),
                _ => None,
            } && previous.is_some_and(|p| p.is_ascii_alphanumeric())
            {
                expect.push(pair);
            } else if expect.is_empty() && (c == '|' || c == ':') {
                description = true;
            }
        }
        previous = Some(c);
    }
    None
}

/// The literal text of the body with each placeholder as one `\0`, for
/// form detection and the origin check, and where each of its bytes was in
/// the instruction.
struct Skeleton {
    text: String,
    /// (skeleton offset, instruction offset) where each segment starts.
    starts: Vec<(usize, usize)>,
}

impl Skeleton {
    /// The instruction offset of skeleton offset `s`.
    fn offset(&self, s: usize) -> usize {
        match self.starts.iter().rev().find(|(start, _)| *start <= s) {
            Some((start, at)) => at + (s - start),
            None => s,
        }
    }
}

const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

impl Instruction {
    /// Parses an instruction; every problem names its line and column.
    pub fn parse(text: &str) -> Result<Instruction, InstructionError> {
        let (found, guidance) = blocks(text)?;
        let supported = SUPPORTED_ACTIONS.join(", ");
        let mut action_blocks = found.into_iter().filter(|b| !b.info.is_empty());
        let Some(block) = action_blocks.next() else {
            return Err(InstructionError {
                line: 1,
                column: 1,
                message: format!(
                    "an instruction needs one action block such as ```fetch … ```; supported actions: {supported}"
                ),
            });
        };
        if let Some(second) = action_blocks.next() {
            return Err(error_at(
                text,
                second.info_at,
                "one action block per ability: split the others into abilities of their own",
            ));
        }
        let (action, options) = info_options(block.info);
        if !SUPPORTED_ACTIONS.contains(&action.as_str()) {
            return Err(error_at(
                text,
                block.info_at,
                format!(
                    "the action `{action}` has no meaning on this host; supported actions: {supported}"
                ),
            ));
        }
        let (mut body, skeleton) = segments(text, block.body, block.body_at)?;
        let first_line = skeleton
            .text
            .trim_start()
            .lines()
            .next()
            .unwrap_or("")
            .trim();
        let form = if first_line.is_empty() {
            return Err(error_at(
                text,
                block.body_at,
                "the fetch block is empty: give a URL",
            ));
        } else if first_line.contains("://") && !first_line.contains(char::is_whitespace) {
            FetchForm::Bare
        } else if first_line
            .split_once(' ')
            .is_some_and(|(m, _)| METHODS.contains(&m))
        {
            FetchForm::Raw
        } else {
            FetchForm::Yaml
        };
        mark_line_sensitive(&mut body, form);
        let origin = literal_origin(text, block.body_at, &skeleton, form)?;
        let mut secrets = BTreeSet::new();
        let mut names = std::collections::BTreeMap::new();
        for segment in &body {
            match segment {
                Segment::Text(_) => {}
                &Segment::Field {
                    ref field,
                    at: offset,
                    ..
                } => {
                    if field.sigil == Sigil::Reference {
                        let Some(name) =
                            field.name.strip_prefix("SECRET_").filter(|n| !n.is_empty())
                        else {
                            return Err(error_at(
                                text,
                                offset,
                                format!(
                                    "unknown reference `{}`: references are ${{SECRET_NAME}} (a tenant secret) or ${{SECRET_DEFAULT}} (the ability's secretId)",
                                    field.name
                                ),
                            ));
                        };
                        secrets.insert(name.to_owned());
                    } else if let Some(previous) = names.insert(field.name.clone(), field.clone())
                        && (previous.kind != field.kind
                            || (previous.default.is_some()
                                && field.default.is_some()
                                && previous.default != field.default))
                    {
                        return Err(error_at(
                            text,
                            offset,
                            format!(
                                "parameter `{}` is used twice with different types or defaults",
                                field.name
                            ),
                        ));
                    }
                    if field.hidden()
                        && field.sigil != Sigil::Reference
                        && field.default_value().is_none()
                    {
                        return Err(error_at(
                            text,
                            offset,
                            format!(
                                "`{}` is hidden from the model (its name starts with `_ # @ $`), so it needs a default<…>",
                                field.name
                            ),
                        ));
                    }
                }
            }
        }
        Ok(Instruction {
            guidance,
            form,
            options,
            body,
            origin,
            secrets,
        })
    }

    /// The parameters, once each, in order of first use (merged: required
    /// if any use says so, the first description and default).
    pub fn parameters(&self) -> Vec<Field> {
        let mut out: Vec<Field> = Vec::new();
        for segment in &self.body {
            let Segment::Field { field, .. } = segment else {
                continue;
            };
            if field.sigil == Sigil::Reference {
                continue;
            }
            match out.iter_mut().find(|f| f.name == field.name) {
                Some(known) => {
                    known.required |= field.required;
                    if known.description.is_none() {
                        known.description = field.description.clone();
                    }
                    if known.default.is_none() {
                        known.default = field.default.clone();
                    }
                    if known.choices.is_empty() {
                        known.choices = field.choices.clone();
                    }
                }
                None => out.push(field.clone()),
            }
        }
        out
    }

    /// The input JSON Schema: every visible parameter, nothing else.
    pub fn input_schema(&self) -> Value {
        let mut properties = Map::new();
        let mut required = Vec::new();
        for p in self.parameters().iter().filter(|p| !p.hidden()) {
            properties.insert(p.name.clone(), p.schema());
            if p.must_be_given() {
                required.push(Value::String(p.name.clone()));
            }
        }
        serde_json::json!({
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": false,
        })
    }
}

/// Marks the placeholders where a line break would change the request's
/// structure: in a bare URL, the raw form's request line and headers, and
/// anywhere in YAML.
fn mark_line_sensitive(body: &mut [Segment], form: FetchForm) {
    let mut seen = String::new();
    for segment in body.iter_mut() {
        match segment {
            Segment::Text(t) => seen.push_str(t),
            Segment::Field { line_sensitive, .. } => {
                *line_sensitive = match form {
                    FetchForm::Bare | FetchForm::Yaml => true,
                    FetchForm::Raw => {
                        let head = seen.trim_start_matches(['\n', '\r']);
                        !head.contains("\n\n") && !head.contains("\r\n\r\n")
                    }
                };
                seen.push('\0');
            }
        }
    }
}

/// Finds the fetch URL in the template and checks that its scheme, host
/// and port are literal; returns that origin.
fn literal_origin(
    text: &str,
    body_at: usize,
    skel: &Skeleton,
    form: FetchForm,
) -> Result<NetworkPattern, InstructionError> {
    let skeleton = skel.text.as_str();
    let (url_start, url_line) = match form {
        FetchForm::Bare => {
            let start = skeleton.len() - skeleton.trim_start().len();
            (start, skeleton[start..].lines().next().unwrap_or(""))
        }
        FetchForm::Raw => {
            let start = skeleton.len() - skeleton.trim_start().len();
            let line = skeleton[start..].lines().next().unwrap_or("");
            let (method, rest) = line.split_once(' ').unwrap_or((line, ""));
            let rest_trimmed = rest.trim_start();
            let at = start + method.len() + 1 + (rest.len() - rest_trimmed.len());
            (at, rest_trimmed.split(' ').next().unwrap_or(""))
        }
        FetchForm::Yaml => {
            let mut found = None;
            let mut offset = 0;
            for line in skeleton.split_inclusive('\n') {
                if let Some(value) = line.strip_prefix("url:") {
                    let trimmed = value.trim_start();
                    let at = offset + 4 + (value.len() - trimmed.len());
                    let trimmed = trimmed.trim_end().trim_matches(|c| c == '"' || c == '\'');
                    let quote = usize::from(value.trim_start().starts_with(['"', '\'']));
                    found = Some((at + quote, trimmed));
                    break;
                }
                offset += line.len();
            }
            found.ok_or_else(|| {
                error_at(
                    text,
                    body_at,
                    "the fetch block has no URL: write a URL alone, `METHOD URL` with headers and a body, or YAML with `url:`",
                )
            })?
        }
    };
    let at = |i: usize| skel.offset(url_start + i);
    let Some(after_scheme) = url_line.find("://") else {
        let problem = if url_line.contains('\0') {
            "the URL's scheme, host and port must be literal text, not a parameter or reference"
        } else {
            "the URL must be absolute: http:// or https:// and a host"
        };
        return Err(error_at(text, at(0), problem));
    };
    let authority_end = url_line[after_scheme + 3..]
        .find(['/', '?', '#'])
        .map(|i| after_scheme + 3 + i)
        .unwrap_or(url_line.len());
    let origin = &url_line[..authority_end];
    if let Some(i) = origin.find('\0') {
        return Err(error_at(
            text,
            at(i),
            "the URL's scheme, host and port must be literal text: a parameter or reference here could send the request (and its secrets) anywhere",
        ));
    }
    let parsed = url::Url::parse(origin).map_err(|e| {
        error_at(
            text,
            at(0),
            format!("`{origin}` is not a valid URL origin ({e})"),
        )
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(error_at(
            text,
            at(0),
            "the URL's scheme must be http or https",
        ));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(error_at(
            text,
            at(0),
            "credentials do not belong in the URL: reference a secret in a header",
        ));
    }
    let host = parsed.host_str().unwrap_or_default();
    let port = parsed.port_or_known_default().unwrap_or(0);
    NetworkPattern::parse(&format!("{}://{host}:{port}", parsed.scheme()))
        .map_err(|e| error_at(text, at(0), format!("`{origin}`: {e}")))
}

#[cfg(test)]
mod tests;
