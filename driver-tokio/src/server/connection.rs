//! One task per WebSocket connection: it owns the socket, forwards binary messages to
//! the hub task and writes the hub's frames back.
//!
//! * Reading: each binary message goes to the hub as one frame. A text message is a
//!   protocol error (docs/PROTOCOL.md): the connection is closed with 1002. WebSocket
//!   pings are answered by tungstenite; pongs are ignored.
//! * Writing: all frames already queued are fed to the socket, then flushed once
//!   (batching), then the flushed byte count is added to the connection's
//!   [`FlushedBytes`] for the hub (`handle_flushed`), which is what lets it release
//!   more output to a slow reader; a `Flushed` message is sent only when none is
//!   pending.
//! * Closing: on a `Close` from the hub (in order, after earlier frames) or the kill
//!   switch (at once), a close frame with the code is sent; the peer's close reply is
//!   awaited for at most [`CLOSE_WAIT`]. A close the client starts is answered with
//!   the client's code (the close handshake of RFC 6455 §5.5.1) before the socket is
//!   dropped. When the socket ends, the hub is told.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use syncwire_driver_core::hub::{FlushedBytes, write_outbound};
use syncwire_proto::wire::{CloseCode, SessionId};
use tokio::sync::{mpsc, oneshot};

use super::messages::{Outbound, ToHub};
use super::metrics::ServerMetrics;
use super::outbound_queue::{self, Receiver};

/// How long a closing connection waits for the peer's close reply.
pub(crate) const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// What a connection task needs besides its socket.
#[derive(Clone)]
pub(crate) struct ConnContext {
    pub(crate) hub: mpsc::Sender<ToHub>,
    pub(crate) outbound_capacity: usize,
    pub(crate) metrics: Arc<ServerMetrics>,
    /// Held while the task runs; shutdown waits until every clone is dropped.
    pub(crate) _alive: mpsc::Sender<()>,
}

/// Serves one upgraded WebSocket until it closes. By reference: an `async fn` keeps
/// its by-value arguments twice in its state (≈ 400 bytes per idle connection).
pub(crate) async fn serve(socket: &mut WebSocket, ctx: &ConnContext) {
    ServerMetrics::inc(&ctx.metrics.connections_total);
    let (tx, mut rx) = outbound_queue::channel(ctx.outbound_capacity);
    let (kill_tx, mut kill) = oneshot::channel();
    let (reply_tx, reply) = oneshot::channel();
    let flushed = FlushedBytes::new();
    let opened = ToHub::Opened {
        outbound: tx,
        kill: kill_tx,
        flushed: flushed.clone(),
        reply: reply_tx,
    };
    let session = match ctx.hub.send(opened).await {
        Ok(()) => reply.await.ok().flatten(),
        Err(_) => None,
    };
    match session {
        Some(session) => {
            let conn = Conn {
                session,
                flushed: &flushed,
            };
            run(socket, ctx, conn, &mut rx, &mut kill).await
        }
        None => close(socket, CloseCode::GOING_AWAY).await,
    }
    ServerMetrics::inc(&ctx.metrics.connections_closed);
}

/// This connection's session and its flushed-bytes counter.
#[derive(Clone, Copy)]
struct Conn<'a> {
    session: SessionId,
    flushed: &'a FlushedBytes,
}

async fn run(
    socket: &mut WebSocket,
    ctx: &ConnContext,
    conn: Conn<'_>,
    rx: &mut Receiver<Outbound>,
    kill: &mut oneshot::Receiver<CloseCode>,
) {
    let session = conn.session;
    let mut kill_live = true;
    loop {
        tokio::select! {
            biased;
            code = &mut *kill, if kill_live => match code {
                Ok(code) => {
                    close(socket, code).await;
                    break;
                }
                // The hub dropped the switch without using it: the queue decides.
                Err(_) => kill_live = false,
            },
            out = rx.recv() => {
                let Some(first) = out else {
                    close(socket, CloseCode::GOING_AWAY).await;
                    break;
                };
                if !write_batch(socket, ctx, conn, rx, first).await {
                    break;
                }
            }
            msg = socket.recv() => match msg {
                Some(Ok(Message::Binary(bytes))) => {
                    if ctx.hub.send(ToHub::Frame { session, bytes }).await.is_err() {
                        close(socket, CloseCode::GOING_AWAY).await;
                        break;
                    }
                }
                Some(Ok(Message::Text(_))) => {
                    ServerMetrics::inc(&ctx.metrics.text_rejected);
                    close(socket, CloseCode::PROTOCOL_ERROR).await;
                    break;
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(_))) => {
                    answer_close(socket).await;
                    break;
                }
                Some(Err(_)) | None => break,
            },
        }
    }
    let _ = ctx.hub.send(ToHub::Closed { session }).await;
}

/// Writes `first` and everything else queued, flushes once and reports the bytes.
/// Returns `false` when the connection is finished (closed or failed).
async fn write_batch(
    socket: &mut WebSocket,
    ctx: &ConnContext,
    conn: Conn<'_>,
    rx: &mut Receiver<Outbound>,
    first: Outbound,
) -> bool {
    let next = || rx.try_recv().ok();
    let Ok(written) = write_outbound(socket, first, next, Message::Binary).await else {
        return false;
    };
    if conn.flushed.add(written.bytes) {
        let flushed = ToHub::Flushed {
            session: conn.session,
        };
        // A hub task that has ended (shutdown) has nothing left to release, and it
        // queued this connection's close before ending: keep going so that the close
        // frame is sent (giving up here dropped the socket without one).
        let _ = ctx.hub.send(flushed).await;
    }
    match written.close {
        Some(code) => {
            close(socket, code).await;
            false
        }
        None => true,
    }
}

/// Completes a close the client started (RFC 6455 §5.5.1): tungstenite queued the
/// reply echoing the client's code when it read the Close; flushing sends it, so the
/// client sees a clean close rather than a reset (1006 in a browser). Bounded.
async fn answer_close(socket: &mut WebSocket) {
    use futures_util::SinkExt;
    let _ = tokio::time::timeout(CLOSE_WAIT, socket.close()).await;
}

/// Sends a close frame and waits (bounded) for the peer to answer it.
async fn close(socket: &mut WebSocket, code: CloseCode) {
    let reason = code.name().unwrap_or("closed");
    let frame = CloseFrame {
        code: code.0,
        reason: reason.into(),
    };
    if socket.send(Message::Close(Some(frame))).await.is_err() {
        return;
    }
    let drain = async { while let Some(Ok(_)) = socket.recv().await {} };
    let _ = tokio::time::timeout(CLOSE_WAIT, drain).await;
}
