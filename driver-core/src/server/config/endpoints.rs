//! Where a server listens and what it serves there: the address, the WebSocket path,
//! static files and the separate `/metrics` address of [`ServerConfig`].

use std::net::SocketAddr;
use std::path::PathBuf;

use super::ServerConfig;

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
}
