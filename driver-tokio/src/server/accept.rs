//! The tokio server's connections from accept to WebSocket upgrade: the accept loop,
//! the TLS handshake (when the server terminates TLS), HTTP/1.1 with upgrades (hyper's
//! connection builder), the bounds on that phase, and graceful shutdown.
//!
//! Bounds (docs/DEPLOYMENT.md §0):
//!
//! * In number: at most `max_pending_upgrades` connections (a server setting,
//!   [`ServerConfig::max_pending_upgrades`], default 1024) are between accept and
//!   upgrade at once (TLS handshake, HTTP requests, the upgrade request), per listener
//!   (the separate `/metrics` listener has a cap of its own). At the cap the loop
//!   accepts nothing more: further connections wait in the kernel's backlog, neither
//!   refused nor lost, and the first of them is accepted as soon as one of these
//!   upgrades or closes. An upgraded connection no longer counts: from then on the
//!   hub's limits apply (`max_sessions`, heartbeat).
//! * In time: one `bound` (the hub's `handshake_timeout`) from accept. A connection
//!   that has not upgraded by then is told to finish (an idle one closes at once, a
//!   response being written may complete) and is closed at the latest one more `bound`
//!   later. The TLS handshake must finish within the first `bound`, each request head
//!   within `bound` of its start (hyper's `header_read_timeout`).
//!
//! Each connection is a task of its own, so a slow client never holds up the accept
//! loop. Shutdown stops accepting, tells every connection not yet upgraded to finish
//! (as above) and waits for them (it takes every slot of the cap: each connection
//! holds one until it upgrades or ends); upgraded connections belong to the hub, which
//! closes them itself.
//!
//! [`ServerConfig::max_pending_upgrades`]: super::ServerConfig::max_pending_upgrades

use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::time::{Instant, sleep_until, timeout_at};
use tokio_rustls::TlsAcceptor;

/// What a connection needs until its upgrade: the routes, the TLS acceptor if the
/// server terminates TLS, and the time bound; and the cap in number of the accept
/// loop.
#[derive(Clone)]
pub(super) struct Upgrades {
    app: Router,
    tls: Option<TlsAcceptor>,
    bound: Duration,
    /// Connections accepted and not yet upgraded (nor closed), at most.
    max_pending: u32,
}

impl Upgrades {
    /// Serves `app` (over TLS with `tls`), each connection bounded by `bound` until
    /// its upgrade, at most `max_pending` of them at once (see the
    /// [module docs](self)). A larger cap than tokio's semaphore takes at once
    /// (`u32::MAX` on 64-bit targets) counts as that: no system holds as many sockets.
    pub(super) fn new(
        app: Router,
        tls: Option<TlsAcceptor>,
        bound: Duration,
        max_pending: usize,
    ) -> Self {
        let max_pending = max_pending.min(Semaphore::MAX_PERMITS);
        let max_pending = u32::try_from(max_pending).unwrap_or(u32::MAX);
        Upgrades {
            app,
            tls,
            bound,
            max_pending,
        }
    }

    /// Accepts on `listener` until `stopped` completes; then stops accepting and waits
    /// for every connection not yet upgraded to end (at most two `bound`s).
    pub(super) async fn serve(self, listener: TcpListener, stopped: impl Future<Output = ()>) {
        let max_pending = self.max_pending;
        let slots = Arc::new(Semaphore::new(max_pending as usize));
        // Dropping `stop` tells the connections (their `changed()` completes).
        let (stop, stopping) = watch::channel(());
        let mut stopped = pin!(stopped);
        loop {
            let slot = tokio::select! {
                () = &mut stopped => break,
                slot = slots.clone().acquire_owned() => slot,
            };
            // The semaphore is never closed.
            let Ok(slot) = slot else { break };
            let (tcp, peer) = tokio::select! {
                () = &mut stopped => break,
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors and the like: let the system recover
                        // (axum's own listener does the same).
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
            };
            let (this, stopping) = (self.clone(), stopping.clone());
            tokio::spawn(async move {
                this.connection(tcp, peer, stopping).await;
                drop(slot);
            });
        }
        drop(listener);
        drop(stop);
        // Every connection task holds a slot until it ends.
        let _ = slots.acquire_many(max_pending).await;
    }

    /// One connection, from accept to its upgrade or its end.
    async fn connection(self, tcp: TcpStream, peer: SocketAddr, mut stopping: watch::Receiver<()>) {
        // Frames are small and latency-bound: without TCP_NODELAY, Nagle's algorithm
        // holds back replies for ~40 ms (docs/BENCHMARKS.md, reconnect + resume).
        let _ = tcp.set_nodelay(true);
        let finish_by = Instant::now() + self.bound;
        let closed_by = finish_by + self.bound;
        let served = async {
            let Some(acceptor) = &self.tls else {
                return self.http(tcp, finish_by, &mut stopping).await;
            };
            let handshake = timeout_at(finish_by, acceptor.accept(tcp));
            let tls = tokio::select! {
                tls = handshake => tls,
                _ = stopping.changed() => return Ok(()),
            };
            match tls {
                Ok(Ok(tls)) => self.http(tls, finish_by, &mut stopping).await,
                Ok(Err(e)) => Err(format!("TLS handshake failed: {e}")),
                Err(_) => Err("TLS handshake timed out".to_owned()),
            }
        };
        match timeout_at(closed_by, served).await {
            Ok(Ok(())) => {}
            Ok(Err(why)) => tracing::debug!(%peer, "connection ended: {why}"),
            Err(_) => tracing::debug!(%peer, "closed: no WebSocket upgrade in time"),
        }
    }

    /// HTTP/1.1 on `io` until the connection upgrades (the WebSocket then lives on in
    /// the task axum spawned for it) or ends; told to finish at `finish_by` or when
    /// the server stops.
    async fn http<I>(
        &self,
        io: I,
        finish_by: Instant,
        stopping: &mut watch::Receiver<()>,
    ) -> Result<(), String>
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(self.bound);
        let service = TowerToHyperService::new(self.app.clone());
        let mut conn = pin!(
            builder
                .serve_connection(TokioIo::new(io), service)
                .with_upgrades()
        );
        let mut finishing = false;
        loop {
            tokio::select! {
                served = conn.as_mut() => return served.map_err(|e| e.to_string()),
                _ = stopping.changed(), if !finishing => {}
                () = sleep_until(finish_by), if !finishing => {}
            }
            // No more requests: an idle connection closes, one being answered ends
            // after its response.
            finishing = true;
            conn.as_mut().graceful_shutdown();
        }
    }
}
