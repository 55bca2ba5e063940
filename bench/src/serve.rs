//! The server side of the load tool: `syncwire-bench serve <kind>` runs one server
//! on 127.0.0.1 (a port the OS picks) in this process, prints `LISTENING <addr>` on
//! stdout and serves until stdin closes. Each server runs in its own child process
//! so that its RSS can be measured alone.

use std::error::Error;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use syncwire_proto::crdt::{NoMerge, Registry};
use syncwire_tokio::server::{Server, ServerConfig, Storage};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::Kind;
use crate::baseline_server;

/// Read buffer per WebSocket connection, the same for both servers (syncwire's default).
pub const WS_READ_BUFFER: usize = 4096;
/// Write buffer per WebSocket connection, the same for both servers (syncwire's default).
pub const WS_WRITE_BUFFER: usize = 16 * 1024;

/// The syncwire server's configuration for load runs: memory storage, no rate
/// limits (the load is the point), appends in flight bounded only by memory.
pub fn syncwire_config(addr: SocketAddr) -> ServerConfig {
    let mut config = ServerConfig::new(addr);
    let hub = config.hub_mut();
    hub.rate_frames_per_sec = u32::MAX / 2;
    hub.rate_frame_burst = u32::MAX / 2;
    hub.rate_bytes_per_sec = u32::MAX / 2;
    hub.rate_byte_burst = u32::MAX / 2;
    hub.max_pending_appends = 1 << 20;
    hub.max_sessions = 20_000;
    hub.merger = Arc::new(NoMerge);
    config.set_ws_read_buffer(WS_READ_BUFFER);
    config.set_ws_write_buffer(WS_WRITE_BUFFER);
    config
}

/// How a syncwire server child differs from [`syncwire_config`].
#[derive(Clone, Debug, Default)]
pub struct ServeOptions {
    /// redb storage in this directory (the production configuration) instead of memory.
    pub redb: Option<PathBuf>,
    /// The built-in CRDT registry instead of `NoMerge`: payloads are validated and
    /// compaction folds snapshots.
    pub merge: bool,
    /// Redis storage at this URL (shared-log mode: several nodes serve one room).
    pub redis: Option<String>,
}

/// Runs the server of `kind` until stdin closes.
pub async fn serve(kind: Kind, options: ServeOptions) -> Result<(), Box<dyn Error>> {
    let addr: SocketAddr = "127.0.0.1:0".parse()?;
    let stdin_closed = async {
        let mut buf = [0u8; 64];
        let mut stdin = tokio::io::stdin();
        while matches!(stdin.read(&mut buf).await, Ok(n) if n > 0) {}
    };
    match kind {
        Kind::Syncwire | Kind::Durable => {
            let mut options = options;
            // As deployed: the built-in types and redb, in a fresh directory of its
            // own unless one was given.
            let temp = (kind == Kind::Durable && options.redb.is_none() && options.redis.is_none())
                .then(|| {
                    std::env::temp_dir().join(format!("syncwire-bench-{}", std::process::id()))
                });
            if kind == Kind::Durable {
                options.merge = true;
                options.redb = options.redb.or_else(|| temp.clone());
            }
            let mut config = syncwire_config(addr);
            if let Some(url) = options.redis {
                config.set_storage(Storage::Redis {
                    url,
                    wait_replicas: 0,
                    allow_unsafe_durability: false,
                });
            }
            if let Some(dir) = options.redb {
                config.set_storage(Storage::Redb { dir });
            }
            if options.merge {
                config.hub_mut().merger = Arc::new(Registry::with_builtin());
            }
            let server = Server::bind(config).await?;
            announce(server.local_addr()).await?;
            let served = server.run_until(stdin_closed).await;
            if let Some(dir) = temp {
                let _ = std::fs::remove_dir_all(dir);
            }
            served?;
        }
        Kind::Baseline => {
            let listener = tokio::net::TcpListener::bind(addr).await?;
            announce(listener.local_addr()?).await?;
            tokio::select! {
                r = baseline_server::run(listener) => r?,
                () = stdin_closed => {}
            }
        }
    }
    Ok(())
}

async fn announce(addr: SocketAddr) -> Result<(), Box<dyn Error>> {
    let mut out = tokio::io::stdout();
    out.write_all(format!("LISTENING {addr}\n").as_bytes())
        .await?;
    out.flush().await?;
    Ok(())
}
