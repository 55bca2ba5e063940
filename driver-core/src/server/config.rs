//! [`ServerConfig`], the [`Storage`] choice and [`ServerError`], shared by every
//! server (tokio, async-std).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use syncwire_proto::hub::{AllowAll, Authorizer, ConfigError, HubConfig, MemoryStorage};
use thiserror::Error;

/// Room logs in process memory (proto's `MemoryStorage`) that outlive a server:
/// clones share the same logs, so a server restarted with a clone of the store
/// ([`Storage::Shared`]) resumes every room (within the process; nothing survives
/// the process). Two stores are equal when they share the same logs.
#[derive(Clone, Debug, Default)]
pub struct MemoryStore(pub(crate) Arc<Mutex<MemoryStorage>>);

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStore::default()
    }
}

impl PartialEq for MemoryStore {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for MemoryStore {}

/// Where the hub's room logs live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Storage {
    /// In process memory (proto's `MemoryStorage`): lost on exit. For tests and demos.
    Memory,
    /// In a [`MemoryStore`] the caller keeps, so a restarted server (in the same
    /// process) finds the rooms again. For tests and demos.
    Shared(MemoryStore),
    /// An embedded crash-safe redb database in this directory (created if missing).
    /// Every append is fsynced before the hub acks it.
    Redb {
        /// The data directory; the database file is `syncwire.redb` inside it.
        dir: PathBuf,
    },
}

/// Everything a server's `Server::bind` needs (the tokio and async-std servers take
/// the same settings).
#[derive(Clone)]
pub struct ServerConfig {
    /// Address to listen on (port 0 picks a free port; see `Server::local_addr`).
    pub addr: SocketAddr,
    /// HTTP path of the WebSocket endpoint (default `/sync`).
    pub ws_path: String,
    /// Storage backend.
    pub storage: Storage,
    /// Serve files from this directory at `/` (the demo page), if set. Only servers
    /// with an HTTP surface (tokio) serve files; the others refuse a config with it set.
    pub static_dir: Option<PathBuf>,
    /// The hub state machine's configuration (limits such as `max_user_info_bytes`
    /// and `max_presence_bytes` included). Its `authorizer` is replaced by
    /// [`ServerConfig::authorizer`]. Its `merger` (default: the built-in
    /// [`Registry`](syncwire_proto::crdt::Registry)) decides which CRDT types rooms may
    /// have: joins of other types are refused; register custom types there.
    pub hub: HubConfig,
    /// Decides who may connect and what each identity may do per room.
    pub authorizer: Arc<dyn Authorizer>,
    /// WebSocket read buffer per connection, in bytes (tungstenite's default is 128 KiB;
    /// keep this small so that idle connections stay cheap).
    pub ws_read_buffer: usize,
    /// WebSocket write buffer target per connection, in bytes: frames are gathered up
    /// to this size before a `send` syscall. It is allocated as output arrives (an idle
    /// connection holds almost none of it) and kept at its high-water mark; 16 KiB
    /// (tungstenite's default is 128 KiB) takes a fan-out batch in a few syscalls
    /// (docs/BENCHMARKS.md).
    pub ws_write_buffer: usize,
    /// Capacity of each connection's outbound queue, in messages (each message is the
    /// batch of frames one hub turn produced for the connection).
    pub outbound_capacity: usize,
    /// Capacity of the connections → hub queue, in messages.
    pub inbound_capacity: usize,
    /// Capacity of the hub → storage queue, in actions; overflow fails the action.
    pub storage_capacity: usize,
    /// Most actions the storage worker executes in one transaction (group commit).
    pub storage_batch: usize,
    /// How long shutdown waits for storage to finish and sessions to close.
    pub shutdown_grace: std::time::Duration,
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
            authorizer: Arc::new(AllowAll),
            ws_read_buffer: 4096,
            ws_write_buffer: 16 * 1024,
            outbound_capacity: 4096,
            inbound_capacity: 8192,
            storage_capacity: 65_536,
            storage_batch: 512,
            shutdown_grace: std::time::Duration::from_secs(10),
        }
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
        if self.inbound_capacity == 0 || self.storage_capacity == 0 || self.storage_batch == 0 {
            return bad("inbound_capacity, storage_capacity and storage_batch must be non-zero");
        }
        self.hub.validate()?;
        Ok(())
    }
}
