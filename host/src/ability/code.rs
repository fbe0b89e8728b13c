//! A code skill's call (seed 003): its language's interpreter component,
//! shared by every code skill of that language, runs the skill's source in
//! a fresh sandbox under the skill's own policy. The interpreter answers
//! `{stdout, stderr, exit_code}`; here that becomes a command's account:
//! stdout is the output, a non-zero status a `failed` with its exit code.
//!
//! The interpreters are built once by `skillhost interpreters install`
//! (componentize-py, componentize-js) and loaded when the server starts.
use super::outcome::{Executed, Failure};
use crate::capability::Policy;
use crate::error::InvokeError;
use crate::runtime::{
    Call, Invocation, LoadedSkill, Loader, Output, OutputKind, SessionScope, tail,
};
use crate::sources::code::{self, CodeBody, Language};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The interpreters this node has, by language.
#[derive(Clone, Default)]
pub struct Interpreters {
    loaded: HashMap<Language, Arc<LoadedSkill>>,
    /// Where they were looked for, for the operator's error messages.
    dir: Option<PathBuf>,
}

/// The file an interpreter is installed as in the interpreters folder.
pub fn file_name(language: Language) -> String {
    format!("{}.skill.wasm", language.as_str())
}

impl Interpreters {
    /// Loads every interpreter installed in `dir` (compiled once, then from
    /// the compile cache). A language whose file is absent is left out; a
    /// file that does not load is an error.
    pub async fn load(loader: &Loader, dir: &Path) -> Result<Interpreters, String> {
        let mut loaded = HashMap::new();
        for language in Language::ALL {
            let path = dir.join(file_name(language));
            let bytes = match std::fs::read(&path) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
            };
            let skill = loader
                .load_bytes(bytes)
                .await
                .map_err(|e| format!("{}: {e}", path.display()))?;
            for ability in ["check", "run"] {
                if skill.package.manifest.ability(ability).is_none() {
                    return Err(format!(
                        "{} is not a skillhost interpreter (it has no `{ability}`); run `skillhost interpreters install` again",
                        path.display()
                    ));
                }
            }
            loaded.insert(language, skill);
        }
        Ok(Interpreters {
            loaded,
            dir: Some(dir.to_owned()),
        })
    }

    /// The languages that have an interpreter here.
    pub fn languages(&self) -> Vec<Language> {
        let mut languages: Vec<Language> = self.loaded.keys().copied().collect();
        languages.sort_by_key(|l| l.as_str());
        languages
    }

    /// The interpreter of `language`, or why this node has none.
    pub fn get(&self, language: Language) -> Result<&Arc<LoadedSkill>, String> {
        self.loaded.get(&language).ok_or_else(|| {
            let place = match &self.dir {
                Some(dir) => format!(" in {}", dir.display()),
                None => String::new(),
            };
            format!(
                "this server has no {} interpreter installed{place}; its operator installs it with `skillhost interpreters install`",
                language.as_str()
            )
        })
    }
}

/// What `check` found.
pub enum Checked {
    /// The source compiles.
    Compiles,
    /// The interpreter's message: a syntax error, where it is.
    SyntaxError(String),
}

/// Compiles `code` in its interpreter without running it, granting
/// nothing: a syntax error is refused when the skill is created.
pub async fn check(
    loader: &Loader,
    interpreter: &LoadedSkill,
    code: &str,
) -> Result<Checked, InvokeError> {
    let runtime = loader.runtime();
    let input = json!({ "code": code });
    let call = Call {
        ability: "check",
        input: &input,
        session: None,
    };
    let invocation = runtime
        .invoke(interpreter, Arc::new(runtime.nothing_granted()), call)
        .await;
    match invocation.outcome {
        Ok(_) => Ok(Checked::Compiles),
        Err(InvokeError::InvalidInput { message }) => Ok(Checked::SyntaxError(message)),
        Err(other) => Err(other),
    }
}

/// The interpreter's answer to `run`.
#[derive(Deserialize)]
struct Ran {
    stdout: String,
    stderr: String,
    exit_code: i32,
}

/// Runs a code skill's source with the caller's `input` under `policy`.
pub async fn execute(
    loader: &Loader,
    interpreter: &LoadedSkill,
    body: &CodeBody,
    policy: Policy,
    input: &Value,
    session: Option<SessionScope>,
) -> Executed {
    let input = code::interpreter_input(body, input);
    let call = Call {
        ability: "run",
        input: &input,
        session,
    };
    let invocation = loader
        .runtime()
        .invoke(interpreter, Arc::new(policy), call)
        .await;
    executed(invocation)
}

/// How much of a program's stderr a call keeps (its end), as for a
/// command skill.
const STDERR_KEPT: usize = 64 << 10;

fn executed(mut invocation: Invocation) -> Executed {
    let mut stderr = std::mem::take(&mut invocation.stderr);
    let result = match invocation.outcome {
        Ok(output) => match serde_json::from_str::<Ran>(&output.body) {
            Ok(ran) => {
                if ran.exit_code == 0 {
                    stderr = tail(&ran.stderr, STDERR_KEPT).to_owned();
                    Ok(Output {
                        kind: OutputKind::Text,
                        body: ran.stdout,
                        exit_code: Some(0),
                    })
                } else {
                    let message = crate::runtime::stderr_summary(&ran.stderr, ran.exit_code);
                    // A failed program's account is all it wrote, as seed
                    // 003's error `output`: its stdout, then its stderr.
                    stderr = tail(&(ran.stdout + &ran.stderr), STDERR_KEPT).to_owned();
                    // A program that failed after the guard refused its
                    // request failed for that refusal, as an SDK skill's
                    // `failed` does: the category says so and names it.
                    let error = match invocation.denials.last() {
                        Some(d) if d.capability == "network" => InvokeError::CapabilityDenied {
                            capability: d.capability.to_owned(),
                            target: d.target.clone(),
                            message: d.reason.clone(),
                        },
                        _ => InvokeError::Failed {
                            message,
                            exit_code: Some(ran.exit_code),
                        },
                    };
                    let mut failure = Failure::from(&error);
                    failure.exit_code = Some(ran.exit_code);
                    Err(failure)
                }
            }
            Err(error) => {
                tracing::error!(%error, "an interpreter answered in an unknown shape");
                Err(Failure::internal())
            }
        },
        // The interpreter's own input is the host's: its refusal is ours.
        Err(InvokeError::InvalidInput { message }) => {
            tracing::error!(%message, "an interpreter refused the host's input");
            Err(Failure::internal())
        }
        Err(error) => Err(Failure::from(&error)),
    };
    Executed {
        id: invocation.id,
        result,
        receipt: invocation.receipt,
        denials: invocation.denials,
        requests: invocation.requests,
        stderr,
    }
}
