//! [`Server`]: binds the listener (and the metrics listener, if separate), starts the
//! shared hub half (storage worker and hub task, from driver-core, through
//! [`mount`](super::mount)) and the HTTP server (connections until their upgrade:
//! [`accept`](super::accept)), and shuts them down in order.

use std::future::Future;
use std::net::SocketAddr;

use syncwire_driver_core::server::Bound;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::accept::Upgrades;
use super::mount::start;
use super::tls::acceptor;
use super::{ServerConfig, ServerError};

/// A bound, not yet running server. See the [module docs](super) for the shape.
pub struct Server {
    bound: Bound<TcpListener>,
    tls: Option<TlsAcceptor>,
    metrics: Option<(TcpListener, SocketAddr)>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("bound", &self.bound)
            .field("tls", &self.tls.is_some())
            .field("metrics_addr", &self.metrics_addr())
            .finish()
    }
}

impl Server {
    /// Validates the config, loads the TLS certificate and key (if
    /// [`ServerConfig::tls`] is set; a problem is [`ServerError::Tls`]), opens storage
    /// and binds the listener, and the metrics listener if
    /// [`ServerConfig::metrics_addr`] is set.
    pub async fn bind(config: ServerConfig) -> Result<Server, ServerError> {
        let tls = config.tls().map(acceptor).transpose()?;
        let metrics_addr = config.metrics_addr();
        let bound = Bound::bind(config, |addr| async move {
            let listener = TcpListener::bind(addr).await?;
            let local = listener.local_addr()?;
            Ok((listener, local))
        })
        .await?;
        let metrics = match metrics_addr {
            Some(addr) => {
                let listener = TcpListener::bind(addr).await?;
                let local = listener.local_addr()?;
                Some((listener, local))
            }
            None => None,
        };
        Ok(Server {
            bound,
            tls,
            metrics,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.bound.local_addr()
    }

    /// The address `/metrics` is served on when [`ServerConfig::metrics_addr`] is set
    /// (with the port the system picked if it was 0).
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(|(_, addr)| *addr)
    }

    /// Whether the server terminates TLS (clients then use `wss://`).
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Serves until `shutdown` completes, then shuts down gracefully: stops accepting,
    /// lets storage finish (every accepted delta durable and acked), closes every
    /// session with `GOING_AWAY` (1001) and waits (up to `shutdown_grace`) for the
    /// connections to end. A connection that has not upgraded to WebSocket within the
    /// hub's `handshake_timeout` of its accept is closed (module `accept`).
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        let (config, listener, storage) = self.bound.into_parts();
        let (app, hub) = start(&config, storage)?;
        let bound = config.upgrade_bound();
        let max_pending = config.max_pending_upgrades();
        let metrics = self.metrics.map(|(listener, _)| {
            let upgrades = Upgrades::new(hub.metrics_router(), None, bound, max_pending);
            tokio::spawn(upgrades.serve(listener, hub.stopped()))
        });
        let stopped = hub.stopped();
        let stopper = tokio::spawn(hub.stop_on(shutdown));
        Upgrades::new(app, self.tls, bound, max_pending)
            .serve(listener, stopped)
            .await;
        stopper.abort();
        tracing::info!("stopped accepting; draining the hub");
        hub.shutdown().await;
        if let Some(task) = metrics {
            let _ = task.await;
        }
        Ok(())
    }
}
