//! [`ServerConfig`] and [`ServerError`], shared by every server (tokio, async-std).
//!
//! The settings are split by what they configure, each part with its getters and
//! setters: `endpoints` (where the server listens and what it serves there), `limits`
//! (the hub's configuration, connection buffers and queues, connections before their
//! upgrade, shutdown), `storage` (the backend and its queue), `auth` (who may connect,
//! the origin allow-list, the `/metrics` token) and `tls` ([`TlsFiles`]). This module
//! holds the settings themselves, their defaults and their validation; `error` holds
//! [`ServerError`].

mod auth;
mod endpoints;
mod error;
mod limits;
mod storage;
#[cfg(test)]
mod tests;
mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use syncwire_proto::hub::{AllowAll, HubConfig};

use super::auth::{Inline, ServerAuthorizer};

use super::storage_choice::Storage;

pub use error::ServerError;
pub use tls::TlsFiles;

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
    pub(crate) max_pending_upgrades: usize,
    pub(crate) storage_capacity: usize,
    pub(crate) storage_batch: usize,
    pub(crate) shutdown_grace: std::time::Duration,
    pub(crate) tls: Option<TlsFiles>,
    pub(crate) metrics_addr: Option<SocketAddr>,
    pub(crate) metrics_token: Option<String>,
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
            max_pending_upgrades: 1024,
            storage_capacity: 65_536,
            storage_batch: 512,
            shutdown_grace: std::time::Duration::from_secs(10),
            tls: None,
            metrics_addr: None,
            metrics_token: None,
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
            .field("tls", &self.tls)
            .field("metrics_addr", &self.metrics_addr)
            .field(
                "metrics_token",
                &self.metrics_token.as_ref().map(|_| "<redacted>"),
            )
            .field("auth_timeout", &self.auth_timeout)
            .field("allowed_origins", &self.allowed_origins)
            .field("max_pending_upgrades", &self.max_pending_upgrades)
            .finish_non_exhaustive()
    }
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
        if self.max_pending_upgrades == 0 {
            // Not one connection could be accepted.
            return bad("max_pending_upgrades must be at least 1");
        }
        if self.max_pending_upgrades > Self::MAX_PENDING_UPGRADES {
            return bad("max_pending_upgrades must be at most 1048576");
        }
        if self
            .metrics_token
            .as_ref()
            .is_some_and(|t| t.trim().is_empty())
        {
            return bad("metrics_token must not be empty");
        }
        self.storage.validate()?;
        self.hub.validate()?;
        Ok(())
    }
}
