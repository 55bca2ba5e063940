//! [`ServerConfig`] and [`ServerError`], shared by every server (tokio, async-std).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use syncwire_proto::hub::{AllowAll, ConfigError, HubConfig};

use super::auth::{Inline, ServerAuthorizer};

use super::storage_choice::Storage;
use thiserror::Error;

/// Everything a server's `Server::bind` needs (the tokio and async-std servers take
/// the same settings): [`ServerConfig::new`] gives the defaults, `set_*` change one
/// setting (chainable), and a getter of the same name reads it.
#[derive(Clone)]
pub struct ServerConfig {
    pub(crate) addr: SocketAddr,
    pub(crate) ws_path: String,
    pub(crate) storage: Storage,
    pub(crate) static_dir: Option<PathBuf>,
    pub(crate) hub: HubConfig,
    pub(crate) authorizer: Arc<dyn ServerAuthorizer>,
    pub(crate) auth_timeout: std::time::Duration,
    pub(crate) allowed_origins: Vec<String>,
    pub(crate) ws_read_buffer: usize,
    pub(crate) ws_write_buffer: usize,
    pub(crate) outbound_capacity: usize,
    pub(crate) inbound_capacity: usize,
    pub(crate) storage_capacity: usize,
    pub(crate) storage_batch: usize,
    pub(crate) shutdown_grace: std::time::Duration,
    pub(crate) tls: Option<TlsFiles>,
    pub(crate) metrics_addr: Option<SocketAddr>,
    pub(crate) metrics_token: Option<String>,
}

/// PEM files of the certificate chain and private key a server terminates TLS with
/// ([`ServerConfig::set_tls`]). The files are read once, when the server binds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain, leaf first (what a CA hands out as `fullchain.pem`).
    pub cert_chain: PathBuf,
    /// The private key of the leaf certificate (PKCS#8, PKCS#1 or SEC1 PEM).
    pub private_key: PathBuf,
}

impl ServerConfig {
    /// Defaults: `127.0.0.1:8080`, `/sync`, memory storage, open authorization
    /// ([`AllowAll`]): suitable for tests and local development only.
    pub fn new(addr: SocketAddr) -> Self {
        ServerConfig {
            addr,
            ws_path: "/sync".to_owned(),
            storage: Storage::Memory,
            static_dir: None,
            hub: HubConfig::default(),
            authorizer: Arc::new(Inline(Arc::new(AllowAll))),
            auth_timeout: std::time::Duration::from_secs(5),
            allowed_origins: Vec::new(),
            ws_read_buffer: 4096,
            ws_write_buffer: 16 * 1024,
            outbound_capacity: 4096,
            inbound_capacity: 8192,
            storage_capacity: 65_536,
            storage_batch: 512,
            shutdown_grace: std::time::Duration::from_secs(10),
            tls: None,
            metrics_addr: None,
            metrics_token: None,
        }
    }
}

impl ServerConfig {
    /// Address to listen on (port 0 picks a free port; see `Server::local_addr`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Sets [`addr`](Self::addr).
    pub fn set_addr(&mut self, addr: SocketAddr) -> &mut Self {
        self.addr = addr;
        self
    }

    /// HTTP path of the WebSocket endpoint (default `/sync`).
    pub fn ws_path(&self) -> &str {
        &self.ws_path
    }

    /// Sets [`ws_path`](Self::ws_path).
    pub fn set_ws_path(&mut self, ws_path: impl Into<String>) -> &mut Self {
        self.ws_path = ws_path.into();
        self
    }

    /// Storage backend (default [`Storage::Memory`]).
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// Sets [`storage`](Self::storage).
    pub fn set_storage(&mut self, storage: Storage) -> &mut Self {
        self.storage = storage;
        self
    }

    /// Serve files from this directory at `/` (the demo page), if set. Only servers
    /// with an HTTP surface (tokio) serve files; the others refuse a config with it set.
    pub fn static_dir(&self) -> Option<&std::path::Path> {
        self.static_dir.as_deref()
    }

    /// Sets [`static_dir`](Self::static_dir).
    pub fn set_static_dir(&mut self, static_dir: Option<PathBuf>) -> &mut Self {
        self.static_dir = static_dir;
        self
    }

    /// The hub state machine's configuration (limits such as `max_user_info_bytes`
    /// and `max_presence_bytes` included). Its `authorizer` is replaced by the server's
    /// ([`ServerConfig::set_authorizer`]). Its `merger` (default: the built-in
    /// [`Registry`](syncwire_proto::crdt::Registry)) decides which CRDT types rooms may
    /// have: joins of other types are refused; register custom types there. The
    /// storage backend folds snapshots with the same merger. Its `handshake_timeout`
    /// also bounds each connection from accept to its WebSocket upgrade: every server
    /// closes one that has not upgraded by then (docs/DEPLOYMENT.md §0).
    pub fn hub(&self) -> &HubConfig {
        &self.hub
    }

    /// Sets [`hub`](Self::hub).
    pub fn set_hub(&mut self, hub: HubConfig) -> &mut Self {
        self.hub = hub;
        self
    }

    /// The hub configuration, to change some of its settings in place.
    pub fn hub_mut(&mut self) -> &mut HubConfig {
        &mut self.hub
    }

    /// WebSocket read buffer per connection, in bytes (tungstenite's default is 128 KiB;
    /// keep this small so that idle connections stay cheap). Default 4 KiB.
    pub fn ws_read_buffer(&self) -> usize {
        self.ws_read_buffer
    }

    /// Sets [`ws_read_buffer`](Self::ws_read_buffer).
    pub fn set_ws_read_buffer(&mut self, ws_read_buffer: usize) -> &mut Self {
        self.ws_read_buffer = ws_read_buffer;
        self
    }

    /// WebSocket write buffer target per connection, in bytes: frames are gathered up
    /// to this size before a `send` syscall. It is allocated as output arrives (an idle
    /// connection holds almost none of it) and kept at its high-water mark; 16 KiB
    /// (tungstenite's default is 128 KiB) takes a fan-out batch in a few syscalls
    /// (docs/BENCHMARKS.md).
    pub fn ws_write_buffer(&self) -> usize {
        self.ws_write_buffer
    }

    /// Sets [`ws_write_buffer`](Self::ws_write_buffer).
    pub fn set_ws_write_buffer(&mut self, ws_write_buffer: usize) -> &mut Self {
        self.ws_write_buffer = ws_write_buffer;
        self
    }

    /// Capacity of each connection's outbound queue, in messages (each message is the
    /// batch of frames one hub turn produced for the connection). Beyond it, a batch
    /// joins the last one queued: the bytes waiting for a connection are bounded by
    /// the hub's `max_backlog_bytes`, not by this count.
    pub fn outbound_capacity(&self) -> usize {
        self.outbound_capacity
    }

    /// Sets [`outbound_capacity`](Self::outbound_capacity).
    pub fn set_outbound_capacity(&mut self, outbound_capacity: usize) -> &mut Self {
        self.outbound_capacity = outbound_capacity;
        self
    }

    /// Capacity of the connections → hub queue, in messages.
    pub fn inbound_capacity(&self) -> usize {
        self.inbound_capacity
    }

    /// Sets [`inbound_capacity`](Self::inbound_capacity).
    pub fn set_inbound_capacity(&mut self, inbound_capacity: usize) -> &mut Self {
        self.inbound_capacity = inbound_capacity;
        self
    }

    /// Capacity of the hub → storage queue, in actions; overflow fails the action.
    pub fn storage_capacity(&self) -> usize {
        self.storage_capacity
    }

    /// Sets [`storage_capacity`](Self::storage_capacity).
    pub fn set_storage_capacity(&mut self, storage_capacity: usize) -> &mut Self {
        self.storage_capacity = storage_capacity;
        self
    }

    /// Most actions the storage worker executes in one transaction (group commit).
    pub fn storage_batch(&self) -> usize {
        self.storage_batch
    }

    /// Sets [`storage_batch`](Self::storage_batch).
    pub fn set_storage_batch(&mut self, storage_batch: usize) -> &mut Self {
        self.storage_batch = storage_batch;
        self
    }

    /// How long shutdown waits for storage to finish and sessions to close.
    pub fn shutdown_grace(&self) -> std::time::Duration {
        self.shutdown_grace
    }

    /// Sets [`shutdown_grace`](Self::shutdown_grace).
    pub fn set_shutdown_grace(&mut self, shutdown_grace: std::time::Duration) -> &mut Self {
        self.shutdown_grace = shutdown_grace;
        self
    }

    /// TLS termination (default `None`: plain `ws://`, for development or behind a
    /// reverse proxy that terminates TLS; docs/DEPLOYMENT.md). Only the tokio server
    /// terminates TLS; the async-std server refuses a config with it.
    pub fn tls(&self) -> Option<&TlsFiles> {
        self.tls.as_ref()
    }

    /// Sets [`tls`](Self::tls).
    pub fn set_tls(&mut self, tls: Option<TlsFiles>) -> &mut Self {
        self.tls = tls;
        self
    }
}

impl ServerConfig {
    /// Serve `/metrics` on this separate address instead of the main one (default
    /// `None`: on the main listener). Plain HTTP; keep it on a private interface. Only
    /// the tokio server serves `/metrics`; the async-std server refuses a config with it.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// Sets [`metrics_addr`](Self::metrics_addr).
    pub fn set_metrics_addr(&mut self, metrics_addr: Option<SocketAddr>) -> &mut Self {
        self.metrics_addr = metrics_addr;
        self
    }

    /// Bearer token `/metrics` requires (`Authorization: Bearer TOKEN`; a request
    /// without it gets 401), wherever it is served. Default `None`: no token. Only the
    /// tokio server serves `/metrics`; the async-std server refuses a config with it.
    pub fn metrics_token(&self) -> Option<&str> {
        self.metrics_token.as_deref()
    }

    /// Sets [`metrics_token`](Self::metrics_token).
    pub fn set_metrics_token(&mut self, metrics_token: Option<String>) -> &mut Self {
        self.metrics_token = metrics_token;
        self
    }
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("addr", &self.addr)
            .field("ws_path", &self.ws_path)
            .field("storage", &self.storage)
            .field("static_dir", &self.static_dir)
            .field("hub", &self.hub)
            .field("tls", &self.tls)
            .field("metrics_addr", &self.metrics_addr)
            .field(
                "metrics_token",
                &self.metrics_token.as_ref().map(|_| "<redacted>"),
            )
            .field("auth_timeout", &self.auth_timeout)
            .field("allowed_origins", &self.allowed_origins)
            .finish_non_exhaustive()
    }
}

/// Why the server could not start or stopped with an error.
#[derive(Debug, Error)]
pub enum ServerError {
    /// The hub configuration does not validate.
    #[error(transparent)]
    HubConfig(#[from] ConfigError),
    /// A server setting is unusable.
    #[error("invalid server config: {0}")]
    Config(String),
    /// Binding or serving the socket failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// The storage backend could not be opened.
    #[error("storage error: {0}")]
    Storage(String),
    /// The TLS certificate chain or private key could not be read or used.
    #[error("TLS setup failed: {0}")]
    Tls(String),
}

impl ServerConfig {
    /// Checks the settings the hub does not check itself (every server calls this in
    /// its `bind`). `/health` and `/metrics` are reserved for every server, so that a
    /// config works unchanged on each.
    pub fn validate(&self) -> Result<(), ServerError> {
        let bad = |m: &str| Err(ServerError::Config(m.to_owned()));
        if !self.ws_path.starts_with('/') {
            return bad("ws_path must start with '/'");
        }
        if ["/health", "/metrics"].contains(&self.ws_path.as_str()) {
            return bad("ws_path collides with /health or /metrics");
        }
        if self.ws_read_buffer == 0 || self.outbound_capacity == 0 {
            return bad("ws_read_buffer and outbound_capacity must be non-zero");
        }
        if self.auth_timeout.is_zero() {
            return bad("auth_timeout must be non-zero");
        }
        if self.inbound_capacity == 0 || self.storage_capacity == 0 || self.storage_batch == 0 {
            return bad("inbound_capacity, storage_capacity and storage_batch must be non-zero");
        }
        if self
            .metrics_token
            .as_ref()
            .is_some_and(|t| t.trim().is_empty())
        {
            return bad("metrics_token must not be empty");
        }
        self.hub.validate()?;
        Ok(())
    }
}
