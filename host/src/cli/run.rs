//! `skillhost run`: one ability, locally, in the same sandbox the server
//! uses. The flags are the grant.
use super::error::CliError;
use super::local::{DataDir, local_runtime, read_file};
use crate::capability::{Grant, GuestPath, MountSource, Policy, SecretValue, VolumeMount, Volumes};
use crate::manifest::LimitRequest;
use crate::runtime::{Call, Invocation, OutputKind, SessionScope};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The packaged skill.
    file: PathBuf,
    /// The ability to run.
    ability: String,
    /// Input as JSON; `{}` when omitted.
    #[arg(long, default_value = "{}")]
    input: String,
    /// Session id: calls with the same id share session state.
    #[arg(long)]
    session: Option<String>,
    /// Let allowed host names reach loopback and private addresses.
    #[arg(long)]
    allow_private_network: bool,
    /// Map a declared guest path to a host directory: GUEST=HOSTDIR (on
    /// this machine you are the operator: each becomes a volume).
    #[arg(long = "mount", value_name = "GUEST=HOSTDIR")]
    mounts: Vec<String>,
    /// Value of a declared environment variable: NAME=VALUE.
    #[arg(long = "env", value_name = "NAME=VALUE")]
    env: Vec<String>,
    /// A declared secret: NAME=VALUE, or NAME alone to take the value from
    /// this process's environment variable NAME (keeps it out of history).
    #[arg(long = "secret", value_name = "NAME[=VALUE]")]
    secrets: Vec<String>,
    /// Configuration the skill reads with config(key): KEY=VALUE.
    #[arg(long = "config", value_name = "KEY=VALUE")]
    config: Vec<String>,
    /// Wall-clock limit.
    #[arg(long)]
    timeout_ms: Option<u64>,
    /// Memory limit.
    #[arg(long)]
    memory_mb: Option<u64>,
    /// Output limit.
    #[arg(long)]
    output_kb: Option<u64>,
    /// Print {success, output, error, execution_time_ms, receipt} as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    data: DataDir,
}

fn pair<'a>(flag: &str, text: &'a str) -> Result<(&'a str, &'a str), CliError> {
    text.split_once('=')
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| CliError::new(format!("--{flag} expects NAME=VALUE, got `{text}`")))
}

/// What the flags describe: the grant, the volumes its mounts name, and
/// the secret values they supply.
struct Flags {
    grant: Grant,
    volumes: Volumes,
    secrets: Vec<(String, SecretValue)>,
}

fn grant(args: &Args) -> Result<Flags, CliError> {
    let mut secrets = Vec::new();
    let mut volumes = Vec::new();
    let mut grant = Grant {
        allow_private_network: args.allow_private_network,
        ..Grant::default()
    };
    for m in &args.mounts {
        let (guest, host) = pair("mount", m)?;
        let guest = GuestPath::parse(guest).map_err(|e| CliError::new(format!("--mount: {e}")))?;
        // Checked here, so the message names the flag's guest path.
        if let Err(e) = std::fs::read_dir(host) {
            return Err(CliError::new(format!(
                "mount {guest}: host directory cannot be opened ({})",
                e.kind()
            )));
        }
        let volume = format!("mount-{}", volumes.len() + 1);
        let writable = true; // the declaration decides each mount's mode
        volumes.push((volume.clone(), PathBuf::from(host), writable));
        let source = MountSource::Volume(VolumeMount {
            volume,
            path: String::new(),
        });
        grant.mounts.insert(guest, source);
    }
    // The data directory holds the compile cache: no mount may reach it.
    let volumes = Volumes::new(volumes, &[args.data.data_dir.as_path()])
        .map_err(|e| CliError::new(format!("--mount: {e}")))?;
    for e in &args.env {
        let (k, v) = pair("env", e)?;
        grant.env.insert(k.to_owned(), v.to_owned());
    }
    for s in &args.secrets {
        let (name, value) = match s.split_once('=') {
            Some((name, value)) => (name.to_owned(), value.to_owned()),
            None => {
                let value = std::env::var(s).map_err(|_| {
                    CliError::new(format!("--secret {s}: no value given and ${s} is not set"))
                })?;
                (s.clone(), value)
            }
        };
        secrets.push((name, SecretValue::new(value)));
    }
    for c in &args.config {
        let (k, v) = pair("config", c)?;
        grant.config.insert(k.to_owned(), v.to_owned());
    }
    grant.limits = LimitRequest {
        timeout_ms: args.timeout_ms,
        memory_mb: args.memory_mb,
        output_kb: args.output_kb,
    };
    Ok(Flags {
        grant,
        volumes,
        secrets,
    })
}

pub async fn run(args: Args) -> Result<ExitCode, CliError> {
    let input: serde_json::Value = serde_json::from_str(&args.input)
        .map_err(|e| CliError::new(format!("--input is not valid JSON: {e}")))?;
    let bytes = read_file(&args.file)?;
    let Flags {
        grant,
        volumes,
        secrets,
    } = grant(&args)?;
    let runtime = local_runtime(&args.data, volumes)?;
    let skill = runtime.load(&bytes)?;
    let mut policy = Policy::resolve(&skill.package.manifest, &grant, runtime.limits())?;
    for (name, value) in secrets {
        policy.supply_secret(&name, value)?;
    }
    policy.verify_mounts(runtime.volumes())?;
    let session = args.session.clone().map(|id| SessionScope {
        namespace: skill.name().to_owned(),
        id,
    });
    let call = Call {
        ability: &args.ability,
        input: &input,
        session,
    };
    let invocation = runtime.invoke(&skill, Arc::new(policy), call).await;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report(&invocation)).expect("JSON")
        );
    } else {
        print_text(&invocation);
    }
    Ok(if invocation.outcome.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The `--json` report.
pub fn report(inv: &Invocation) -> serde_json::Value {
    let execution_time_ms = inv.receipt.wall_time_us as f64 / 1000.0;
    match &inv.outcome {
        Ok(output) => {
            let value = match output.kind {
                OutputKind::Json => serde_json::from_str(&output.body)
                    .unwrap_or(serde_json::Value::String(output.body.clone())),
                OutputKind::Text => serde_json::Value::String(output.body.clone()),
            };
            serde_json::json!({
                "success": true,
                "output": value,
                "error": null,
                "exit_code": output.exit_code,
                "execution_time_ms": execution_time_ms,
                "receipt": inv.receipt,
                "denials": inv.denials,
                "requests": inv.requests,
                "invocation_id": inv.id,
            })
        }
        Err(error) => serde_json::json!({
            "success": false,
            "output": null,
            "error": { "kind": error.kind(), "message": error.to_string(), "detail": error },
            "exit_code": match error { crate::InvokeError::Failed { exit_code, .. } => *exit_code, _ => None },
            "execution_time_ms": execution_time_ms,
            "receipt": inv.receipt,
            "denials": inv.denials,
            "requests": inv.requests,
            "invocation_id": inv.id,
        }),
    }
}

fn print_text(inv: &Invocation) {
    for d in &inv.denials {
        eprintln!("note: denied {} {}: {}", d.capability, d.target, d.reason);
    }
    match &inv.outcome {
        Ok(output) => {
            let body = match output.kind {
                OutputKind::Json => serde_json::from_str::<serde_json::Value>(&output.body)
                    .map(|v| serde_json::to_string_pretty(&v).expect("JSON"))
                    .unwrap_or_else(|_| output.body.clone()),
                OutputKind::Text => output.body.clone(),
            };
            if body.ends_with('\n') {
                print!("{body}")
            } else {
                println!("{body}")
            }
        }
        Err(error) => eprintln!("error[{}]: {error}", error.kind()),
    }
}
