//! [`ServerConfig`], the in-memory [`MemoryStore`] and [`ServerError`].

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use syncwire_proto::hub::{AllowAll, Authorizer, ConfigError, HubConfig, MemoryStorage};
use thiserror::Error;

/// The hub's room logs, in process memory (proto's `MemoryStorage`). Clones share
/// the same logs, so a [`Server`](super::Server) restarted with a clone of the store
/// resumes every room (within the process; nothing survives the process).
#[derive(Clone, Debug, Default)]
pub struct MemoryStore(pub(crate) Arc<Mutex<MemoryStorage>>);

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStore::default()
    }
}

/// Everything [`Server::bind`](super::Server::bind) needs.
#[derive(Clone)]
pub struct ServerConfig {
    /// Address to listen on (port 0 picks a free port; see `Server::local_addr`).
    pub addr: SocketAddr,
    /// HTTP path of the WebSocket endpoint (default `/sync`); other paths get 404.
    pub ws_path: String,
    /// Storage (in memory; durable storage is served by the tokio driver only).
    pub storage: MemoryStore,
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
    /// Capacity of each connection's outbound queue, in frames.
    pub outbound_capacity: usize,
    /// Capacity of the connections → hub queue, in messages.
    pub inbound_capacity: usize,
    /// Storage actions queued per hub turn before further ones fail (overflow outcome
    /// as in the tokio server: the hub answers `INTERNAL`).
    pub storage_capacity: usize,
    /// How long shutdown waits for sessions to close.
    pub shutdown_grace: std::time::Duration,
}

impl ServerConfig {
    /// Defaults: `/sync`, a new memory store, open authorization ([`AllowAll`]):
    /// suitable for tests and local development only.
    pub fn new(addr: SocketAddr) -> Self {
        ServerConfig {
            addr,
            ws_path: "/sync".to_owned(),
            storage: MemoryStore::new(),
            hub: HubConfig::default(),
            authorizer: Arc::new(AllowAll),
            ws_read_buffer: 4096,
            outbound_capacity: 4096,
            inbound_capacity: 8192,
            storage_capacity: 65_536,
            shutdown_grace: std::time::Duration::from_secs(10),
        }
    }

    /// Checks the settings the hub does not check itself.
    pub(crate) fn validate(&self) -> Result<(), ServerError> {
        let bad = |m: &str| Err(ServerError::Config(m.to_owned()));
        if !self.ws_path.starts_with('/') {
            return bad("ws_path must start with '/'");
        }
        if self.ws_read_buffer == 0 || self.outbound_capacity == 0 {
            return bad("ws_read_buffer and outbound_capacity must be non-zero");
        }
        if self.inbound_capacity == 0 || self.storage_capacity == 0 {
            return bad("inbound_capacity and storage_capacity must be non-zero");
        }
        self.hub.validate()?;
        Ok(())
    }
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("addr", &self.addr)
            .field("ws_path", &self.ws_path)
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
}
