//! The `skillhost` command line: the service (serve) and the author's loop
//! (new, build, inspect, run, pack) and the code skills' interpreters. Each subcommand is a module; all of them print errors as
//! `error: ...` and exit non-zero.
mod build;
mod docs_line;
mod error;
mod inspect;
mod interpreters;
mod local;
mod new;
mod pack;
mod run;
mod serve;

pub use error::CliError;
pub use local::DataDir;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Run AI-agent skills inside WebAssembly sandboxes.
#[derive(Parser, Debug)]
#[command(name = "skillhost", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Scaffold a new skill crate that builds and runs at once.
    New(new::Args),
    /// Build a skill crate for wasm32-wasip2 and package it.
    Build(build::Args),
    /// Show a skill's manifest, abilities, capabilities, imports and digest.
    Inspect(inspect::Args),
    /// Run one ability locally, in the same sandbox the server uses.
    Run(run::Args),
    /// Package any WASI 0.2 component with a skill.toml.
    Pack(pack::Args),
    /// Build and install the interpreters that run code skills.
    Interpreters(interpreters::Args),
    /// Run the HTTP service.
    Serve(Box<serve::Args>),
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Serve(_)) {
        quiet_on_closed_pipe();
    }
    // The service logs its operations; the author's commands report on the
    // terminal and keep the log for real errors.
    init_tracing(if matches!(cli.command, Command::Serve(_)) {
        "info"
    } else {
        "error"
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = runtime.block_on(async move {
        match cli.command {
            Command::New(args) => new::run(args),
            Command::Build(args) => build::run(args).await,
            Command::Inspect(args) => inspect::run(args),
            Command::Interpreters(args) => interpreters::run(args).await,
            Command::Run(args) => run::run(args).await,
            Command::Pack(args) => pack::run(args).await,
            Command::Serve(args) => serve::run(*args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {}", error.message);
            ExitCode::from(error.code)
        }
    }
}

/// Rust ignores SIGPIPE, so printing to a pipe whose reader has gone
/// (`skillhost run … | head -1`) panics. The author's commands are
/// command-line tools: like any other, they stop quietly when their reader
/// goes away. The service keeps ignoring it; its sockets report EPIPE as an
/// error (and every socket write uses MSG_NOSIGNAL on Linux anyway).
fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: called once, before any thread is spawned; SIG_DFL is a valid
    // disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn init_tracing(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SKILLHOST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
