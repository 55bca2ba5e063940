//! The `syncwire` binary: `syncwire serve` runs the hub server.
//!
//! ```text
//! syncwire serve [--config FILE] [--print-config] [--addr 127.0.0.1:8080]
//!                [--data-dir ./data] [--memory]
//!                [--token-file F | --open | --auth-url URL | --jwt-* (docs/AUTH.md)]
//!                [--allow-origin ORIGIN,...] [--auth-timeout-ms MS]
//!                [--static-dir DIR] [--path /sync] [--tls-cert FILE --tls-key FILE]
//!                [--metrics-addr ADDR] [--metrics-token-file F] [every limit ...]
//! ```
//!
//! Every setting is also an environment variable (`SYNCWIRE_<NAME>`, e.g.
//! `SYNCWIRE_TOKEN`) and a key of the TOML config file (`--config` or
//! `SYNCWIRE_CONFIG`); flags override env, env overrides the file, the file overrides
//! the defaults. `--print-config` prints the effective configuration as a config file
//! (secrets left out) and exits. The settings are declared in `settings`, layered by
//! `layers` and `load`, turned into the library's `ServerConfig` by `apply`.
//!
//! Logging goes to stderr through `tracing` (filter with `RUST_LOG`, default `info`).
//! Once listening, one line `syncwire listening on ADDR` is printed to stdout (then
//! `syncwire metrics on ADDR` if /metrics has a listener of its own).
//! SIGINT and SIGTERM shut the server down gracefully (sessions get close 1001).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Arg, ArgAction, ArgMatches, Command};
use syncwire_tokio::server::Server;

use load::Inputs;
use settings::Settings;

#[macro_use]
#[path = "syncwire/layers.rs"]
mod layers;
#[path = "syncwire/apply.rs"]
mod apply;
#[cfg(test)]
#[path = "syncwire/apply_tests.rs"]
mod apply_tests;
#[path = "syncwire/auth.rs"]
mod auth;
#[cfg(test)]
#[path = "syncwire/config_tests.rs"]
mod config_tests;
#[path = "syncwire/load.rs"]
mod load;
#[path = "syncwire/settings.rs"]
mod settings;

/// The command line: `syncwire serve` with `--config`, `--print-config` and one flag
/// per setting.
fn cli() -> Command {
    let serve = Command::new("serve")
        .about("Run the hub server.")
        .arg(
            Arg::new("config")
                .long("config")
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .help("TOML config file (keys: the settings' names) [env SYNCWIRE_CONFIG]"),
        )
        .arg(
            Arg::new("print-config")
                .long("print-config")
                .action(ArgAction::SetTrue)
                .help("Print the effective configuration as TOML (no secrets) and exit"),
        )
        .args(load::args::<Settings>());
    Command::new("syncwire")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Real-time CRDT sync hub")
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(serve)
}

/// Installs the SIGTERM and SIGINT handlers now (so a signal that arrives as soon as
/// the server announces itself is not fatal) and returns the future that completes on
/// the first of them.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let handlers = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    );
    async move {
        let (Ok(mut term), Ok(mut int)) = handlers else {
            tracing::error!("cannot install signal handlers; stop with SIGKILL");
            return std::future::pending().await;
        };
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
            _ = int.recv() => tracing::info!("SIGINT: shutting down"),
        }
    }
}

/// Loads the configuration of `syncwire serve` from `matches` and the environment.
fn configure(
    matches: &ArgMatches,
    env: &std::collections::BTreeMap<String, String>,
) -> Result<load::Loaded<Settings>, layers::ConfigError> {
    let flags = load::given_flags::<Settings>(matches);
    let file = load::config_path(
        matches.get_one::<PathBuf>("config").map(PathBuf::as_path),
        env,
    );
    load::load(&Inputs {
        file,
        env,
        flags: &flags,
    })
}

async fn serve(matches: ArgMatches) -> Result<(), String> {
    let env = load::process_env();
    let loaded = configure(&matches, &env).map_err(|e| e.to_string())?;
    if matches.get_flag("print-config") {
        apply::build(&loaded, apply::Files::Skip).map_err(|e| e.to_string())?;
        print!("{}", load::print(&loaded));
        return Ok(());
    }
    let config = apply::build(&loaded, apply::Files::Read).map_err(|e| e.to_string())?;
    if matches!(loaded.source("token"), layers::Source::Flag(_)) {
        tracing::warn!(
            "--token is visible to every local user (ps); prefer SYNCWIRE_TOKEN or a config file"
        );
    }
    if loaded.settings.open == Some(true) {
        tracing::warn!("open mode: every client may read and write every room");
        eprintln!(
            "\n*** WARNING: syncwire runs in OPEN mode (--open): anyone who reaches this\n\
             *** port may read and write every room. Development only; see docs/AUTH.md.\n"
        );
    }
    let shutdown = shutdown_signal();
    let server = Server::bind(config).await.map_err(|e| e.to_string())?;
    println!("syncwire listening on {}", server.local_addr());
    if let Some(metrics) = server.metrics_addr() {
        println!("syncwire metrics on {metrics}");
    }
    let tls = server.is_tls();
    let path = loaded.settings.path.clone().unwrap_or_default();
    tracing::info!(addr = %server.local_addr(), %path, tls, "listening");
    server.run_until(shutdown).await.map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let matches = cli().get_matches();
    let Some(("serve", serve_matches)) = matches.subcommand() else {
        eprintln!("syncwire: unknown command (try `syncwire serve --help`)");
        return ExitCode::FAILURE;
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("syncwire: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(serve_matches.clone())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("syncwire: {e}");
            ExitCode::FAILURE
        }
    }
}
