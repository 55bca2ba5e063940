//! [`Server`]: binds the listener, starts the shared hub half (storage worker and hub
//! task, from driver-core) and the HTTP server, and shuts them down in order.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::serve::Listener;
use syncwire_driver_core::server::{Bound, HubServer, ServerCounters};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use super::http::{AppState, router};
use super::runtime::TokioServer;
use super::tls::{TlsListener, acceptor};
use super::{ServerConfig, ServerError};

/// A bound, not yet running server. See the [module docs](super) for the shape.
pub struct Server {
    bound: Bound<TcpListener>,
    tls: Option<TlsAcceptor>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("bound", &self.bound)
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

impl Server {
    /// Validates the config, loads the TLS certificate and key (if
    /// [`ServerConfig::tls`] is set; a problem is [`ServerError::Tls`]), opens storage
    /// and binds the listener.
    pub async fn bind(config: ServerConfig) -> Result<Server, ServerError> {
        let tls = config.tls().map(acceptor).transpose()?;
        let bound = Bound::bind(config, |addr| async move {
            let listener = TcpListener::bind(addr).await?;
            let local = listener.local_addr()?;
            Ok((listener, local))
        });
        Ok(Server {
            bound: bound.await?,
            tls,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.bound.local_addr()
    }

    /// Whether the server terminates TLS (clients then use `wss://`).
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Serves until `shutdown` completes, then shuts down gracefully: stops accepting,
    /// lets storage finish (every accepted delta durable and acked), closes every
    /// session with `GOING_AWAY` (1001) and waits (up to `shutdown_grace`) for the
    /// connections to end.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        let (config, listener, storage) = self.bound.into_parts();
        let metrics = Arc::new(ServerCounters::default());
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut hub_stop = stop_rx.clone();
        let hub_stopped = async move {
            let _ = hub_stop.wait_for(|s| *s).await;
        };
        let hub = HubServer::start(TokioServer, &config, storage, metrics.clone(), hub_stopped)?;
        let state = AppState {
            conn: hub.context().clone(),
            metrics,
            read_buffer: config.ws_read_buffer(),
            write_buffer: config.ws_write_buffer(),
            max_message: config.hub().max_frame_bytes.saturating_mul(2),
            allowed_origins: config.allowed_origins().into(),
        };
        let app = router(state, config.ws_path(), config.static_dir().map(Into::into));
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        });
        let mut stop = stop_rx;
        let stopped = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        let served = match self.tls {
            Some(tls) => {
                let timeout = config.hub().handshake_timeout;
                let listener = TlsListener::new(listener, tls, timeout);
                serve_on(listener, app, stopped).await
            }
            None => {
                // Frames are small and latency-bound: without TCP_NODELAY, Nagle's
                // algorithm holds back replies for ~40 ms (docs/BENCHMARKS.md,
                // reconnect + resume).
                let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
                    let _ = tcp.set_nodelay(true);
                });
                serve_on(listener, app, stopped).await
            }
        };
        tracing::info!("stopped accepting; draining the hub");
        hub.finish().await;
        served?;
        Ok(())
    }
}

/// axum's server on `listener` until `stopped` completes (then graceful shutdown).
async fn serve_on<L>(
    listener: L,
    app: axum::Router,
    stopped: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    L: Listener,
    L::Addr: std::fmt::Debug,
{
    axum::serve(listener, app)
        .with_graceful_shutdown(stopped)
        .await
}
