//! The `syncwire` binary: `syncwire serve` runs the hub server.
//!
//! ```text
//! syncwire serve --addr 127.0.0.1:8080 --data-dir ./data [--memory]
//!                [--token T | --token-file F | --open | --auth-url URL | JWT flags, see `auth`]
//!                [--allow-origin ORIGIN]... [--auth-timeout-ms MS]
//!                [--static-dir DIR] [--path /sync]
//!                [--tls-cert FILE --tls-key FILE]
//!                [limit flags, see `limits` and driver-tokio/README.md]
//! ```
//!
//! Logging goes to stderr through `tracing` (filter with `RUST_LOG`, default `info`).
//! Once listening, one line `syncwire listening on ADDR` is printed to stdout.
//! SIGINT and SIGTERM shut the server down gracefully (sessions get close 1001).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use auth::AuthArgs;
use clap::{Args, Parser, Subcommand};
use limits::LimitArgs;
use syncwire_tokio::proto::hub::{AllowAll, Authorizer};
use syncwire_tokio::server::{Server, ServerConfig, Storage, TlsFiles, TokenAuthorizer};

#[path = "syncwire/auth.rs"]
mod auth;
#[path = "syncwire/limits.rs"]
mod limits;

#[derive(Parser)]
#[command(name = "syncwire", version, about = "Real-time CRDT sync hub")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the hub server.
    Serve(Serve),
}

#[derive(Args)]
struct Serve {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Directory of the durable store.
    #[arg(long, default_value = "./data")]
    data_dir: PathBuf,
    /// Keep rooms in memory only (lost on exit; for tests and demos).
    #[arg(long)]
    memory: bool,
    /// Accept only this token (read-write on every room).
    #[arg(long, group = "auth")]
    token: Option<String>,
    /// Accept the tokens listed in this file (see driver-tokio/README.md).
    #[arg(long, group = "auth")]
    token_file: Option<PathBuf>,
    /// Accept every session with read-write access (development only).
    #[arg(long, group = "auth")]
    open: bool,
    /// Serve static files (the demo page) from this directory at `/`.
    #[arg(long)]
    static_dir: Option<PathBuf>,
    /// HTTP path of the WebSocket endpoint.
    #[arg(long, default_value = "/sync")]
    path: String,
    /// Terminate TLS with this certificate chain (PEM, leaf first); clients use wss://.
    #[arg(long, requires = "tls_key", value_name = "FILE")]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, requires = "tls_cert", value_name = "FILE")]
    tls_key: Option<PathBuf>,
    #[command(flatten)]
    auth: AuthArgs,
    #[command(flatten)]
    limits: LimitArgs,
}

fn authorizer(args: &Serve) -> Result<Arc<dyn Authorizer>, String> {
    if let Some(token) = &args.token {
        return Ok(Arc::new(TokenAuthorizer::single(token.clone())));
    }
    if let Some(file) = &args.token_file {
        return TokenAuthorizer::from_file(file)
            .map(|a| Arc::new(a) as Arc<dyn Authorizer>)
            .map_err(|e| e.to_string());
    }
    if let Some(jwt) = args.auth.authorizer()? {
        return Ok(jwt);
    }
    if args.open {
        tracing::warn!("open mode: every client may read and write every room");
        eprintln!(
            "\n*** WARNING: syncwire runs in OPEN mode (--open): anyone who reaches this\n\
             *** port may read and write every room. Development only; see docs/AUTH.md.\n"
        );
        return Ok(Arc::new(AllowAll));
    }
    Err(
        "choose an auth mode: --token T, --token-file F, a JWT key (--jwt-*), --auth-url or --open"
            .to_owned(),
    )
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

async fn serve(args: Serve) -> Result<(), String> {
    let mut config = ServerConfig::new(args.addr);
    match args.auth.http_authorizer()? {
        Some(http) => config.set_server_authorizer(http),
        None => config.set_authorizer(authorizer(&args)?),
    };
    config.set_ws_path(args.path.clone());
    args.auth.apply(&mut config);
    args.limits.apply(config.hub_mut());
    config.set_static_dir(args.static_dir.clone());
    config.set_storage(if args.memory {
        Storage::Memory
    } else {
        Storage::Redb {
            dir: args.data_dir.clone(),
        }
    });
    if let (Some(cert_chain), Some(private_key)) = (&args.tls_cert, &args.tls_key) {
        config.set_tls(Some(TlsFiles {
            cert_chain: cert_chain.clone(),
            private_key: private_key.clone(),
        }));
    }
    let shutdown = shutdown_signal();
    let server = Server::bind(config).await.map_err(|e| e.to_string())?;
    println!("syncwire listening on {}", server.local_addr());
    let tls = server.is_tls();
    tracing::info!(addr = %server.local_addr(), path = %args.path, tls, "listening");
    server.run_until(shutdown).await.map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("syncwire: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let Command::Serve(args) = cli.command;
    match runtime.block_on(serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("syncwire: {e}");
            ExitCode::FAILURE
        }
    }
}
