//! Seed 003's code skills: a skill made from source text and a language
//! (`{name, description, code, language}`), run by that language's
//! interpreter component in the sandbox like a command: array arguments
//! become its argv, any other JSON its stdin, its stdout the output. The
//! request may declare what the code needs with the manifest's names
//! (`network`, `fs_read`, `fs_write`, `env`, `secrets`, `limits`); an
//! admin approves that declaration like any other skill's.
use crate::capability::{Capabilities, GuestPath, LimitRequest, NetworkPattern};
use crate::manifest::{AbilitySpec, Manifest};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The largest source a code skill may have.
pub const MAX_CODE_BYTES: usize = 256 * 1024;

/// The one ability of a code skill.
pub const ABILITY: &str = "run";

/// A language a code skill may be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// CPython, built with componentize-py.
    Python,
    /// SpiderMonkey (StarlingMonkey), built with componentize-js.
    Javascript,
}

impl Language {
    /// Every language, as named in requests.
    pub const ALL: [Language; 2] = [Language::Python, Language::Javascript];

    /// The name in requests and responses.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Python => "python",
            Language::Javascript => "javascript",
        }
    }

    /// The language a request names (`js` and `py` too), or why not.
    pub fn parse(text: &str) -> Result<Language, CodeError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "python" | "py" | "python3" => Ok(Language::Python),
            "javascript" | "js" => Ok(Language::Javascript),
            "typescript" | "ts" => Err(CodeError::unusable(
                "unsupported_language",
                "TypeScript code skills are not supported: send the code as JavaScript (`language: \"javascript\"`), or build a TypeScript skill with `skillhost new NAME --lang ts` and install the component",
            )),
            other => Err(CodeError::unusable(
                "unsupported_language",
                format!(
                    "code skills run in a WebAssembly sandbox, so only languages with an interpreter component are supported: `python` and `javascript`; `{other}` is not one of them{}",
                    if matches!(other, "bash" | "sh" | "shell" | "zsh") {
                        " (a shell needs host processes, which the sandbox does not have; write the script in Python or JavaScript)"
                    } else {
                        ""
                    }
                ),
            )),
        }
    }
}

/// The code and language a code skill runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodeBody {
    /// The language.
    pub language: Language,
    /// The source text.
    pub code: String,
}

/// Seed 003's create body with the optional declaration. The schema says
/// what the manifest's check will accept, so that valid bodies are.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeSpec {
    /// The skill's name: a slug.
    #[schema(max_length = 64, pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$")]
    pub name: String,
    /// What it does.
    #[schema(max_length = 1024, pattern = r"\S")]
    pub description: String,
    /// The source text.
    #[schema(max_length = 262144, pattern = r"\S")]
    pub code: String,
    /// `python` or `javascript` (`py`, `python3` and `js` too, in any case).
    #[schema(
        pattern = r"^\s*([Pp][Yy][Tt][Hh][Oo][Nn]3?|[Pp][Yy]|[Jj][Aa][Vv][Aa][Ss][Cc][Rr][Ii][Pp][Tt]|[Jj][Ss])\s*$"
    )]
    pub language: String,
    /// Optional grouping: a slug.
    #[serde(default)]
    #[schema(pattern = r"^([a-z0-9]+(-[a-z0-9]+)*|\s*)$")]
    pub category: Option<String>,
    /// Destinations for outgoing HTTP (the manifest's `network`).
    #[serde(default)]
    pub network: Vec<NetworkPattern>,
    /// Guest directories mounted read-only.
    #[serde(default)]
    pub fs_read: Vec<GuestPath>,
    /// Guest directories mounted read-write.
    #[serde(default)]
    pub fs_write: Vec<GuestPath>,
    /// Environment variable names.
    #[serde(default)]
    pub env: Vec<String>,
    /// Secret names, read through the host interface.
    #[serde(default)]
    pub secrets: Vec<String>,
    /// Requested limits.
    #[serde(default)]
    pub limits: LimitRequest,
    /// The JSON Schema its input must satisfy; any JSON when absent.
    #[serde(default, alias = "inputSchema")]
    #[schema(value_type = Option<Object>)]
    pub input_schema: Option<Value>,
}

/// The input schema of a code skill that gives none: any JSON, described.
fn any_input() -> Value {
    json!({
        "description": "An array of arguments (the program's argv), or any other JSON value, which the program reads as JSON text on its standard input"
    })
}

/// The manifest the host writes for the code skill `spec` describes, at
/// `version`, and what it runs; the manifest is not yet checked.
pub fn manifest(
    spec: CodeSpec,
    language: Language,
    version: semver::Version,
) -> Result<(Manifest, CodeBody), CodeError> {
    if spec.code.trim().is_empty() {
        return Err(CodeError::invalid("invalid_code", "`code` is empty"));
    }
    if spec.code.len() > MAX_CODE_BYTES {
        return Err(CodeError::invalid(
            "code_too_large",
            format!(
                "`code` is {} bytes; a code skill's source may be at most {MAX_CODE_BYTES} bytes (package a larger program as a skill with `skillhost build`)",
                spec.code.len()
            ),
        ));
    }
    if language == Language::Javascript && !spec.env.is_empty() {
        return Err(CodeError::unusable(
            "unsupported_capability",
            "JavaScript code cannot read environment variables (its runtime has no `process.env`): declare `secrets` and read them with `skillhost.secret(name)`, or pass values as arguments",
        ));
    }
    let input_schema = match spec.input_schema {
        Some(schema) if !schema.is_object() => {
            return Err(CodeError::invalid(
                "invalid_input_schema",
                "`input_schema` must be a JSON Schema object",
            ));
        }
        Some(schema) => schema,
        None => any_input(),
    };
    let manifest = Manifest {
        name: spec.name,
        version,
        abilities: vec![AbilitySpec {
            name: ABILITY.to_owned(),
            description: spec.description.clone(),
            input_schema,
        }],
        description: spec.description,
        category: spec.category.filter(|c| !c.trim().is_empty()),
        capabilities: Capabilities {
            network: spec.network,
            fs_read: spec.fs_read,
            fs_write: spec.fs_write,
            env: spec.env,
            secrets: spec.secrets,
        },
        limits: spec.limits,
    };
    let body = CodeBody {
        language,
        code: spec.code,
    };
    Ok((manifest, body))
}

/// The interpreter's input for one call: the code, and the caller's input
/// as arguments (an array: each string as it is, any other value as JSON
/// text) or as standard input (anything else, as JSON text).
pub fn interpreter_input(body: &CodeBody, input: &Value) -> Value {
    let (argv, stdin) = match input {
        Value::Array(items) => {
            let argv: Vec<String> = items
                .iter()
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            (argv, String::new())
        }
        other => (Vec::new(), other.to_string()),
    };
    json!({ "code": body.code, "argv": argv, "stdin": stdin })
}

/// Why a code skill's request cannot be made into one: a code and a
/// message that says what to fix. `unusable` when the request is well
/// formed but asks for what cannot be (a language, a capability).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct CodeError {
    /// Machine-readable code.
    pub code: &'static str,
    /// What is wrong and how to fix it.
    pub message: String,
    /// Well formed, but not possible here.
    pub unusable: bool,
}

impl CodeError {
    fn invalid(code: &'static str, message: impl Into<String>) -> CodeError {
        CodeError {
            code,
            message: message.into(),
            unusable: false,
        }
    }

    fn unusable(code: &'static str, message: impl Into<String>) -> CodeError {
        CodeError {
            code,
            message: message.into(),
            unusable: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(code: &str) -> CodeSpec {
        serde_json::from_value(json!({
            "name": "echo", "description": "Echoes", "code": code, "language": "python",
            "network": ["api.example.com"], "limits": {"timeout_ms": 500}
        }))
        .unwrap()
    }

    #[test]
    fn languages_are_named_and_others_refused_with_why() {
        assert_eq!(Language::parse("Python").unwrap(), Language::Python);
        assert_eq!(Language::parse("js").unwrap(), Language::Javascript);
        let bash = Language::parse("bash").unwrap_err().to_string();
        assert!(
            bash.contains("`python` and `javascript`") && bash.contains("host processes"),
            "{bash}"
        );
        let ts = Language::parse("typescript").unwrap_err().to_string();
        assert!(ts.contains("--lang ts"), "{ts}");
    }

    #[test]
    fn the_declaration_uses_the_manifest_names() {
        let (manifest, body) = manifest(
            spec("print(1)"),
            Language::Python,
            semver::Version::new(1, 0, 0),
        )
        .unwrap();
        assert_eq!(
            manifest.capabilities.network[0].to_string(),
            "https://api.example.com"
        );
        assert_eq!(manifest.limits.timeout_ms, Some(500));
        assert_eq!(manifest.abilities[0].name, ABILITY);
        assert_eq!(body.code, "print(1)");
        let bad: Result<CodeSpec, _> = serde_json::from_value(json!({
            "name": "x", "description": "d", "code": "1", "language": "python", "netwrk": []
        }));
        assert!(bad.unwrap_err().to_string().contains("netwrk"));
    }

    #[test]
    fn arrays_are_arguments_and_anything_else_is_stdin() {
        let body = CodeBody {
            language: Language::Python,
            code: "x".into(),
        };
        let args = interpreter_input(&body, &json!(["a", 1, {"b": true}]));
        assert_eq!(args["argv"], json!(["a", "1", "{\"b\":true}"]));
        assert_eq!(args["stdin"], "");
        let object = interpreter_input(&body, &json!({"path": "/x"}));
        assert_eq!(object["argv"], json!([]));
        assert_eq!(object["stdin"], "{\"path\":\"/x\"}");
    }
}
