//! A Python skill: `app.py` using the SDK, which is written beside it
//! (`sdk/`) so editors resolve `skillhost`; `skillhost build` gives
//! componentize-py the SDK this binary carries.
use crate::cli::error::CliError;
use std::path::Path;

/// Writes the skill into `dir`.
pub(super) fn write(dir: &Path, name: &str) -> Result<(), CliError> {
    crate::cli::build::write_python_sdk(&dir.join("sdk"))?;
    std::fs::write(dir.join("app.py"), APP_PY)?;
    std::fs::write(
        dir.join("skill.toml"),
        super::manifest::skill_toml(name, "`secret(name)`"),
    )?;
    std::fs::write(dir.join(".gitignore"), "/target\n/dist\n__pycache__/\n")?;
    Ok(())
}

const APP_PY: &str = r#""""A skillhost skill. Each @ability function is something an agent can
call: its docstring is the description the agent reads, its type hints the
input schema the host checks before the function runs.

Import every module the skill uses here, at the top: the component holds
what was imported when it was built. (Editors find `skillhost` in ./sdk.)
"""
from dataclasses import dataclass

from skillhost import InvalidInput, ability


@dataclass
class Greeting:
    message: str


@ability
def greet(name: str) -> Greeting:
    """Greets a person by name."""
    if not name.strip():
        raise InvalidInput("`name` must not be empty")
    return Greeting(message=f"Hello, {name.strip()}!")
"#;
