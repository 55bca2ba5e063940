//! [`Server`]: binds the listener, starts the storage worker, the hub task and the
//! HTTP server, and shuts them down in order.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use syncwire_driver_core::hub::{HubCore, random_seed};
use syncwire_proto::hub::Hub;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

use super::clock::Clock;
use super::config::{ServerConfig, ServerError};
use super::connection::ConnContext;
use super::http::{AppState, router};
use super::hub_task::HubTask;
use super::messages::StorageTx;
use super::metrics::ServerMetrics;
use super::storage::{self, Backend};

/// A bound, not yet running server. See the [module docs](super) for the shape.
pub struct Server {
    config: ServerConfig,
    listener: TcpListener,
    backend: Box<dyn Backend>,
    local_addr: SocketAddr,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("local_addr", &self.local_addr)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Validates the config, opens storage and binds the listener.
    pub async fn bind(config: ServerConfig) -> Result<Server, ServerError> {
        config.validate()?;
        let backend = storage::open(&config.storage)?;
        let listener = TcpListener::bind(config.addr).await?;
        let local_addr = listener.local_addr()?;
        Ok(Server {
            config,
            listener,
            backend,
            local_addr,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until `shutdown` completes, then shuts down gracefully: stops accepting,
    /// lets storage finish (every accepted delta durable and acked), closes every
    /// session with `GOING_AWAY` (1001) and waits (up to `shutdown_grace`) for the
    /// connections to end.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        let Server {
            config,
            listener,
            backend,
            ..
        } = self;
        let metrics = Arc::new(ServerMetrics::default());
        let worker = storage::worker::spawn(
            backend,
            config.storage_capacity,
            config.storage_batch,
            metrics.clone(),
        )?;
        let mut hub_config = config.hub.clone();
        hub_config.authorizer = Some(config.authorizer.clone());
        hub_config.seed = random_seed();
        let clock = Clock::new();
        let hub = Hub::new(hub_config, clock.now())?;
        let (stop_tx, stop_rx) = watch::channel(false);
        let (hub_tx, hub_rx) = mpsc::channel(config.inbound_capacity);
        let (alive_tx, mut alive_rx) = mpsc::channel::<()>(1);
        let task = HubTask {
            core: HubCore::new(hub, StorageTx(worker.actions), metrics.hub.clone()),
            clock,
        };
        let grace = config.shutdown_grace;
        let hub_task = tokio::spawn(task.run(hub_rx, worker.completions, stop_rx.clone(), grace));
        let state = AppState {
            conn: ConnContext {
                hub: hub_tx,
                outbound_capacity: config.outbound_capacity,
                metrics: metrics.clone(),
                _alive: alive_tx,
            },
            metrics,
            read_buffer: config.ws_read_buffer,
            write_buffer: config.ws_write_buffer,
            max_message: config.hub.max_frame_bytes.saturating_mul(2),
        };
        let app = router(state, &config.ws_path, config.static_dir.clone());
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        });
        let mut stop = stop_rx;
        // Frames are small and latency-bound: without TCP_NODELAY, Nagle's algorithm
        // holds back replies for ~40 ms (docs/BENCHMARKS.md, reconnect + resume).
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|s| *s).await;
            })
            .await;
        tracing::info!("stopped accepting; draining the hub");
        let _ = hub_task.await;
        let joined = tokio::task::spawn_blocking(move || worker.thread.join());
        if !matches!(joined.await, Ok(Ok(()))) {
            tracing::error!("storage worker ended abnormally");
        }
        // Connections hold `_alive` clones until they end; `None` means all are gone.
        let _ = tokio::time::timeout(grace, alive_rx.recv()).await;
        served?;
        Ok(())
    }
}
