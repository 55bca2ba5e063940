//! One task per accepted TCP connection: the WebSocket handshake (only at the
//! configured path; anything else is answered 404), then the same connection
//! protocol as the tokio server:
//!
//! * Reading: each binary message goes to the hub as one frame (waiting when the hub's
//!   inbound queue is full, which stops reading: TCP pushes back). A text message is
//!   a protocol error: the connection is closed with 1002. Pings are answered by
//!   tungstenite; pongs are ignored.
//! * Writing: every frame already queued is fed, then flushed once (driver-core's
//!   `write_outbound`, shared with the tokio server), then the flushed byte count is
//!   added to the connection's `FlushedBytes` for the hub (which releases more output
//!   to slow readers); a `Flushed` message is sent only when none is pending.
//! * Closing: on a `Close` from the hub (in order) or the kill switch (at once), a
//!   close frame with the code is sent and the peer's reply awaited for at most
//!   [`CLOSE_WAIT`]. A close the client starts is answered with the client's code
//!   (RFC 6455 §5.5.1) before the socket is dropped. When the socket ends, the hub
//!   is told.

use std::future::poll_fn;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use async_std::channel::{Receiver, Sender};
use async_std::net::TcpStream;
use async_tungstenite::WebSocketStream;
use async_tungstenite::tungstenite::Message;
use async_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use async_tungstenite::tungstenite::http::StatusCode;
use async_tungstenite::tungstenite::protocol::frame::coding::CloseCode as WsCloseCode;
use async_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use futures_channel::oneshot;
use futures_util::StreamExt;
use syncwire_driver_core::hub::{FlushedBytes, Outbound, write_outbound};
use syncwire_proto::wire::{CloseCode, SessionId};

use super::hub_loop::ToHub;

/// How long a closing connection waits for the peer's close reply.
pub(crate) const CLOSE_WAIT: Duration = Duration::from_secs(2);

type Ws = WebSocketStream<TcpStream>;

/// What a connection task needs besides its socket.
#[derive(Clone, Debug)]
pub(crate) struct ConnContext {
    pub(crate) hub: Sender<ToHub>,
    pub(crate) ws_path: String,
    pub(crate) ws_config: WebSocketConfig,
    pub(crate) outbound_capacity: usize,
    /// Held while the task runs; shutdown waits until every clone is dropped.
    pub(crate) _alive: Sender<()>,
}

/// Handshakes and serves one connection until it closes.
// The path check's error type is tungstenite's handshake `ErrorResponse`, fixed by its API.
#[allow(clippy::result_large_err)]
pub(crate) async fn serve(tcp: TcpStream, ctx: ConnContext) {
    let _ = tcp.set_nodelay(true);
    let path = ctx.ws_path.clone();
    let check_path = move |req: &Request, resp: Response| {
        if req.uri().path() == path {
            Ok(resp)
        } else {
            let mut refusal = ErrorResponse::new(Some("not found".to_owned()));
            *refusal.status_mut() = StatusCode::NOT_FOUND;
            Err(refusal)
        }
    };
    let accepted =
        async_tungstenite::accept_hdr_async_with_config(tcp, check_path, Some(ctx.ws_config));
    let Ok(mut ws) = accepted.await else {
        return;
    };
    let (tx, mut rx) = async_std::channel::bounded(ctx.outbound_capacity);
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
            run(&mut ws, &ctx, conn, &mut rx, &mut kill).await
        }
        None => close(&mut ws, CloseCode::GOING_AWAY).await,
    }
}

enum Woken {
    Kill(Result<CloseCode, oneshot::Canceled>),
    Out(Option<Outbound>),
    Read(Option<Result<Message, async_tungstenite::tungstenite::Error>>),
}

/// This connection's session and its flushed-bytes counter.
#[derive(Clone, Copy)]
struct Conn<'a> {
    session: SessionId,
    flushed: &'a FlushedBytes,
}

async fn run(
    ws: &mut Ws,
    ctx: &ConnContext,
    conn: Conn<'_>,
    rx: &mut Receiver<Outbound>,
    kill: &mut oneshot::Receiver<CloseCode>,
) {
    let session = conn.session;
    let mut kill_live = true;
    loop {
        // Biased: the kill switch first, then output, then input.
        let woken = poll_fn(|cx| {
            if kill_live {
                if let Poll::Ready(k) = Pin::new(&mut *kill).poll(cx) {
                    return Poll::Ready(Woken::Kill(k));
                }
            }
            if let Poll::Ready(out) = rx.poll_next_unpin(cx) {
                return Poll::Ready(Woken::Out(out));
            }
            ws.poll_next_unpin(cx).map(Woken::Read)
        })
        .await;
        match woken {
            Woken::Kill(Ok(code)) => {
                close(ws, code).await;
                break;
            }
            // The hub dropped the switch without using it: the queue decides.
            Woken::Kill(Err(_)) => kill_live = false,
            Woken::Out(None) => {
                close(ws, CloseCode::GOING_AWAY).await;
                break;
            }
            Woken::Out(Some(first)) => {
                if !write_batch(ws, ctx, conn, rx, first).await {
                    break;
                }
            }
            Woken::Read(Some(Ok(Message::Binary(bytes)))) => {
                if ctx.hub.send(ToHub::Frame { session, bytes }).await.is_err() {
                    close(ws, CloseCode::GOING_AWAY).await;
                    break;
                }
            }
            Woken::Read(Some(Ok(Message::Text(_)))) => {
                close(ws, CloseCode::PROTOCOL_ERROR).await;
                break;
            }
            Woken::Read(Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)))) => {}
            Woken::Read(Some(Ok(Message::Close(_)))) => {
                answer_close(ws).await;
                break;
            }
            Woken::Read(Some(Err(_)) | None) => break,
        }
    }
    let _ = ctx.hub.send(ToHub::Closed { session }).await;
}

/// Writes `first` and everything else queued, flushes once and reports the bytes.
/// Returns `false` when the connection is finished (closed or failed).
async fn write_batch(
    ws: &mut Ws,
    ctx: &ConnContext,
    conn: Conn<'_>,
    rx: &mut Receiver<Outbound>,
    first: Outbound,
) -> bool {
    let next = || rx.try_recv().ok();
    let Ok(written) = write_outbound(ws, first, next, Message::Binary).await else {
        return false;
    };
    if conn.flushed.add(written.bytes) {
        let flushed = ToHub::Flushed {
            session: conn.session,
        };
        // A hub task that has ended has nothing left to release, and it queued this
        // connection's close before ending: keep going so the close frame is sent.
        let _ = ctx.hub.send(flushed).await;
    }
    match written.close {
        Some(code) => {
            close(ws, code).await;
            false
        }
        None => true,
    }
}

/// Completes a close the client started (RFC 6455 §5.5.1): tungstenite queued the
/// reply echoing the client's code when it read the Close; closing the sink flushes
/// it, so the client sees a clean close rather than a reset. Bounded.
async fn answer_close(ws: &mut Ws) {
    let _ = async_std::future::timeout(CLOSE_WAIT, futures_util::SinkExt::close(ws)).await;
}

/// Sends a close frame and waits (bounded) for the peer to answer it.
async fn close(ws: &mut Ws, code: CloseCode) {
    let frame = CloseFrame {
        code: WsCloseCode::from(code.0),
        reason: code.name().unwrap_or("closed").into(),
    };
    if ws.send(Message::Close(Some(frame))).await.is_err() {
        return;
    }
    let drain = async { while let Some(Ok(_)) = ws.next().await {} };
    let _ = async_std::future::timeout(CLOSE_WAIT, drain).await;
}
