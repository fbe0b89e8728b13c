//! One placeholder of seed 002's template syntax, `[!]name[!] operand* [| or
//! : description]`, and the operands that turn an input value into text.
use crate::capability::backslashed;
use crate::untrusted::YamlError;
use percent_encoding::{AsciiSet, utf8_percent_encode};
use serde_json::Value;

/// What a placeholder stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sigil {
    /// `$[…]` or `[[…]]`: a parameter the model fills in.
    Parameter,
    /// `((…))` or `$(…)`: a template parameter; also part of the input.
    Template,
    /// `${…}` or `{{…}}`: a reference resolved by the host, never shown.
    Reference,
}

/// The openers and closers of each sigil, longest first where they share
/// a prefix.
pub const SIGILS: &[(&str, &str, Sigil)] = &[
    ("${", "}", Sigil::Reference),
    ("{{", "}}", Sigil::Reference),
    ("$[", "]", Sigil::Parameter),
    ("[[", "]]", Sigil::Parameter),
    ("$(", ")", Sigil::Template),
    ("((", "))", Sigil::Template),
];

/// A value's type in the input schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    /// Text (the default).
    String,
    /// A number.
    Number,
    /// `true` or `false`.
    Boolean,
}

impl ParamType {
    /// The JSON Schema type name.
    pub fn schema_name(self) -> &'static str {
        match self {
            ParamType::String => "string",
            ParamType::Number => "number",
            ParamType::Boolean => "boolean",
        }
    }
}

/// A text transformation, applied left to right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// URL-encode as one component.
    Euc,
    /// A JSON string literal (only the escaped content when the placeholder
    /// already stands between double quotes).
    Js,
    /// A one-line YAML-safe value: JSON, as `js`.
    Ys,
    /// Parse as JSON and write it back compactly.
    J,
    /// Parse as JSON or YAML and write it back as one-line JSON.
    Y,
    /// In double quotes, with `\` and `"` escaped.
    Dq,
    /// In single quotes, with `\` and `'` escaped.
    Sq,
    /// `\` and `"` escaped, no quotes.
    Edq,
    /// `\` and `'` escaped, no quotes.
    Esq,
    /// Line breaks become spaces.
    Rn,
    /// Leading and trailing white space removed.
    Trim,
}

/// An operand and whether it applies only to a non-empty value (`?op`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// The transformation.
    pub op: Op,
    /// `?op`: skipped for an empty value.
    pub if_present: bool,
}

/// A parsed placeholder.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Its kind.
    pub sigil: Sigil,
    /// The name (for references, e.g. `SECRET_API_KEY`).
    pub name: String,
    /// Marked `!`.
    pub required: bool,
    /// `num`/`bool`; string by default.
    pub kind: ParamType,
    /// `default<…>`.
    pub default: Option<String>,
    /// `enum<a,b>`.
    pub choices: Vec<String>,
    /// `min<n>`: a number's minimum or a string's shortest length.
    pub min: Option<f64>,
    /// `max<n>`.
    pub max: Option<f64>,
    /// `format<x>`, passed to the schema.
    pub format: Option<String>,
    /// Operands in order.
    pub steps: Vec<Step>,
    /// What the model is told.
    pub description: Option<String>,
}

/// Characters left as they are by `euc` (RFC 3986 unreserved); the
/// redactor knows this set, so a secret through `euc` is still found.
const COMPONENT: &AsciiSet = crate::capability::UNRESERVED;

fn closing(open: char) -> Option<char> {
    match open {
        '<' => Some('>'),
        '[' => Some(']'),
        '{' => Some('}'),
        '(' => Some(')'),
        _ => None,
    }
}

/// Splits the inside of a placeholder into its head (name and operands)
/// and its description, at the first `|` or `:` outside an operand's
/// delimiters.
fn split_description(inner: &str) -> (&str, Option<&str>) {
    let mut stack: Vec<char> = Vec::new();
    for (i, c) in inner.char_indices() {
        if let Some(&top) = stack.last()
            && c == top
        {
            stack.pop();
            continue;
        }
        if let Some(close) = closing(c)
            && inner[..i]
                .chars()
                .last()
                .is_some_and(|p| p.is_ascii_alphanumeric())
        {
            stack.push(close);
            continue;
        }
        if stack.is_empty() && (c == '|' || c == ':') {
            return (&inner[..i], Some(inner[i + 1..].trim()));
        }
    }
    (inner, None)
}

/// Splits the head into whitespace-separated words, keeping delimited
/// arguments (`default<a b>`) whole.
fn words(head: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let mut start = None;
    let mut close: Option<char> = None;
    for (i, c) in head.char_indices() {
        if let Some(expected) = close {
            if c == expected {
                close = None;
            }
            continue;
        }
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                out.push(&head[s..i]);
            }
            continue;
        }
        if start.is_none() {
            start = Some(i);
        }
        if start != Some(i)
            && let Some(c) = closing(c)
        {
            close = Some(c);
        }
    }
    if let Some(expected) = close {
        return Err(format!(
            "an operand's argument is missing its closing `{expected}`"
        ));
    }
    if let Some(s) = start {
        out.push(&head[s..]);
    }
    Ok(out)
}

/// `word` as `name<argument>` (any of the four delimiter pairs).
fn with_argument(word: &str) -> Option<(&str, &str)> {
    let open = word.find(['<', '[', '{', '('])?;
    let close = closing(word[open..].chars().next()?)?;
    let argument = word[open + 1..].strip_suffix(close)?;
    Some((&word[..open], argument))
}

fn is_name(name: &str, sigil: Sigil) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let first_ok = first.is_ascii_alphabetic()
        || first == '_'
        || (sigil != Sigil::Reference && matches!(first, '#' | '@' | '$'));
    first_ok && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

impl Field {
    /// Parses the inside of a placeholder.
    pub fn parse(sigil: Sigil, inner: &str) -> Result<Field, String> {
        let (head, description) = split_description(inner);
        let words = words(head)?;
        let Some((&first, operands)) = words.split_first() else {
            return Err("a placeholder needs a name".into());
        };
        let mut name = first;
        let mut required = false;
        if let Some(rest) = name.strip_prefix('!') {
            required = true;
            name = rest;
        }
        if let Some(rest) = name.strip_suffix('!') {
            required = true;
            name = rest;
        }
        if !is_name(name, sigil) {
            return Err(format!(
                "`{name}` is not a valid name: use letters, digits, `_`, `-` and `.`, starting with a letter or `_`"
            ));
        }
        let mut field = Field {
            sigil,
            name: name.to_owned(),
            required,
            kind: ParamType::String,
            default: None,
            choices: Vec::new(),
            min: None,
            max: None,
            format: None,
            steps: Vec::new(),
            description: description.filter(|d| !d.is_empty()).map(str::to_owned),
        };
        for &word in operands {
            // The seed writes the required mark after the operands too:
            // `$[location euc!|…]`.
            let word = match word.strip_suffix('!') {
                Some(rest) if !rest.is_empty() && with_argument(word).is_none() => {
                    field.required = true;
                    rest
                }
                _ => word,
            };
            field.operand(word)?;
        }
        if sigil == Sigil::Reference && (field.default.is_some() || !field.choices.is_empty()) {
            return Err(
                "a reference takes no default or enum: its value comes from the host".into(),
            );
        }
        if let Some(default) = &field.default {
            field.check_value(&field.typed(default)?)?;
        }
        Ok(field)
    }

    fn operand(&mut self, word: &str) -> Result<(), String> {
        if let Some((name, argument)) = with_argument(word) {
            let number = || {
                argument
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| format!("`{name}<…>` takes a number, not `{argument}`"))
            };
            match name {
                "default" => self.default = Some(argument.to_owned()),
                "enum" => {
                    self.choices = argument
                        .split(',')
                        .map(|c| c.trim().to_owned())
                        .filter(|c| !c.is_empty())
                        .collect();
                    if self.choices.is_empty() {
                        return Err("`enum<…>` needs at least one value".into());
                    }
                }
                "min" => self.min = Some(number()?),
                "max" => self.max = Some(number()?),
                "format" => self.format = Some(argument.to_owned()),
                other => {
                    return Err(format!(
                        "unknown operand `{other}<…>`; supported: default<…>, enum<…>, min<…>, max<…>, format<…>"
                    ));
                }
            }
            return Ok(());
        }
        let (if_present, op) = match word.strip_prefix('?') {
            Some(rest) => (true, rest),
            None => (false, word),
        };
        let op = match op {
            "num" | "number" => {
                self.kind = ParamType::Number;
                return Ok(());
            }
            "bool" | "boolean" => {
                self.kind = ParamType::Boolean;
                return Ok(());
            }
            "str" | "string" => {
                self.kind = ParamType::String;
                return Ok(());
            }
            "euc" => Op::Euc,
            "js" => Op::Js,
            "ys" => Op::Ys,
            "j" => Op::J,
            "y" => Op::Y,
            "dq" => Op::Dq,
            "sq" => Op::Sq,
            "edq" => Op::Edq,
            "esq" => Op::Esq,
            "rn" => Op::Rn,
            "trim" => Op::Trim,
            other => {
                return Err(format!(
                    "unknown operand `{other}`; supported: num, bool, euc, js, ys, j, y, dq, sq, edq, esq, rn, trim (each may start with `?`), default<…>, enum<…>, min<…>, max<…>, format<…>"
                ));
            }
        };
        self.steps.push(Step { op, if_present });
        Ok(())
    }

    /// Whether the model never sees it (names starting `_ # @ $`).
    pub fn hidden(&self) -> bool {
        self.name.starts_with(['_', '#', '@', '$'])
    }

    /// Text from the template (a default, an enum choice) as this field's type.
    pub fn typed(&self, text: &str) -> Result<Value, String> {
        match self.kind {
            ParamType::String => Ok(Value::String(text.to_owned())),
            ParamType::Number => text
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(|n| {
                    if n.fract() == 0.0 && n.abs() < 9e15 {
                        Some(Value::from(n as i64))
                    } else {
                        serde_json::Number::from_f64(n).map(Value::Number)
                    }
                })
                .ok_or_else(|| format!("`{text}` is not a number")),
            ParamType::Boolean => match text.trim() {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err(format!("`{text}` is not true or false")),
            },
        }
    }

    fn check_value(&self, value: &Value) -> Result<(), String> {
        if !self.choices.is_empty() {
            let choices: Vec<Value> = self
                .choices
                .iter()
                .map(|c| self.typed(c))
                .collect::<Result<_, _>>()?;
            if !choices.contains(value) {
                return Err(format!(
                    "the default {value} is not one of the enum's values"
                ));
            }
        }
        Ok(())
    }

    /// The field's part of the input schema.
    pub fn schema(&self) -> Value {
        let mut s = serde_json::Map::new();
        s.insert("type".into(), self.kind.schema_name().into());
        if let Some(d) = &self.description {
            s.insert("description".into(), d.clone().into());
        }
        if let Some(default) = self.default_value() {
            s.insert("default".into(), default);
        }
        if !self.choices.is_empty() {
            let choices: Vec<Value> = self
                .choices
                .iter()
                .filter_map(|c| self.typed(c).ok())
                .collect();
            s.insert("enum".into(), choices.into());
        }
        let (low, high) = match self.kind {
            ParamType::Number => ("minimum", "maximum"),
            _ => ("minLength", "maxLength"),
        };
        if let Some(min) = self.min {
            s.insert(low.into(), number(min, self.kind));
        }
        if let Some(max) = self.max {
            s.insert(high.into(), number(max, self.kind));
        }
        if let Some(f) = &self.format {
            s.insert("format".into(), f.clone().into());
        }
        Value::Object(s)
    }

    /// The value used when the input leaves it out: the default, or a
    /// required enum's first value.
    pub fn default_value(&self) -> Option<Value> {
        match (&self.default, self.choices.first()) {
            (Some(d), _) => self.typed(d).ok(),
            (None, Some(first)) if self.required => self.typed(first).ok(),
            _ => None,
        }
    }

    /// Whether the input must name it.
    pub fn must_be_given(&self) -> bool {
        self.required && self.default_value().is_none()
    }

    /// `value` as text, through the operands. `quoted`: the placeholder
    /// stands between double quotes in the template.
    pub fn render(&self, value: &Value, quoted: bool) -> Result<String, String> {
        let mut current = value.clone();
        for step in &self.steps {
            let text = as_text(&current);
            if step.if_present && text.is_empty() {
                continue;
            }
            current = match step.op {
                Op::Euc => Value::String(utf8_percent_encode(&text, COMPONENT).to_string()),
                Op::Js | Op::Ys => {
                    let literal = serde_json::to_string(&current).expect("JSON");
                    match (&current, quoted) {
                        (Value::String(_), true) => {
                            Value::String(literal[1..literal.len() - 1].to_owned())
                        }
                        _ => Value::String(literal),
                    }
                }
                Op::J => {
                    let parsed: Value = serde_json::from_str(&text)
                        .map_err(|e| format!("is not valid JSON ({e})"))?;
                    Value::String(parsed.to_string())
                }
                Op::Y => {
                    let parsed: Value = match crate::untrusted::yaml::from_str(&text) {
                        Ok(parsed) => parsed,
                        Err(e @ YamlError::Syntax(_)) => {
                            return Err(format!("is not valid JSON or YAML ({e})"));
                        }
                        Err(limit) => return Err(format!("is refused as YAML: {limit}")),
                    };
                    Value::String(parsed.to_string())
                }
                Op::Dq => Value::String(format!("\"{}\"", backslashed(&text, '"'))),
                Op::Sq => Value::String(format!("'{}'", backslashed(&text, '\''))),
                Op::Edq => Value::String(backslashed(&text, '"')),
                Op::Esq => Value::String(backslashed(&text, '\'')),
                Op::Rn => Value::String(text.replace("\r\n", " ").replace(['\n', '\r'], " ")),
                Op::Trim => Value::String(text.trim().to_owned()),
            };
        }
        Ok(as_text(&current))
    }
}

fn number(n: f64, kind: ParamType) -> Value {
    if kind != ParamType::Number || n.fract() == 0.0 {
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

/// A value as substituted text: strings as they are, anything else as JSON.
pub fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(inner: &str) -> Field {
        Field::parse(Sigil::Parameter, inner).unwrap()
    }

    #[test]
    fn names_marks_operands_and_descriptions() {
        let f = field("location euc!|the city name");
        assert_eq!(f.name, "location");
        assert!(f.required);
        assert_eq!(
            f.steps,
            vec![Step {
                op: Op::Euc,
                if_present: false
            }]
        );
        assert_eq!(f.description.as_deref(), Some("the city name"));
        let f = field("!units enum<metric, imperial> : which units");
        assert!(f.required && !f.must_be_given());
        assert_eq!(f.default_value(), Some(json!("metric")));
        let f = field("limit num default<10> min<1> max<50>|how many");
        assert_eq!(
            f.schema(),
            json!({"type": "number", "description": "how many", "default": 10, "minimum": 1, "maximum": 50})
        );
        let f = field("url default<https://x.test/a:b> | a URL with colons");
        assert_eq!(f.default.as_deref(), Some("https://x.test/a:b"));
        assert_eq!(f.description.as_deref(), Some("a URL with colons"));
        let f = field("q default[two words]");
        assert_eq!(f.default.as_deref(), Some("two words"));
    }

    #[test]
    fn bad_fields_say_what_is_wrong() {
        for (inner, needle) in [
            ("", "needs a name"),
            ("9lives", "not a valid name"),
            ("q shout", "unknown operand `shout`"),
            ("q sanitize<[a-z]>", "unknown operand `sanitize<…>`"),
            ("n num default<ten>", "not a number"),
            ("u enum<a,b> default<c>", "not one of"),
            ("q default<open", "closing `>`"),
        ] {
            let err = Field::parse(Sigil::Parameter, inner).unwrap_err();
            assert!(err.contains(needle), "{inner}: {err}");
        }
    }

    #[test]
    fn operands_apply_left_to_right() {
        let cases = [
            ("q euc", json!("a b/c&d"), false, "a%20b%2Fc%26d"),
            ("q js", json!("say \"hi\"\n"), false, r#""say \"hi\"\n""#),
            ("q js", json!("say \"hi\""), true, r#"say \"hi\""#),
            ("q ys", json!("a: b"), false, r#""a: b""#),
            ("n num js", json!(5), false, "5"),
            ("q j", json!("{ \"a\" : 1 }"), false, r#"{"a":1}"#),
            ("q y", json!("a: 1"), false, r#"{"a":1}"#),
            ("q dq", json!(r#"x"y\z"#), false, r#""x\"y\\z""#),
            ("q sq", json!("it's"), false, r"'it\'s'"),
            ("q edq", json!("a\"b"), false, r#"a\"b"#),
            ("q esq", json!("a'b"), false, r"a\'b"),
            ("q rn", json!("a\r\nb\nc"), false, "a b c"),
            ("q trim euc", json!("  a b  "), false, "a%20b"),
            ("q ?dq", json!(""), false, ""),
            ("q ?dq", json!("x"), false, "\"x\""),
            ("b bool", json!(true), false, "true"),
        ];
        for (inner, value, quoted, expected) in cases {
            assert_eq!(
                field(inner).render(&value, quoted).unwrap(),
                expected,
                "{inner}"
            );
        }
        assert!(
            field("q j")
                .render(&json!("{nope"), false)
                .unwrap_err()
                .contains("not valid JSON")
        );
    }
}
