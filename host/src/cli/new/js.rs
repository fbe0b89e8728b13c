//! A JavaScript or TypeScript skill: an entry module using the SDK, which
//! is written beside it (`sdk/`) so editors and `tsc` know its types;
//! `skillhost build` bundles the SDK this binary carries.
use crate::cli::error::CliError;
use std::path::Path;

/// Writes the skill into `dir`, in TypeScript when `typescript`.
pub(super) fn write(dir: &Path, name: &str, typescript: bool) -> Result<(), CliError> {
    crate::cli::build::write_js_sdk(&dir.join("sdk"))?;
    let (entry, text) = if typescript {
        ("index.ts", INDEX_TS)
    } else {
        ("index.js", INDEX_JS)
    };
    std::fs::write(dir.join(entry), text)?;
    std::fs::write(
        dir.join("skill.toml"),
        super::manifest::skill_toml(name, "`secret(name)`"),
    )?;
    std::fs::write(dir.join(".gitignore"), "/target\n/dist\n")?;
    if typescript {
        std::fs::write(dir.join("tsconfig.json"), TSCONFIG)?;
    }
    Ok(())
}

const INDEX_JS: &str = r#"// A skillhost skill. Each `ability` is something an agent can call: its
// description is what the agent reads, its input schema what the host
// checks before the function runs.
import { ability, s, InvalidInput } from 'skillhost-sdk';

ability(
  {
    name: 'greet',
    description: 'Greets a person by name.',
    input: s.object({ name: s.string('Who to greet.') }),
  },
  ({ name }) => {
    if (name.trim() === '') throw InvalidInput('`name` must not be empty');
    return { message: `Hello, ${name.trim()}!` };
  },
);
"#;

const INDEX_TS: &str = r#"// A skillhost skill. Each `ability` is something an agent can call: its
// description is what the agent reads, its input schema what the host
// checks before the function runs (and, here, the parameter's type).
import { ability, s, InvalidInput } from 'skillhost-sdk';

interface Greeting {
  message: string;
}

ability(
  {
    name: 'greet',
    description: 'Greets a person by name.',
    input: s.object({ name: s.string('Who to greet.') }),
  },
  ({ name }): Greeting => {
    if (name.trim() === '') throw InvalidInput('`name` must not be empty');
    return { message: `Hello, ${name.trim()}!` };
  },
);
"#;

/// For editors and `tsc --noEmit` (the build strips types unchecked).
const TSCONFIG: &str = r#"{
  "compilerOptions": {
    "target": "ES2022",
    "module": "ESNext",
    "moduleResolution": "Bundler",
    "strict": true,
    "noEmit": true,
    "paths": { "skillhost-sdk": ["./sdk/index.d.ts"] }
  },
  "files": ["index.ts"]
}
"#;
