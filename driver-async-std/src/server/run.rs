//! [`Server`]: binds the listener, starts the shared hub half (driver-core), accepts
//! connections (WebSocket handshake at the configured path, 404 elsewhere), and shuts
//! down in order.
//!
//! Until its WebSocket upgrade a connection is bounded in number and in time
//! (docs/DEPLOYMENT.md §0):
//!
//! * In number: at most `max_pending_upgrades` (a server setting,
//!   [`ServerConfig::max_pending_upgrades`], default 1024) are between accept and
//!   upgrade at once. At the cap the loop accepts nothing more: further connections
//!   wait in the kernel's backlog, neither refused nor lost, and the first of them is
//!   accepted as soon as one of these upgrades or closes.
//! * In time: one that has not upgraded within the hub's `handshake_timeout` of its
//!   accept is closed.
//!
//! From the upgrade on, the hub's limits apply (`max_sessions`, heartbeat).
//!
//! Shutdown stops accepting, tells every connection not yet upgraded to stop (its
//! handshake is dropped and the connection closed, as the tokio server closes its
//! idle ones) and waits until each has ended, or upgraded just before (it is then
//! closed with `GOING_AWAY` (1001), the hub stopping already). This wait does not
//! depend on `handshake_timeout`, nor its cost on `max_pending_upgrades`.

use std::convert::Infallible;
use std::future::{Future, poll_fn};
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use async_lock::{Semaphore, SemaphoreGuardArc};
use async_std::net::{TcpListener, TcpStream};
use async_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use async_tungstenite::tungstenite::http::StatusCode;
use async_tungstenite::tungstenite::protocol::WebSocketConfig;
use futures_channel::{mpsc, oneshot};
use futures_util::future::{Either, FutureExt, Shared, select};
use futures_util::{StreamExt, pin_mut};
use syncwire_driver_core::server::auth::{UpgradeRequest, origin_allowed};
use syncwire_driver_core::server::{
    Bound, ConnContext, HubServer, ServerConfig, ServerCounters, ServerError, serve,
};

use super::runtime::{AsyncStdServer as AsyncStd, WsSocket};

/// A server with its listener bound and its storage open, not yet serving. See the
/// [module docs](super).
#[derive(Debug)]
pub struct Server(Bound<TcpListener>);

impl Server {
    /// Validates the config (static files are the tokio server's: a `static_dir` is
    /// refused), opens storage and binds the listener.
    pub async fn bind(config: ServerConfig) -> Result<Server, ServerError> {
        if config.static_dir().is_some() {
            let why = "static_dir is served by the tokio server only";
            return Err(ServerError::Config(why.to_owned()));
        }
        if config.tls().is_some() {
            let why = "TLS is terminated by the tokio server only (or by a reverse proxy)";
            return Err(ServerError::Config(why.to_owned()));
        }
        if config.metrics_addr().is_some() || config.metrics_token().is_some() {
            let why = "/metrics (metrics_addr, metrics_token) is served by the tokio server only";
            return Err(ServerError::Config(why.to_owned()));
        }
        let bound = Bound::bind(config, |addr| async move {
            let tcp = TcpListener::bind(addr).await?;
            tcp.local_addr().map(|at| (tcp, at))
        });
        bound.await.map(Server)
    }

    /// Where it listens: the configured address, with the port the system picked if
    /// it was 0.
    pub fn local_addr(&self) -> SocketAddr {
        self.0.local_addr()
    }

    /// Accepts connections until `shutdown` completes; then stops accepting, lets the
    /// hub finish its storage (each delta it accepted is durable and acked), sends
    /// every session `GOING_AWAY` (1001) and gives the connections up to
    /// `shutdown_grace` to end. A connection that has not completed its WebSocket
    /// handshake within the hub's `handshake_timeout` of its accept is closed; at
    /// most `max_pending_upgrades` are in their handshake at once. When `shutdown`
    /// completes, those still in their handshake are closed, and it returns only once
    /// each of them has ended.
    pub async fn run_until<F>(self, shutdown: F) -> Result<(), ServerError>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let (config, listener, storage) = self.0.into_parts();
        let counters = Arc::new(ServerCounters::default());
        // Sending on (or dropping) `stop_tx` stops the hub and every connection not
        // yet upgraded.
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let stopping = stop_rx.shared();
        let stopped = stopping.clone().map(drop);
        let hub = HubServer::start(AsyncStd, &config, storage, counters, stopped)?;
        let max_message = config.hub().max_frame_bytes.saturating_mul(2);
        let accept = Accept {
            ctx: hub.context().clone(),
            ws_path: Arc::from(config.ws_path()),
            allowed_origins: config.allowed_origins().into(),
            ws_config: WebSocketConfig::default()
                .read_buffer_size(config.ws_read_buffer())
                .write_buffer_size(config.ws_write_buffer())
                .max_message_size(Some(max_message))
                .max_frame_size(Some(max_message)),
            bound: config.upgrade_bound(),
            stopping,
        };
        let slots = Arc::new(Semaphore::new(config.max_pending_upgrades()));
        // Each connection not yet upgraded holds a clone of `pending`: once all are
        // dropped, `ended` yields `None`.
        let (pending, mut ended) = mpsc::channel::<Infallible>(0);
        let mut shutdown = pin!(shutdown);
        let mut incoming = listener.incoming();
        loop {
            // A slot first: at the cap, connections wait in the backlog.
            let slot = match select(shutdown.as_mut(), pin!(slots.acquire_arc())).await {
                Either::Left(_) => break,
                Either::Right((slot, _)) => slot,
            };
            let next = poll_fn(|cx| {
                if shutdown.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(None);
                }
                incoming.poll_next_unpin(cx)
            })
            .await;
            match next {
                None => break,
                Some(Ok(tcp)) => {
                    let held = Held {
                        _slot: slot,
                        _pending: pending.clone(),
                    };
                    async_std::task::spawn(accept.clone().serve(tcp, held));
                }
                // Out of descriptors or an aborted handshake: keep serving the others.
                Some(Err(_)) => async_std::task::sleep(Duration::from_millis(10)).await,
            }
        }
        drop(incoming);
        drop(listener);
        drop(accept);
        drop(pending);
        let _ = stop_tx.send(());
        // The connections not yet upgraded stop now; the hub drains meanwhile.
        while ended.next().await.is_some() {}
        hub.finish().await;
        Ok(())
    }
}

/// What a connection holds until it upgrades or ends: its slot of the cap, and its
/// place among those shutdown waits for.
struct Held {
    _slot: SemaphoreGuardArc,
    _pending: mpsc::Sender<Infallible>,
}

/// What a connection task needs to handshake and serve.
#[derive(Clone, Debug)]
struct Accept {
    ctx: ConnContext<AsyncStd>,
    ws_path: Arc<str>,
    allowed_origins: Arc<[String]>,
    ws_config: WebSocketConfig,
    /// From accept to upgrade, at most ([`ServerConfig::upgrade_bound`]).
    bound: Duration,
    /// Completes when the server stops: a handshake still running is then dropped.
    stopping: Shared<oneshot::Receiver<()>>,
}

impl Accept {
    /// The WebSocket handshake (only at the configured path, anything else is answered
    /// 404; an `Origin` not on the allow-list is answered 403), capturing the request
    /// for the authorizer, then the shared connection loop. The handshake holds `held`
    /// and is dropped (the connection closed) if not done within `bound`, or when the
    /// server stops.
    // The callback's error type is tungstenite's handshake `ErrorResponse`.
    #[allow(clippy::result_large_err)]
    async fn serve(self, tcp: TcpStream, held: Held) {
        let _ = tcp.set_nodelay(true);
        let mut upgrade = None;
        let check = |req: &Request, resp: Response| self.check(req, resp, &mut upgrade);
        let accepted =
            async_tungstenite::accept_hdr_async_with_config(tcp, check, Some(self.ws_config));
        let accepted = {
            let accepted = async_std::future::timeout(self.bound, accepted);
            pin_mut!(accepted);
            match select(accepted, self.stopping.clone()).await {
                Either::Left((accepted, _)) => accepted,
                Either::Right(_) => return,
            }
        };
        drop(held);
        if let (Ok(Ok(ws)), Some(upgrade)) = (accepted, upgrade) {
            serve(&mut WsSocket::new(ws), &self.ctx, upgrade).await;
        }
    }

    /// The handshake callback: path and origin checks, and the request captured.
    // The error type is tungstenite's handshake `ErrorResponse`, fixed by its API.
    #[allow(clippy::result_large_err)]
    fn check(
        &self,
        req: &Request,
        resp: Response,
        upgrade: &mut Option<Box<UpgradeRequest>>,
    ) -> Result<Response, ErrorResponse> {
        let refuse = |status: StatusCode, why: &str| {
            let mut refusal = ErrorResponse::new(Some(why.to_owned()));
            *refusal.status_mut() = status;
            Err(refusal)
        };
        if req.uri().path() != &*self.ws_path {
            return refuse(StatusCode::NOT_FOUND, "not found");
        }
        let origin = req.headers().get("origin");
        let origin = origin.map(|o| o.to_str().unwrap_or("\u{fffd}"));
        if !origin_allowed(&self.allowed_origins, origin) {
            return refuse(StatusCode::FORBIDDEN, "origin not allowed");
        }
        let query = req.uri().query().map(str::to_owned);
        let mut request = UpgradeRequest::new(req.uri().path(), query);
        for (name, value) in req.headers() {
            if let Ok(value) = value.to_str() {
                request.push_header(name.as_str(), value);
            }
        }
        *upgrade = Some(Box::new(request));
        Ok(resp)
    }
}
