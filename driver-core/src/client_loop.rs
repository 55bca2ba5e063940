//! The client driver's I/O loop, written once for every runtime ([`run_client`]).
//!
//! Loop: drain the session (frames, transport commands, deadline) → write frames
//! (fed, then flushed once) → perform transport commands → wait for whichever comes
//! first: a message, the connect attempt finishing, the deadline (checked with
//! `now >= deadline` here, not trusted to the timer), or a wake-up from a handle.
//! The wait polls its four sources in an order that rotates every turn, so that no
//! busy source (a flood of messages, a handle applying operations in a loop) can
//! starve the others.
//!
//! A write is bounded by the session's heartbeat timeout: a hub (or a middlebox) that
//! keeps the TCP connection alive but stops reading would otherwise hold the loop in
//! the write for ever, with no deadline checked, no reconnect and a `close` that never
//! returns. A write that does not finish in time ends the connection like a failed
//! one: the session backs off and reconnects.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;

use bytes::Bytes;
use futures_util::future::{Either, select};
use futures_util::{SinkExt, StreamExt};
use syncwire_proto::client::{ConnectionId, TransportClosed, TransportCommand};
use syncwire_proto::wire::CloseCode;

use crate::clock::Clock;
use crate::hub_urls::HubUrls;
use crate::runtime::{ClientRuntime, Incoming};
use crate::session::{Session, SharedSession, WakeReceiver};

enum Woken<S> {
    Message(Option<Incoming>),
    Connected(Result<S, TransportClosed>),
    Deadline,
    Handle(bool),
}

/// Runs a session's I/O until it is closed or has failed for good. The driver spawns
/// this on its runtime right after [`Session::new`] and [`Session::connect`]. Each
/// connection attempt goes to the next of `urls` (round-robin, [`HubUrls`]).
pub async fn run_client<R: ClientRuntime>(
    rt: R,
    shared: SharedSession,
    mut wake: WakeReceiver,
    urls: HubUrls,
    clock: impl Clock,
) {
    // Connection attempts so far: each goes to the next URL (`HubUrls`).
    let mut attempts = 0usize;
    let mut ws: Option<(ConnectionId, R::Socket)> = None;
    let mut connecting: Option<(ConnectionId, R::Connect)> = None;
    let mut wake_open = true;
    let mut turn = 0usize;
    loop {
        let (mut drained, stopped, write_limit) = {
            let mut s = Session::lock(&shared);
            let limit = s.client().config().heartbeat_timeout;
            (s.drain(), s.client().state().is_stopped(), limit)
        };
        if let Some((conn, sock)) = ws.as_mut() {
            let written = write_within(&rt, write_limit, sock, drained.take_transmits()).await;
            if let Err(closed) = written {
                let conn = *conn;
                ws = None;
                Session::lock(&shared).handle_transport_closed(conn, closed);
                continue;
            }
        }
        for cmd in drained.take_transport() {
            match cmd {
                TransportCommand::Open { conn } => {
                    if let Some((_, old)) = ws.take() {
                        rt.close_in_background(old, CloseCode::NORMAL, "");
                    }
                    // A fresh token for this attempt's `Hello` (`tokens`).
                    Session::lock(&shared).refresh_token();
                    let url = urls.for_attempt(attempts);
                    attempts = attempts.wrapping_add(1);
                    connecting = Some((conn, rt.connect(url)));
                }
                TransportCommand::Close { conn, code, reason } => {
                    if connecting.as_ref().is_some_and(|(c, _)| *c == conn) {
                        connecting = None;
                    }
                    if ws.as_ref().is_some_and(|(c, _)| *c == conn) {
                        if let Some((_, old)) = ws.take() {
                            rt.close_in_background(old, code, reason);
                        }
                    }
                }
            }
        }
        if stopped && ws.is_none() && connecting.is_none() {
            return;
        }
        let deadline = drained.deadline();
        let mut sleep = deadline.map(|d| rt.sleep(d.saturating_duration_since(clock.now())));
        turn = turn.wrapping_add(1);
        let woken = poll_fn(|cx| {
            for i in 0..4 {
                let ready = match turn.wrapping_add(i) % 4 {
                    0 => match ws.as_mut() {
                        Some((_, sock)) => sock.poll_next_unpin(cx).map(Woken::Message),
                        None => Poll::Pending,
                    },
                    1 => match connecting.as_mut() {
                        Some((_, fut)) => Pin::new(fut).poll(cx).map(Woken::Connected),
                        None => Poll::Pending,
                    },
                    2 => match sleep.as_mut() {
                        Some(timer) => Pin::new(timer).poll(cx).map(|()| Woken::Deadline),
                        None => Poll::Pending,
                    },
                    _ if wake_open => wake.poll_next_unpin(cx).map(|w| Woken::Handle(w.is_some())),
                    _ => Poll::Pending,
                };
                if ready.is_ready() {
                    return ready;
                }
            }
            Poll::Pending
        })
        .await;
        drop(sleep);
        let mut s = Session::lock(&shared);
        let current = ws.as_ref().map(|(c, _)| *c);
        match woken {
            Woken::Message(msg) => {
                let Some(conn) = current else { continue };
                match msg {
                    Some(Incoming::Binary(bytes)) => s.handle_frame(conn, &bytes),
                    Some(Incoming::Text) => {
                        // Text messages are a protocol error (docs/PROTOCOL.md §1).
                        if let Some((_, old)) = ws.take() {
                            rt.close_in_background(old, CloseCode::PROTOCOL_ERROR, "text message");
                        }
                        let closed = TransportClosed::failed("hub sent a text message");
                        s.handle_transport_closed(conn, closed);
                    }
                    Some(Incoming::Close(frame)) => {
                        ws = None;
                        let closed = match frame {
                            Some((code, reason)) => TransportClosed::closed(code, reason),
                            None => TransportClosed::failed("closed without a code"),
                        };
                        s.handle_transport_closed(conn, closed);
                    }
                    Some(Incoming::Control) => {}
                    Some(Incoming::Failed(e)) => {
                        ws = None;
                        s.handle_transport_closed(conn, TransportClosed::failed(e));
                    }
                    None => {
                        ws = None;
                        let closed = TransportClosed::failed("connection ended");
                        s.handle_transport_closed(conn, closed);
                    }
                }
            }
            Woken::Connected(res) => {
                let Some((conn, _)) = connecting.take() else {
                    continue;
                };
                match res {
                    Ok(sock) => {
                        ws = Some((conn, sock));
                        s.handle_transport_open(conn);
                    }
                    Err(closed) => s.handle_transport_closed(conn, closed),
                }
            }
            Woken::Deadline => {
                if deadline.is_some_and(|d| clock.now() >= d) {
                    s.handle_timeout();
                }
            }
            Woken::Handle(alive) => {
                if !alive {
                    // The wake channel closed: the session is gone.
                    wake_open = false;
                    s.close();
                }
            }
        }
    }
}

/// Feeds every frame, then flushes once, within `limit`: a write that fails or does
/// not finish in time is the transport's end.
async fn write_within<R: ClientRuntime>(
    rt: &R,
    limit: std::time::Duration,
    sock: &mut R::Socket,
    frames: Vec<Bytes>,
) -> Result<(), TransportClosed> {
    if frames.is_empty() {
        return Ok(());
    }
    let write = std::pin::pin!(async {
        for frame in frames {
            sock.feed(frame).await?;
        }
        sock.flush().await
    });
    match select(write, rt.sleep(limit)).await {
        Either::Left((Ok(()), _)) => Ok(()),
        Either::Left((Err(e), _)) => Err(TransportClosed::failed(e)),
        Either::Right(((), _)) => Err(TransportClosed::failed(
            "the hub took no frame for the heartbeat timeout",
        )),
    }
}

/// Graceful close shared by the drivers' `SyncClient::close`: waits until the outbox
/// is empty and no local operation waits for its room ([`crate::Applied::Waiting`]),
/// the session stopped, or `give_up` completes, whichever is first; then closes the
/// session. Returns the number of local changes left unacknowledged (deltas in the
/// outbox plus operations still waiting).
pub async fn flush_and_close(shared: &SharedSession, give_up: impl Future<Output = ()>) -> usize {
    let mut events = Session::lock(shared).subscribe();
    let pending = |s: &SharedSession| {
        let s = Session::lock(s);
        s.unacknowledged() > 0 && !s.client().state().is_stopped()
    };
    let mut give_up = std::pin::pin!(give_up);
    while pending(shared) {
        // Every ack or state change is an event; wait for the next one.
        let next = poll_fn(|cx| {
            if give_up.as_mut().poll(cx).is_ready() {
                return Poll::Ready(false);
            }
            events.poll_next_unpin(cx).map(|e| e.is_some())
        })
        .await;
        if !next {
            break;
        }
    }
    let mut s = Session::lock(shared);
    let left = s.unacknowledged();
    s.close();
    left
}

#[cfg(test)]
#[path = "tests/write_stall.rs"]
mod write_stall_tests;
