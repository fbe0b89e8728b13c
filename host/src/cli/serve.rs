//! `skillhost serve`: the HTTP service.
use super::error::CliError;
use crate::ability::code::Interpreters;
use crate::capability::Volumes;
use crate::outbound::{Outbound, OutboundConfig};
use crate::runtime::{Runtime, RuntimeConfig};
use crate::server::{
    AppState, JwtVerifier, Loader, ServiceOptions, Services, Upgraded, bootstrap, preload,
    prepare_secrets, serve, upgrade_grants,
};
use crate::store::{Store, StoreConfig};
use crate::vault::Vault;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Address to listen on. Loopback by default: expose it deliberately.
    #[arg(long, env = "SKILLHOST_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Database, compiled components and other state.
    #[arg(long, env = "SKILLHOST_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// PostgreSQL for several replicas: `postgres://user:password@host/db`
    /// (with `sslmode=require` and the rest as URL parameters). Unset, the
    /// embedded SQLite in the data directory.
    #[arg(long, env = "SKILLHOST_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Database connections this process keeps at most.
    #[arg(long, env = "SKILLHOST_DATABASE_MAX_CONNECTIONS", default_value_t = 8)]
    database_max_connections: u32,
    /// PostgreSQL only: the server cancels statements running longer.
    #[arg(
        long,
        env = "SKILLHOST_DATABASE_STATEMENT_TIMEOUT_MS",
        default_value_t = 30_000
    )]
    database_statement_timeout_ms: u64,
    /// The operator's token; generated and printed once when unset.
    #[arg(long, env = "SKILLHOST_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// Operator only: install every packaged skill (*.wasm) in this
    /// server-side directory into the default tenant, approved as declared
    /// and assigned to an agent named `demo`.
    #[arg(long, env = "SKILLHOST_PRELOAD")]
    preload: Option<PathBuf>,
    /// Where the interpreters of code skills are (`python.skill.wasm`,
    /// `javascript.skill.wasm`, made by `skillhost interpreters install`);
    /// default: `<data-dir>/interpreters`. A language without one refuses
    /// code skills with a message that says so.
    #[arg(long, env = "SKILLHOST_INTERPRETERS")]
    interpreters: Option<PathBuf>,
    /// Accept HS256 JWTs signed with this secret (claims: sub, tenant,
    /// scopes, exp). At least 32 bytes.
    #[arg(long, env = "SKILLHOST_JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<String>,
    /// Operator only: allow `POST /api/skills` with `{"path": ...}` to
    /// install packaged skills from files under this server-side directory.
    #[arg(long, env = "SKILLHOST_INSTALL_ROOT")]
    install_root: Option<PathBuf>,
    /// Let URL installs and syncs fetch from loopback and private addresses
    /// (refused by default: tenants choose the URLs the server fetches).
    #[arg(long, env = "SKILLHOST_ALLOW_PRIVATE_SOURCES")]
    allow_private_sources: bool,
    /// A non-public address range (CIDR, e.g. `10.20.0.0/16`) that skills
    /// and sources may reach without being granted private networks: an
    /// internal API, without opening loopback, metadata or the rest of the
    /// private ranges. Repeatable; comma-separated in the variable.
    #[arg(long, env = "SKILLHOST_ALLOW_PRIVATE_RANGES", value_delimiter = ',')]
    allow_private_range: Vec<ipnet::IpNet>,
    /// Require this bearer token on `GET /metrics`, for deployments that
    /// expose the port. Unset, the metrics are open to whoever reaches the
    /// listener.
    #[arg(long, env = "SKILLHOST_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    /// Key that seals tenant secrets at rest: 32 bytes as base64 or hex
    /// (`openssl rand -base64 32`). Unset, the server creates
    /// `secret.key` (mode 0600) in the data directory on first start.
    /// Replicas on one PostgreSQL must all be given the same key.
    #[arg(long, env = "SKILLHOST_SECRET_KEY", hide_env_values = true)]
    secret_key: Option<String>,
    /// During a key rotation, the previous key: secrets sealed under it
    /// still open, and are re-sealed under the new key at start.
    #[arg(long, env = "SKILLHOST_SECRET_KEY_PREVIOUS", hide_env_values = true)]
    secret_key_previous: Option<String>,
    /// A `Host` name MCP clients reach this server by (a DNS-rebinding
    /// guard). Unset: loopback names only. `*` allows any. Repeatable.
    #[arg(
        long = "mcp-allowed-host",
        env = "SKILLHOST_MCP_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    mcp_allowed_hosts: Vec<String>,
    /// An `Origin` (browser-based MCP clients) allowed to call the MCP
    /// endpoints; requests with any other `Origin` get 403. Repeatable.
    #[arg(
        long = "mcp-allowed-origin",
        env = "SKILLHOST_MCP_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    mcp_allowed_origins: Vec<String>,
    /// The GitHub web address SKILL.md repository URLs start with (GitHub
    /// Enterprise: its own address).
    #[arg(
        long,
        env = "SKILLHOST_GITHUB_URL",
        default_value = "https://github.com"
    )]
    github_url: url::Url,
    /// The GitHub REST API repository archives are fetched from (GitHub
    /// Enterprise: `https://HOST/api/v3`).
    #[arg(
        long,
        env = "SKILLHOST_GITHUB_API_URL",
        default_value = "https://api.github.com"
    )]
    github_api_url: url::Url,
    /// An MCP registry (e.g. https://registry.modelcontextprotocol.io)
    /// that `GET /api/skills/browse` searches. Repeatable.
    #[arg(
        long = "mcp-registry",
        env = "SKILLHOST_MCP_REGISTRIES",
        value_delimiter = ','
    )]
    mcp_registries: Vec<url::Url>,
    /// A repository whose folders hold SKILL.md files (a GitHub repository
    /// URL, or a .tar.gz/.zip URL) that `GET /api/skills/browse` lists.
    /// Repeatable.
    #[arg(
        long = "skill-repo",
        env = "SKILLHOST_SKILL_REPOS",
        value_delimiter = ','
    )]
    skill_repos: Vec<String>,
    /// A host directory grants may mount: NAME=DIR[:ro|:rw] (read-only
    /// unless `:rw`). Grants name the volume and a directory in it, never a
    /// host path; no volume may overlap the data directory. Repeatable;
    /// comma-separated in the variable.
    #[arg(
        long = "volume",
        env = "SKILLHOST_VOLUMES",
        value_delimiter = ',',
        value_name = "NAME=DIR[:ro|:rw]"
    )]
    volumes: Vec<String>,
    /// Keep each invocation's input (`args`) in its audit record. Off by
    /// default: inputs may carry personal data.
    #[arg(long, env = "SKILLHOST_RECORD_INPUTS")]
    record_inputs: bool,
    /// An MCP tool call whose time limit is over this many milliseconds
    /// is answered with a task (MCP's tasks extension) when the client
    /// asks for tasks; a remote MCP server's tool always is.
    #[arg(long, env = "SKILLHOST_MCP_TASK_AFTER_MS", default_value_t = 10_000)]
    mcp_task_after_ms: u64,
    /// How long an MCP task and its result are kept from its creation.
    #[arg(long, env = "SKILLHOST_MCP_TASK_TTL_MS", default_value_t = 3_600_000,
          value_parser = clap::value_parser!(u64).range(1_000..))]
    mcp_task_ttl_ms: u64,
    /// How long a replica may go silent before the other replicas fail
    /// the MCP tasks it runs.
    #[arg(long, env = "SKILLHOST_MCP_TASK_LEASE_MS", default_value_t = 30_000,
          value_parser = clap::value_parser!(u64).range(300..))]
    mcp_task_lease_ms: u64,
    /// An OAuth 2.1 authorization server whose JWT access tokens are
    /// accepted wherever API tokens are (its metadata gives the keys).
    /// Repeatable; comma-separated in the variable. Needs --public-url.
    #[arg(
        long = "oauth-issuer",
        env = "SKILLHOST_OAUTH_ISSUERS",
        value_delimiter = ','
    )]
    oauth_issuers: Vec<url::Url>,
    /// The access-token claim naming the tenant (its id or name).
    #[arg(long, env = "SKILLHOST_OAUTH_TENANT_CLAIM", default_value = "tenant")]
    oauth_tenant_claim: String,
    /// The access-token claim naming the one agent (id or name) a token
    /// acts as; a token without it may act as any agent of its tenant.
    #[arg(long, env = "SKILLHOST_OAUTH_AGENT_CLAIM", default_value = "agent")]
    oauth_agent_claim: String,
    /// The URL clients reach this server at (e.g. https://skills.example.com):
    /// an OAuth token's audience must be it or an MCP endpoint under it.
    #[arg(long, env = "SKILLHOST_PUBLIC_URL")]
    public_url: Option<url::Url>,
}

pub async fn run(args: Args) -> Result<ExitCode, CliError> {
    // A short HMAC key is brute-forceable; refuse it rather than run weak.
    if args.jwt_secret.as_ref().is_some_and(|s| s.len() < 32) {
        return Err(CliError::new("--jwt-secret must be at least 32 bytes"));
    }
    // Every setting is checked before anything listens or is preloaded.
    if !args.oauth_issuers.is_empty() && args.public_url.is_none() {
        return Err(CliError::new(
            "--oauth-issuer needs --public-url: a token's audience is checked against the URL clients use, which a request's Host header cannot be trusted to give",
        ));
    }
    for url in args.oauth_issuers.iter().chain(&args.public_url) {
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(CliError::new(format!(
                "{url} is not an http(s) URL with a host (--oauth-issuer, --public-url)"
            )));
        }
    }
    if let Some(root) = &args.install_root
        && !root.is_dir()
    {
        return Err(CliError::new(format!(
            "--install-root {} is not a directory",
            root.display()
        )));
    }
    let volumes = args
        .volumes
        .iter()
        .map(|v| Volumes::parse_flag(v))
        .collect::<Result<Vec<_>, _>>()
        .map_err(CliError::new)?;
    // The data directory may not exist yet: create it so that the overlap
    // check compares real paths.
    std::fs::create_dir_all(&args.data_dir).map_err(|e| {
        CliError::new(format!(
            "cannot create the data directory {}: {e}",
            args.data_dir.display()
        ))
    })?;
    let volumes = Volumes::new(volumes, &[args.data_dir.as_path()])
        .map_err(|e| CliError::new(format!("--volume: {e}")))?;
    let store_config = StoreConfig {
        database_url: args.database_url.clone(),
        max_connections: args.database_max_connections.max(1),
        statement_timeout: std::time::Duration::from_millis(args.database_statement_timeout_ms),
    };
    let store = Store::connect(&args.data_dir, &store_config)
        .await
        .map_err(|e| CliError::new(format!("cannot open the database: {e}")))?;
    let vault = Vault::open(
        &args.data_dir,
        args.secret_key.as_deref(),
        args.secret_key_previous.as_deref(),
    )
    .map_err(|e| CliError::new(e.to_string()))?;
    prepare_secrets(&store, &vault)
        .await
        .map_err(|e| CliError::new(format!("cannot prepare the secrets: {e}")))?;
    if let Some(secret) = bootstrap(&store, args.admin_token.as_deref()).await? {
        // Printed once, to stdout only; the database keeps just a hash.
        println!("operator token (shown once, store it now): {secret}");
    }
    // After the bootstrap: the operator's tenant is allowed its private
    // networks by then.
    let upgraded = upgrade_grants(&store, &volumes)
        .await
        .map_err(|e| CliError::new(format!("cannot upgrade the stored grants: {e}")))?;
    if upgraded != Upgraded::default() {
        tracing::warn!(
            remapped = upgraded.remapped,
            held = upgraded.held,
            "stored grants upgraded: held ones wait for an admin"
        );
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| CliError::new(format!("cannot listen on {}: {e}", args.listen)))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, data_dir = %args.data_dir.display(), backend = ?store.backend(), "skillhost serving");
    println!("skillhost listening on http://{addr}");
    let config = RuntimeConfig {
        cache_dir: Some(args.data_dir.join("cache")),
        cache_key: Some(vault.cache_key()),
        outbound: Outbound::new(OutboundConfig {
            allowed_ranges: args.allow_private_range,
            ..OutboundConfig::default()
        }),
        volumes,
        ..RuntimeConfig::default()
    };
    // Session state lives in the database: it survives restarts and is
    // shared by every replica.
    let runtime = Runtime::new(config, std::sync::Arc::new(store.clone()))?;
    let loader = Loader::new(runtime);
    if let Some(dir) = &args.preload {
        let names = preload(&store, &loader, dir).await.map_err(CliError::new)?;
        println!("preloaded skills for agent `demo`: {}", names.join(", "));
        println!(
            "try it (TOKEN is the operator token: printed above on first start, or SKILLHOST_ADMIN_TOKEN):"
        );
        println!("  curl -s -X POST http://{addr}/api/agents/demo/skills/text-tools/invoke \\");
        println!("    -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' \\");
        println!("    -d '{{\"ability\":\"slugify\",\"args\":{{\"text\":\"Hello, skillhost\"}}}}'");
    }
    let interpreters_dir = args
        .interpreters
        .clone()
        .unwrap_or_else(|| args.data_dir.join("interpreters"));
    let interpreters = Interpreters::load(&loader, &interpreters_dir)
        .await
        .map_err(|e| CliError::new(format!("cannot load the code skills' interpreters: {e}")))?;
    let languages: Vec<&str> = interpreters
        .languages()
        .iter()
        .map(|l| l.as_str())
        .collect();
    tracing::info!(dir = %interpreters_dir.display(), languages = ?languages, "code skill interpreters");
    let jwt = args
        .jwt_secret
        .as_deref()
        .map(|s| JwtVerifier::new(s.as_bytes()));
    let options = ServiceOptions {
        install_root: args.install_root,
        allow_private_sources: args.allow_private_sources,
        record_inputs: args.record_inputs,
        metrics_token: args.metrics_token,
        mcp_allowed_hosts: args.mcp_allowed_hosts,
        mcp_allowed_origins: args.mcp_allowed_origins,
        github: crate::sources::github::GithubConfig {
            web: args.github_url,
            api: args.github_api_url,
        },
        mcp_registries: args.mcp_registries,
        skill_repos: args.skill_repos,
        public_url: args.public_url,
        oauth: crate::oauth::OAuthConfig {
            issuers: args.oauth_issuers,
            tenant_claim: args.oauth_tenant_claim,
            agent_claim: args.oauth_agent_claim,
            ..crate::oauth::OAuthConfig::default()
        },
        mcp_tasks: crate::services::McpTaskSettings {
            after: std::time::Duration::from_millis(args.mcp_task_after_ms),
            ttl: std::time::Duration::from_millis(args.mcp_task_ttl_ms),
            lease: std::time::Duration::from_millis(args.mcp_task_lease_ms),
        },
    };
    let oauth = crate::oauth::OAuth::configured(&options.oauth);
    let state = AppState::new(Services {
        store,
        loader,
        jwt,
        oauth,
        vault,
        options: std::sync::Arc::new(options),
        interpreters,
        tasks: Default::default(),
    });
    serve(listener, state, shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
