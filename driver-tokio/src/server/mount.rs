//! The server as an axum [`Router`] to mount in an application's own axum server
//! ([`router`]), and [`SyncHub`], the handle that owns the hub behind it (its storage
//! worker and hub task) and stops it. [`Server`](super::Server) is built on the same
//! two: it serves the router on its own listener.
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use syncwire_tokio::server::{ServerConfig, Storage, router};
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let mut config = ServerConfig::new("127.0.0.1:0".parse()?); // the address is unused here
//! config.set_ws_path("/ws").set_storage(Storage::Redb { dir: "./data".into() });
//! let (sync, hub) = router(config)?; // routes /ws, /health, /metrics
//! let app = Router::new()
//!     .route("/", get(|| async { "my app" }))
//!     .nest("/sync", sync); // clients connect to ws://HOST/sync/ws
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app)
//!     .with_graceful_shutdown(hub.stopped()) // ends when the hub is told to stop
//!     .await?;
//! hub.shutdown().await; // storage drained, every session closed with 1001
//! # Ok(()) }
//! ```
//!
//! Lifecycle: [`router`] starts the hub task at once (call it inside a tokio runtime);
//! it runs until [`SyncHub::stop`] or [`SyncHub::shutdown`] is called or the
//! [`SyncHub`] is dropped. Stopping closes every session with `GOING_AWAY` (1001) after
//! storage has made every accepted delta durable; [`SyncHub::shutdown`] also waits for
//! that (within `shutdown_grace`). Requests to the router after the stop get 503 on
//! `/health` and a closed WebSocket.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use syncwire_driver_core::server::{HubServer, OpenedStorage, ServerCounters};
use tokio::sync::watch;

use super::http::{AppState, metrics_router, router as http_router};
use super::runtime::TokioServer;
use super::{ServerConfig, ServerError};

/// Validates `config`, opens its storage and starts the hub; returns the router of
/// its routes (the WebSocket endpoint at [`ServerConfig::ws_path`], `/health`,
/// `/metrics` unless [`ServerConfig::metrics_addr`] is set, static files if
/// [`ServerConfig::static_dir`] is set) and the hub's handle. [`ServerConfig::addr`] is
/// not used; TLS is the application's server's ([`ServerConfig::tls`] set is
/// [`ServerError::Config`]). So are connections before their WebSocket upgrade:
/// [`ServerConfig::max_pending_upgrades`] and the bound `handshake_timeout` puts on
/// that phase apply to [`Server::run_until`](super::Server::run_until)'s own accept
/// loop, not here (docs/DEPLOYMENT.md §4). Must be called within a tokio runtime.
pub fn router(config: ServerConfig) -> Result<(Router, SyncHub), ServerError> {
    if config.tls().is_some() {
        let why = "a mounted router does not terminate TLS: the application's server does";
        return Err(ServerError::Config(why.to_owned()));
    }
    let storage = config.open()?;
    start(&config, storage)
}

/// Starts the hub on opened storage and builds the router ([`router`] and
/// [`Server::run_until`](super::Server::run_until)).
pub(super) fn start(
    config: &ServerConfig,
    storage: OpenedStorage,
) -> Result<(Router, SyncHub), ServerError> {
    let counters = Arc::new(ServerCounters::default());
    let (stop, stop_rx) = watch::channel(false);
    let hub = HubServer::start(
        TokioServer,
        config,
        storage,
        counters.clone(),
        stopped(stop_rx),
    )?;
    let state = AppState {
        conn: hub.context().clone(),
        metrics: counters,
        read_buffer: config.ws_read_buffer(),
        write_buffer: config.ws_write_buffer(),
        max_message: config.hub().max_frame_bytes.saturating_mul(2),
        metrics_token: config.metrics_token().map(Arc::from),
        allowed_origins: config.allowed_origins().into(),
    };
    let app = http_router(
        state.clone(),
        config.ws_path(),
        config.static_dir().map(Into::into),
        config.metrics_addr().is_none(),
    );
    Ok((app, SyncHub { hub, stop, state }))
}

/// Completes once `true` is sent or the sender is gone.
async fn stopped(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

/// The running hub behind a [`router`]: owns the hub task and the storage worker.
/// Dropping it stops the hub (as [`SyncHub::stop`]) without waiting.
pub struct SyncHub {
    hub: HubServer<TokioServer>,
    stop: watch::Sender<bool>,
    state: AppState,
}

impl std::fmt::Debug for SyncHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncHub")
            .field("stopped", &*self.stop.borrow())
            .finish_non_exhaustive()
    }
}

impl SyncHub {
    /// `/metrics` alone (token-checked if [`ServerConfig::metrics_token`] is set), to
    /// serve where the application chooses, e.g. on a private listener when
    /// [`ServerConfig::metrics_addr`] kept it off the main router.
    pub fn metrics_router(&self) -> Router {
        metrics_router(self.state.clone())
    }

    /// Tells the hub to stop: it makes every accepted delta durable, then closes every
    /// session with `GOING_AWAY` (1001). Returns at once; idempotent.
    pub fn stop(&self) {
        self.stop.send_replace(true);
    }

    /// A future that completes once the hub is told to stop (for axum's
    /// `with_graceful_shutdown`, so that the application's server stops with it).
    pub fn stopped(&self) -> impl Future<Output = ()> + Send + 'static {
        stopped(self.stop.subscribe())
    }

    /// A future that tells the hub to stop once `shutdown` completes (for a task).
    pub(super) fn stop_on(
        &self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> impl Future<Output = ()> + Send + 'static {
        let stop = self.stop.clone();
        async move {
            shutdown.await;
            stop.send_replace(true);
        }
    }

    /// Stops the hub and waits for it: storage drained, the hub task and storage
    /// worker ended, the connections closed (at most `shutdown_grace`).
    pub async fn shutdown(self) {
        self.stop();
        let SyncHub { hub, stop, state } = self;
        drop(state);
        hub.finish().await;
        drop(stop);
    }
}
