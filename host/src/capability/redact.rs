//! Output redaction: every secret value the host released or injected during
//! a call is replaced by `[secret:NAME]` in what leaves the host, in the
//! forms a skill is likely to echo it in: as is, base64 (standard and URL
//! alphabets, with and without padding), URL-encoded, and JSON-escaped.
use aho_corasick::{AhoCorasick, MatchKind};
use base64::Engine as _;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

/// Values shorter than this are not redacted: replacing every `a` or `42`
/// in an answer would destroy it and protect nothing. Secret creation
/// refuses shorter values for that reason.
pub const MIN_REDACTED_LEN: usize = 4;

/// Replaces known secret values in text. Built once per call.
#[derive(Default)]
pub struct Redactor {
    matcher: Option<AhoCorasick>,
    replacements: Vec<String>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor")
            .field("patterns", &self.replacements.len())
            .finish()
    }
}

impl Redactor {
    /// A redactor for `(name, value)` pairs.
    pub fn new<'a>(secrets: impl IntoIterator<Item = (&'a str, &'a str)>) -> Redactor {
        let mut patterns: Vec<String> = Vec::new();
        let mut replacements = Vec::new();
        for (name, value) in secrets {
            if value.len() < MIN_REDACTED_LEN {
                continue;
            }
            let b64 = [
                base64::engine::general_purpose::STANDARD.encode(value),
                base64::engine::general_purpose::STANDARD_NO_PAD.encode(value),
                base64::engine::general_purpose::URL_SAFE.encode(value),
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value),
            ];
            let json = serde_json::to_string(value).expect("a string serialises");
            let forms = [
                value.to_owned(),
                utf8_percent_encode(value, NON_ALPHANUMERIC).to_string(),
                json[1..json.len() - 1].to_owned(),
            ]
            .into_iter()
            .chain(b64);
            for form in forms {
                if !patterns.contains(&form) {
                    patterns.push(form);
                    replacements.push(format!("[secret:{name}]"));
                }
            }
        }
        if patterns.is_empty() {
            return Redactor::default();
        }
        // Leftmost-longest: the padded base64 form wins over its unpadded
        // prefix, a value over a shorter value it contains.
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .expect("literal patterns build");
        Redactor {
            matcher: Some(matcher),
            replacements,
        }
    }

    /// Whether there is nothing to redact.
    pub fn is_empty(&self) -> bool {
        self.matcher.is_none()
    }

    /// `text` with every known form of every secret replaced.
    pub fn text(&self, text: &str) -> String {
        match &self.matcher {
            Some(m) if m.is_match(text) => m.replace_all(text, &self.replacements),
            _ => text.to_owned(),
        }
    }

    /// Redacts in place, only allocating when a secret is present.
    pub fn in_place(&self, text: &mut String) {
        if let Some(m) = &self.matcher
            && m.is_match(text.as_str())
        {
            *text = m.replace_all(text, &self.replacements);
        }
    }

    /// Redacts every string (and object key) of a JSON value.
    pub fn json(&self, value: &mut Value) {
        if self.is_empty() {
            return;
        }
        match value {
            Value::String(s) => self.in_place(s),
            Value::Array(items) => items.iter_mut().for_each(|v| self.json(v)),
            Value::Object(map) => {
                let entries = std::mem::take(map);
                for (key, mut v) in entries {
                    self.json(&mut v);
                    map.insert(self.text(&key), v);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_a_secret_is_replaced_by_its_name() {
        let r = Redactor::new([("API_KEY", "s3cr3t/+value?"), ("SHORT", "ab")]);
        let b64 = base64::engine::general_purpose::STANDARD.encode("s3cr3t/+value?");
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("s3cr3t/+value?");
        let text =
            format!("raw s3cr3t/+value? b64 {b64} url {url} pct s3cr3t%2F%2Bvalue%3F ab stays");
        assert_eq!(
            r.text(&text),
            "raw [secret:API_KEY] b64 [secret:API_KEY] url [secret:API_KEY] pct [secret:API_KEY] ab stays"
        );
    }

    #[test]
    fn json_strings_and_keys_are_redacted_and_escaped_forms_found() {
        let r = Redactor::new([("TOKEN", "quote\"inside")]);
        let mut v = serde_json::json!({"a": ["x quote\"inside y"], "quote\"inside": 1, "n": 3});
        r.json(&mut v);
        assert_eq!(
            v,
            serde_json::json!({"a": ["x [secret:TOKEN] y"], "[secret:TOKEN]": 1, "n": 3})
        );
        assert_eq!(
            r.text(r#"{"k":"quote\"inside"}"#),
            r#"{"k":"[secret:TOKEN]"}"#
        );
    }

    #[test]
    fn nothing_to_redact_leaves_text_alone() {
        let r = Redactor::new([]);
        assert!(r.is_empty());
        assert_eq!(r.text("anything"), "anything");
    }
}
