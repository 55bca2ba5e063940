//! The limits of [`ServerConfig`]: the hub's configuration (its own limits and
//! timeouts), each connection's WebSocket buffers and outbound queue, the connections
//! → hub queue, the connections before their WebSocket upgrade, and shutdown.

use std::time::Duration;

use syncwire_proto::hub::HubConfig;

use super::ServerConfig;

impl ServerConfig {
    /// The largest [`max_pending_upgrades`](Self::max_pending_upgrades) accepted
    /// (1,048,576): far more sockets than a server holds, and small enough that the
    /// cap's semaphore and shutdown's wait for those connections stay cheap.
    pub const MAX_PENDING_UPGRADES: usize = 1 << 20;

    /// The hub state machine's configuration (limits such as `max_user_info_bytes`
    /// and `max_presence_bytes` included). Its `authorizer` is replaced by the server's
    /// ([`ServerConfig::set_authorizer`]). Its `merger` (default: the built-in
    /// [`Registry`](syncwire_proto::crdt::Registry)) decides which CRDT types rooms may
    /// have: joins of other types are refused; register custom types there. The
    /// storage backend folds snapshots with the same merger. Its `handshake_timeout`
    /// also bounds each connection from accept to its WebSocket upgrade: the tokio
    /// and async-std servers (`Server::run_until`) close one that has not upgraded by
    /// then (docs/DEPLOYMENT.md §0). Not the tokio driver's `router()`, served by the
    /// application's own `axum::serve`: there the application bounds that phase
    /// (docs/DEPLOYMENT.md §4).
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

    /// Most connections between TCP accept and WebSocket upgrade at once (default
    /// 1024, at least 1, at most [`MAX_PENDING_UPGRADES`](Self::MAX_PENDING_UPGRADES)):
    /// their TLS handshake, if the server terminates TLS, and their HTTP requests. At
    /// the cap a server accepts nothing more: further connections wait in the
    /// kernel's accept backlog (neither refused nor lost) until one of these upgrades
    /// or closes. An upgraded connection no longer counts (the hub's `max_sessions`
    /// bounds those); each of these is also bounded in time, by the hub's
    /// `handshake_timeout` (docs/DEPLOYMENT.md §0). The tokio server's separate
    /// `/metrics` listener ([`metrics_addr`](Self::metrics_addr)) has a cap of its own
    /// of this size. This applies to the servers' own accept loops
    /// (`Server::run_until` of the tokio and async-std drivers), not to the tokio
    /// driver's `router()`: served by the application's own `axum::serve`, its
    /// connections before the upgrade are the application's to bound
    /// (docs/DEPLOYMENT.md §4).
    pub fn max_pending_upgrades(&self) -> usize {
        self.max_pending_upgrades
    }

    /// From accept to WebSocket upgrade, at most, in the servers' accept loops: the
    /// hub's `handshake_timeout`, a longer one counting as a year (a deadline that far
    /// away would overflow `Instant`, in the runtimes and in hyper).
    pub fn upgrade_bound(&self) -> Duration {
        const LONGEST: Duration = Duration::from_secs(365 * 24 * 3600);
        self.hub().handshake_timeout.min(LONGEST)
    }

    /// Sets [`max_pending_upgrades`](Self::max_pending_upgrades).
    pub fn set_max_pending_upgrades(&mut self, max_pending_upgrades: usize) -> &mut Self {
        self.max_pending_upgrades = max_pending_upgrades;
        self
    }

    /// How long shutdown waits for storage to finish and sessions to close.
    pub fn shutdown_grace(&self) -> Duration {
        self.shutdown_grace
    }

    /// Sets [`shutdown_grace`](Self::shutdown_grace).
    pub fn set_shutdown_grace(&mut self, shutdown_grace: Duration) -> &mut Self {
        self.shutdown_grace = shutdown_grace;
        self
    }
}
