//! One task per WebSocket connection ([`serve`]): it owns the socket, forwards binary
//! messages to the hub task and writes the hub's frames back. Written once for every
//! server; the socket is the runtime's [`ServerSocket`] adapter.
//!
//! * Reading: each binary message goes to the hub as one frame (waiting when the
//!   hub's inbound queue is full, which stops reading: TCP pushes back). A text
//!   message is a protocol error (docs/PROTOCOL.md): the connection is closed with
//!   1002. WebSocket pings are answered by the WebSocket library; pongs are ignored.
//! * Writing: all frames already queued are fed to the socket, then flushed once
//!   (batching, [`write_outbound`]), then the flushed byte count is added to the
//!   connection's [`FlushedBytes`] for the hub (`handle_flushed`), which is what lets
//!   it release more output to a slow reader; a `Flushed` message is sent only when
//!   none is pending. A batch the peer does not take within
//!   [`ConnContext::write_timeout`] (the hub's heartbeat timeout) ends the connection
//!   without a close frame, which could not be sent either: a peer that stopped
//!   reading would otherwise hold its task, socket and queued frames for ever, after
//!   the hub had closed its session and given its slot to another.
//! * Closing: on a `Close` from the hub (in order, after earlier frames) or the kill
//!   switch (at once), a close frame with the code is sent (within [`CLOSE_WAIT`]);
//!   the peer's close reply is awaited for at most [`CLOSE_WAIT`] more. A close the client starts is answered with
//!   the client's code (the close handshake of RFC 6455 §5.5.1) before the socket is
//!   dropped. When the socket ends, the hub is told.

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use futures_channel::oneshot;
use futures_util::{SinkExt, StreamExt};
use syncwire_proto::wire::{CloseCode, SessionId};

use super::auth::UpgradeRequest;
use super::messages::ToHub;
use super::outbound_queue::{self, Receiver};
use super::runtime::{ServerRuntime, ServerSocket, timeout};
use super::{FeedHealth, ServerCounters};
use crate::Incoming;
use crate::Outgoing;
use crate::hub::{FlushedBytes, Outbound, write_outbound};

/// How long a closing connection waits for the peer's close reply.
pub const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// What a connection task needs besides its socket (cheap to clone; one per server).
#[derive(Clone, Debug)]
pub struct ConnContext<R> {
    pub(crate) hub: async_channel::Sender<ToHub>,
    pub(crate) outbound_capacity: usize,
    /// How long one batch of output may take to be written and flushed before the
    /// peer counts as gone (the hub's heartbeat timeout).
    pub(crate) write_timeout: Duration,
    pub(crate) counters: Arc<ServerCounters>,
    pub(crate) rt: R,
    /// Whether the tail feed reaches the shared log (shared-log mode only).
    pub(crate) feed: Option<FeedHealth>,
    /// Held while the task runs; shutdown waits until every clone is dropped.
    pub(crate) _alive: async_channel::Sender<()>,
}

impl<R: ServerRuntime> ConnContext<R> {
    /// Asks the hub task for a snapshot of its counters; `None` if it does not answer
    /// within `limit` (stopped or stuck).
    pub async fn hub_metrics(&self, limit: Duration) -> Option<syncwire_proto::hub::HubMetrics> {
        let (reply, answer) = oneshot::channel();
        let both = async {
            self.hub.send(ToHub::Metrics { reply }).await.ok()?;
            answer.await.ok()
        };
        timeout(&self.rt, limit, both).await.flatten()
    }

    /// Why storage does not work, if it does not: `None` while it works (`/health`
    /// answers 503 with [`StorageTrouble::message`] otherwise).
    pub fn storage_trouble(&self) -> Option<StorageTrouble> {
        if self.counters.storage_failed() {
            Some(StorageTrouble::Failed)
        } else if self.feed.as_ref().is_some_and(|f| !f.reachable()) {
            Some(StorageTrouble::Unreachable)
        } else {
            None
        }
    }
}

/// Why storage does not work ([`ConnContext::storage_trouble`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StorageTrouble {
    /// The storage backend is failed ([`ServerCounters::storage_failed`]): redb after
    /// an I/O error, until the worker reopened it (or for good, after an fsync
    /// error); Redis refused for its durability settings, until a connection passes
    /// the check again.
    Failed,
    /// The shared log (Redis) is unreachable, as the tail feed last found it.
    Unreachable,
}

impl StorageTrouble {
    /// The `/health` body: `storage failed` or `storage unreachable`.
    pub fn message(self) -> &'static str {
        match self {
            StorageTrouble::Failed => "storage failed",
            StorageTrouble::Unreachable => "storage unreachable",
        }
    }
}

/// Serves one accepted WebSocket until it closes; `upgrade` is the HTTP request that
/// opened it (for the authorizer; the hub drops it once the session is authorized).
/// By reference: an `async fn` keeps its by-value arguments twice in its state
/// (≈ 400 bytes per idle connection).
pub async fn serve<R: ServerRuntime, S: ServerSocket>(
    socket: &mut S,
    ctx: &ConnContext<R>,
    upgrade: Box<UpgradeRequest>,
) {
    ServerCounters::inc(&ctx.counters.connections_total);
    let (tx, mut rx) = outbound_queue::channel(ctx.outbound_capacity);
    let (kill_tx, mut kill) = oneshot::channel();
    let (reply_tx, reply) = oneshot::channel();
    let flushed = FlushedBytes::new();
    let opened = ToHub::Opened {
        outbound: tx,
        kill: kill_tx,
        flushed: flushed.clone(),
        reply: reply_tx,
        upgrade,
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
        None => close(socket, ctx, CloseCode::GOING_AWAY).await,
    }
    ServerCounters::inc(&ctx.counters.connections_closed);
}

/// This connection's session and its flushed-bytes counter.
#[derive(Clone, Copy)]
struct Conn<'a> {
    session: SessionId,
    flushed: &'a FlushedBytes,
}

enum Woken {
    Kill(Result<CloseCode, oneshot::Canceled>),
    Out(Option<Outbound>),
    Read(Option<Incoming>),
}

async fn run<R: ServerRuntime, S: ServerSocket>(
    socket: &mut S,
    ctx: &ConnContext<R>,
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
            if let Poll::Ready(out) = rx.poll_recv(cx) {
                return Poll::Ready(Woken::Out(out));
            }
            socket.poll_next_unpin(cx).map(Woken::Read)
        })
        .await;
        match woken {
            Woken::Kill(Ok(code)) => {
                close(socket, ctx, code).await;
                break;
            }
            // The hub dropped the switch without using it: the queue decides.
            Woken::Kill(Err(_)) => kill_live = false,
            Woken::Out(None) => {
                close(socket, ctx, CloseCode::GOING_AWAY).await;
                break;
            }
            Woken::Out(Some(first)) => {
                if !write_batch(socket, ctx, conn, rx, first).await {
                    break;
                }
            }
            Woken::Read(Some(Incoming::Binary(bytes))) => {
                if ctx.hub.send(ToHub::Frame { session, bytes }).await.is_err() {
                    close(socket, ctx, CloseCode::GOING_AWAY).await;
                    break;
                }
            }
            Woken::Read(Some(Incoming::Text)) => {
                ServerCounters::inc(&ctx.counters.text_rejected);
                close(socket, ctx, CloseCode::PROTOCOL_ERROR).await;
                break;
            }
            Woken::Read(Some(Incoming::Control)) => {}
            Woken::Read(Some(Incoming::Close(_))) => {
                answer_close(socket, ctx).await;
                break;
            }
            Woken::Read(Some(Incoming::Failed(_)) | None) => break,
        }
    }
    let _ = ctx.hub.send(ToHub::Closed { session }).await;
}

/// Writes `first` and everything else queued, flushes once and reports the bytes.
/// Returns `false` when the connection is finished (closed or failed).
async fn write_batch<R: ServerRuntime, S: ServerSocket>(
    socket: &mut S,
    ctx: &ConnContext<R>,
    conn: Conn<'_>,
    rx: &mut Receiver<Outbound>,
    first: Outbound,
) -> bool {
    let next = || rx.try_recv().ok();
    let write = write_outbound(socket, first, next, Outgoing::Binary);
    let written = match timeout(&ctx.rt, ctx.write_timeout, write).await {
        Some(Ok(written)) => written,
        Some(Err(_)) => return false,
        None => {
            ServerCounters::inc(&ctx.counters.writes_stalled);
            return false;
        }
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
            close(socket, ctx, code).await;
            false
        }
        None => true,
    }
}

/// Completes a close the client started (RFC 6455 §5.5.1): the WebSocket library
/// queued the reply echoing the client's code when it read the Close; closing the
/// sink sends it, so the client sees a clean close rather than a reset (1006 in a
/// browser). Bounded.
async fn answer_close<R: ServerRuntime, S: ServerSocket>(socket: &mut S, ctx: &ConnContext<R>) {
    let _ = timeout(&ctx.rt, CLOSE_WAIT, socket.close()).await;
}

/// Sends a close frame and waits for the peer to answer it, each for at most
/// [`CLOSE_WAIT`] (a peer that reads nothing takes no close frame either).
async fn close<R: ServerRuntime, S: ServerSocket>(
    socket: &mut S,
    ctx: &ConnContext<R>,
    code: CloseCode,
) {
    let reason = code.name().unwrap_or("closed").to_owned();
    let send = socket.send(Outgoing::Close(code, reason));
    if !matches!(timeout(&ctx.rt, CLOSE_WAIT, send).await, Some(Ok(()))) {
        return;
    }
    let drain = async {
        while let Some(msg) = socket.next().await {
            if matches!(msg, Incoming::Failed(_)) {
                break;
            }
        }
    };
    let _ = timeout(&ctx.rt, CLOSE_WAIT, drain).await;
}
