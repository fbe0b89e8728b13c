//! Output redaction: every secret value the host released or injected during
//! a call is replaced by `[secret:NAME]` in what leaves the host, in every
//! form the host itself encodes a value in, and the forms an upstream or a
//! skill is likely to echo it back in: as is; percent-encoded with each set
//! the host uses (either hex case, `+` for space); base64 (standard and URL
//! alphabets, with and without padding); backslash-escaped as instruction
//! operands do; and each of those as a JSON string, however the encoder
//! escapes (`\/`, a `\u` escape of four hex digits for control and non-ASCII
//! characters, either hex case).
use aho_corasick::{AhoCorasick, MatchKind};
use base64::Engine as _;
use percent_encoding::{AsciiSet, CONTROLS, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;
use std::collections::HashSet;

/// Values shorter than this are not redacted: replacing every `a` or `42`
/// in an answer would destroy it and protect nothing. Secret creation
/// refuses shorter values for that reason.
pub const MIN_REDACTED_LEN: usize = 4;

/// RFC 3986's unreserved characters left as they are: an instruction's
/// `euc` operand and an OpenAPI path segment. Shared with them so the
/// redactor knows every form they produce.
pub const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// An OpenAPI cookie value: what RFC 6265 leaves out of a cookie value,
/// and `%` so the encoding is unambiguous.
pub const COOKIE_VALUE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b',')
    .add(b';')
    .add(b'\\')
    .add(b'%');

/// `application/x-www-form-urlencoded` (the url crate's `form_urlencoded`,
/// and so `query_pairs_mut`): all but `*-._` and alphanumerics; its space
/// is `+`, which every percent form is also tried with.
const FORM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'*')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_');

/// The url crate's sets, applied when a raw value is parsed into a URL
/// (a template without `euc`, a redirect): query, query of a special
/// scheme, path, user info (WHATWG URL).
const URL_QUERY: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'#').add(b'<').add(b'>');
const URL_SPECIAL_QUERY: &AsciiSet = &URL_QUERY.add(b'\'');
const URL_PATH: &AsciiSet = &URL_QUERY.add(b'?').add(b'`').add(b'{').add(b'}');
const URL_USERINFO: &AsciiSet = &URL_PATH
    .add(b'/')
    .add(b':')
    .add(b';')
    .add(b'=')
    .add(b'@')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'|');

/// Every percent-encoding set a value may leave the host in.
const PERCENT_SETS: [&AsciiSet; 7] = [
    NON_ALPHANUMERIC,
    UNRESERVED,
    COOKIE_VALUE,
    FORM,
    URL_QUERY,
    URL_SPECIAL_QUERY,
    URL_PATH,
];

/// The most needles one secret adds: the base forms are the value, 4 per
/// percent set (hex case times `+` for space) for the value, for it
/// without line breaks and for that as a URL path, 4 base64 and 2 backslash escapes; each has at most
/// 16 JSON spellings besides itself. Most collapse: a value of letters and
/// digits has a handful.
const MAX_FORMS_PER_SECRET: usize = (1 + 3 * 4 * (PERCENT_SETS.len() + 1) + 4 + 2) * 17;

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

/// Every spelling of `value` the redactor looks for.
pub(crate) fn forms(value: &str) -> Vec<String> {
    let mut base: Vec<String> = vec![value.to_owned()];
    // A URL parser drops tabs and line breaks before it encodes the rest,
    // and reads `\` in an http(s) path as `/`.
    let in_url: String = value
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let in_path = in_url.replace('\\', "/");
    for text in [value, &in_url, &in_path] {
        for set in PERCENT_SETS.iter().copied().chain([URL_USERINFO]) {
            let upper = utf8_percent_encode(text, set).to_string();
            let lower = lower_hex(&upper);
            for form in [upper, lower] {
                base.push(form.replace("%20", "+"));
                base.push(form);
            }
        }
    }
    for engine in [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::STANDARD_NO_PAD,
        &base64::engine::general_purpose::URL_SAFE,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ] {
        base.push(engine.encode(value));
    }
    // An instruction's `edq` and `esq` operands.
    base.push(backslashed(value, '"'));
    base.push(backslashed(value, '\''));

    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for form in &base {
        let json = (0..16u8).map(|flags| json_escaped(form, JsonStyle::from_bits(flags)));
        for spelling in std::iter::once(form.clone()).chain(json) {
            if spelling.len() >= MIN_REDACTED_LEN && seen.insert(spelling.clone()) {
                out.push(spelling);
            }
        }
    }
    debug_assert!(out.len() <= MAX_FORMS_PER_SECRET);
    out
}

/// `%2F` as `%2f`: some encoders write lower-case hex.
fn lower_hex(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut after_percent = 0;
    for c in encoded.chars() {
        if c == '%' {
            after_percent = 2;
            out.push(c);
        } else if after_percent > 0 {
            after_percent -= 1;
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `text` with `\\` and `quote` backslash-escaped: how an instruction's
/// `dq`/`sq`/`edq`/`esq` operands write a value, and so a form the
/// redactor looks for (one function, so the two cannot drift apart).
pub(crate) fn backslashed(text: &str, quote: char) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '\\' || c == quote {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// How a JSON encoder spells a string: serde_json's way is all false;
/// PHP escapes `/`, Python escapes non-ASCII, some write every control
/// character as a `\u` escape, some in upper-case hex.
#[derive(Clone, Copy)]
struct JsonStyle {
    slash: bool,
    ascii_only: bool,
    controls_as_u: bool,
    upper_hex: bool,
}

impl JsonStyle {
    fn from_bits(bits: u8) -> JsonStyle {
        JsonStyle {
            slash: bits & 1 != 0,
            ascii_only: bits & 2 != 0,
            controls_as_u: bits & 4 != 0,
            upper_hex: bits & 8 != 0,
        }
    }
}

/// The inside of a JSON string holding `text`, in `style`.
fn json_escaped(text: &str, style: JsonStyle) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(text.len() + 8);
    let unit = |out: &mut String, u: u16| {
        if style.upper_hex {
            let _ = write!(out, "\\u{u:04X}");
        } else {
            let _ = write!(out, "\\u{u:04x}");
        }
    };
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if style.slash => out.push_str("\\/"),
            '\n' if !style.controls_as_u => out.push_str("\\n"),
            '\r' if !style.controls_as_u => out.push_str("\\r"),
            '\t' if !style.controls_as_u => out.push_str("\\t"),
            '\u{8}' if !style.controls_as_u => out.push_str("\\b"),
            '\u{c}' if !style.controls_as_u => out.push_str("\\f"),
            c if (c as u32) < 0x20 => unit(&mut out, c as u16),
            c if style.ascii_only && !c.is_ascii() => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    unit(&mut out, *u);
                }
            }
            c => out.push(c),
        }
    }
    out
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
            for form in forms(value) {
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

    /// One secret with a character of every kind an encoder treats
    /// differently, and each spelling the host or an upstream produces.
    #[test]
    fn each_encoding_the_host_applies_and_its_common_variants_are_found() {
        let secret = "k-1.x_~/Zq+Xy== \"q\"\\'é\n";
        let r = Redactor::new([("S", secret)]);
        let b64 = |e: &base64::engine::GeneralPurpose| e.encode(secret);
        use base64::engine::general_purpose as g;
        let url_query = {
            let mut u = url::Url::parse("http://h/").unwrap();
            u.set_query(Some(&format!("k={secret}")));
            u.query().unwrap()[2..].to_owned()
        };
        let url_path = url::Url::parse(&format!("http://h/{secret}"))
            .unwrap()
            .path()[1..]
            .to_owned();
        let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        let spellings = [
            ("raw", secret.to_owned()),
            ("euc", utf8_percent_encode(secret, UNRESERVED).to_string()),
            (
                "all",
                utf8_percent_encode(secret, NON_ALPHANUMERIC).to_string(),
            ),
            (
                "lower hex",
                lower_hex(&utf8_percent_encode(secret, UNRESERVED).to_string()),
            ),
            (
                "cookie",
                utf8_percent_encode(secret, COOKIE_VALUE).to_string(),
            ),
            ("form", form.clone()),
            ("form, lower hex", lower_hex(&form)),
            ("query via url", url_query),
            ("path via url", url_path),
            ("base64", b64(&g::STANDARD)),
            ("base64 no pad", b64(&g::STANDARD_NO_PAD)),
            ("base64 url", b64(&g::URL_SAFE)),
            ("base64 url no pad", b64(&g::URL_SAFE_NO_PAD)),
            (
                "serde_json",
                serde_json::to_string(secret)
                    .unwrap()
                    .trim_matches('"')
                    .to_owned(),
            ),
            (
                "python json",
                r#"k-1.x_~/Zq+Xy== \"q\"\\'\u00e9\n"#.to_owned(),
            ),
            ("php json", r#"k-1.x_~\/Zq+Xy== \"q\"\\'é\n"#.to_owned()),
            (
                "controls as \\u",
                r#"k-1.x_~/Zq+Xy== \"q\"\\'\u00E9\u000A"#.to_owned(),
            ),
            ("edq", r#"k-1.x_~/Zq+Xy== \"q\"\\'é"#.to_owned() + "\n"),
            ("esq", r#"k-1.x_~/Zq+Xy== "q"\\\'é"#.to_owned() + "\n"),
        ];
        for (what, spelling) in spellings {
            assert_eq!(
                r.text(&format!("<{spelling}>")),
                "<[secret:S]>",
                "{what}: {spelling}"
            );
        }
        // The set grows with the secret's special characters, not without
        // bound.
        assert!(forms(secret).len() <= MAX_FORMS_PER_SECRET);
        assert!(
            forms("plainalnum123").len() <= 8,
            "{:?}",
            forms("plainalnum123")
        );
    }

    #[test]
    fn a_form_shorter_than_the_minimum_is_not_a_needle() {
        // Trimming or escaping never yields a needle under the minimum.
        assert!(forms("abcd").iter().all(|f| f.len() >= MIN_REDACTED_LEN));
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
