//! The `stratus` binary: command line, configuration, start-up and shutdown. Logic lives in
//! the library crates.

mod cli;
mod commands;
mod config;
mod distribution;
mod policy;
mod server;

use clap::Parser;

use cli::{Cli, Command, DistributionCommand, FunctionCommand};
use stratus_control::PolicyKind;

// The edge's hit path allocates on several worker threads at once; glibc's malloc showed
// lock contention there (bench/README.md). mimalloc keeps per-thread heaps.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("STRATUS_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    // Runtimes start in their code directory: every path handed to them must be absolute.
    let state = std::path::absolute(&cli.state_dir)?;
    let config = config::Config::load(cli.config.as_deref(), &state)?;
    match cli.command {
        Command::Up(args) => server::up(&state, config, args).await,
        Command::Function(f) => match f {
            FunctionCommand::Create(a) => commands::create(&state, a).await,
            FunctionCommand::Update(a) => commands::update(&state, a).await,
            FunctionCommand::Delete { name } => commands::delete(&state, &name).await,
            FunctionCommand::List => commands::list(&state, &config).await,
            FunctionCommand::Url(a) => commands::url(&state, &config, a).await,
            FunctionCommand::Invoke { name, payload } => {
                commands::invoke(&state, &config, &name, &payload).await
            }
        },
        Command::Distribution(d) => match d {
            DistributionCommand::Create(a) => distribution::create(&state, &config, a).await,
            DistributionCommand::List => distribution::list(&state, &config).await,
            DistributionCommand::Delete { id } => distribution::delete(&state, &id).await,
        },
        Command::CachePolicy(c) => policy::run(&state, PolicyKind::Cache, c.into()).await,
        Command::OriginRequestPolicy(c) => {
            policy::run(&state, PolicyKind::OriginRequest, c.into()).await
        }
        Command::ResponseHeadersPolicy(c) => {
            policy::run(&state, PolicyKind::ResponseHeaders, c.into()).await
        }
        Command::Invalidate {
            distribution: id,
            paths,
        } => distribution::invalidate(&state, &id, &paths).await,
        Command::Logs { name, follow } => commands::logs(&state, &name, follow).await,
        Command::Ca => commands::ca(&state),
    }
}
