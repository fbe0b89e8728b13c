//! Text utilities: pure functions of their input, no capabilities.
use serde::{Deserialize, Serialize};
use skillhost_sdk::{Error, Json, JsonSchema};

/// Input of `word_count`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Text {
    /// The text to analyse.
    pub text: String,
}

/// Counts returned by `word_count`.
#[derive(Serialize)]
pub struct Counts {
    pub words: usize,
    pub lines: usize,
    pub characters: usize,
    pub bytes: usize,
}

/// Input of `json_query`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonQuery {
    /// The JSON document to query.
    pub document: serde_json::Value,
    /// An RFC 6901 JSON Pointer, e.g. `/items/0/name`; empty selects the whole document.
    pub pointer: String,
}

/// Input of `regex_extract`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegexExtract {
    /// The text to search.
    pub text: String,
    /// A regular expression (Rust `regex` syntax).
    pub pattern: String,
    /// Which capture group to return for each match; 0 is the whole match.
    #[serde(default)]
    pub group: usize,
    /// The most matches to return.
    #[serde(default = "default_limit")]
    pub limit: usize,
}

fn default_limit() -> usize {
    100
}

#[skillhost_sdk::skill]
mod abilities {
    use super::*;

    /// Counts the words, lines, characters and bytes of a text.
    pub fn word_count(input: Text) -> Json<Counts> {
        Json(Counts {
            words: input.text.split_whitespace().count(),
            lines: input.text.lines().count(),
            characters: input.text.chars().count(),
            bytes: input.text.len(),
        })
    }

    /// Turns a text into a URL slug: lowercase ASCII letters and digits joined by single hyphens.
    pub fn slugify(input: Text) -> String {
        let mut slug = String::with_capacity(input.text.len());
        for c in input.text.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        }
        while slug.ends_with('-') {
            slug.pop();
        }
        slug
    }

    /// Returns the part of a JSON document that a JSON Pointer (RFC 6901) selects.
    pub fn json_query(input: JsonQuery) -> Result<serde_json::Value, Error> {
        if !input.pointer.is_empty() && !input.pointer.starts_with('/') {
            return Err(Error::invalid_input(
                "a JSON Pointer is empty or starts with `/`",
            ));
        }
        input
            .document
            .pointer(&input.pointer)
            .cloned()
            .ok_or_else(|| {
                Error::invalid_input(format!("nothing at `{}` in the document", input.pointer))
            })
    }

    /// Extracts the matches of a regular expression from a text, as a JSON array of strings.
    pub fn regex_extract(input: RegexExtract) -> Result<Json<Vec<String>>, Error> {
        let re = regex::Regex::new(&input.pattern)
            .map_err(|e| Error::invalid_input(format!("bad pattern: {e}")))?;
        if input.group >= re.captures_len() {
            return Err(Error::invalid_input(format!(
                "the pattern has {} groups; group {} does not exist",
                re.captures_len() - 1,
                input.group
            )));
        }
        Ok(Json(
            re.captures_iter(&input.text)
                .filter_map(|c| c.get(input.group).map(|m| m.as_str().to_owned()))
                .take(input.limit)
                .collect(),
        ))
    }
}
