//! The client's I/O task (run with `spawn_local`): owns the WebSocket, the timer
//! and the page listeners, and nothing else.
//!
//! Loop: drain the session (frames, transport commands, deadline) and save it if
//! it changed → send frames → perform transport commands → wait for whichever
//! comes first: a socket event, the deadline (checked with `now >= deadline`
//! here), a wake-up from a handle, or a page signal (`online`, `offline`,
//! `visibilitychange`).
//!
//! Each connection attempt goes to the next hub URL (round-robin, `HubUrls`).
//! Before each connection attempt the page's token getter, if any, is awaited
//! (bounded; `token`).
//!
//! Browser realities: while `navigator.onLine` is false no connection is
//! attempted (an `Open` fails at once and the session backs off); going offline
//! drops the current socket (the browser may not notice for minutes); coming
//! online or becoming visible while backing off reconnects at once.

use std::future::{Future, poll_fn};
use std::rc::Rc;
use std::task::Poll;

use futures_util::StreamExt;
use syncwire_driver_core::{Clock, HubUrls, Session, SharedSession, WakeReceiver};
use syncwire_proto::client::{ClientState, ConnectionId, TransportClosed, TransportCommand};

use crate::browser::BrowserSignals;
use crate::clock::BrowserClock;
use crate::socket::{Socket, SocketEvent};
use crate::store::Store;
use crate::timer::Sleep;
use crate::token::{NextToken, TokenGetter, next_token};

enum Wake {
    Socket(SocketEvent),
    Deadline,
    Handle(bool),
    Page,
}

/// Runs the session until it is closed or has failed for good.
pub(crate) async fn run(
    shared: SharedSession,
    mut wake: WakeReceiver,
    urls: HubUrls,
    store: Option<Rc<Store>>,
    tokens: TokenGetter,
) {
    let mut signals = BrowserSignals::install();
    let mut sock: Option<(ConnectionId, Socket)> = None;
    let mut online = BrowserSignals::online();
    // Connection attempts so far: each goes to the next URL (`HubUrls`).
    let mut attempts = 0usize;
    loop {
        let (mut drained, stopped) = {
            let mut s = Session::lock(&shared);
            let drained = s.drain();
            if let Some(store) = &store {
                store.save_if_changed(&s);
            }
            (drained, s.client().state().is_stopped())
        };
        let mut lost: Option<(ConnectionId, TransportClosed)> = None;
        if let Some((conn, ws)) = sock.as_ref() {
            for frame in &drained.take_transmits() {
                if let Err(e) = ws.send(frame) {
                    lost = Some((*conn, TransportClosed::failed(e)));
                    break;
                }
            }
        }
        if lost.is_some() {
            sock = None;
        }
        for cmd in drained.take_transport() {
            match cmd {
                TransportCommand::Open { conn } => {
                    if let Some((_, old)) = sock.take() {
                        old.close(syncwire_proto::wire::CloseCode::NORMAL, "");
                    }
                    if !online {
                        lost = Some((conn, TransportClosed::failed("the browser is offline")));
                        continue;
                    }
                    match next_token(&tokens).await {
                        NextToken::Token(token) => {
                            let _ = Session::lock(&shared).set_token(Some(token));
                        }
                        NextToken::Keep => {}
                        NextToken::Failed(why) => {
                            lost = Some((conn, TransportClosed::failed(why)));
                            continue;
                        }
                    }
                    let url = urls.for_attempt(attempts);
                    attempts = attempts.wrapping_add(1);
                    match Socket::open(url) {
                        Ok(ws) => sock = Some((conn, ws)),
                        Err(e) => lost = Some((conn, TransportClosed::failed(e))),
                    }
                }
                TransportCommand::Close { conn, code, reason } => {
                    if sock.as_ref().is_some_and(|(c, _)| *c == conn) {
                        if let Some((_, old)) = sock.take() {
                            old.close(code, reason);
                        }
                    }
                }
            }
        }
        if let Some((conn, closed)) = lost {
            Session::lock(&shared).handle_transport_closed(conn, closed);
            continue;
        }
        if stopped && sock.is_none() {
            return;
        }
        let mut sleep = drained.deadline().map(|d| {
            Sleep::new(
                d.saturating_duration_since(BrowserClock.now())
                    .as_secs_f64()
                    * 1000.0,
            )
        });
        let event = poll_fn(|cx| {
            if let Some((_, ws)) = sock.as_mut() {
                if let Poll::Ready(ev) = ws.poll_event(cx) {
                    return Poll::Ready(Wake::Socket(ev));
                }
            }
            if let Some(sl) = sleep.as_mut() {
                if std::pin::Pin::new(sl).poll(cx).is_ready() {
                    return Poll::Ready(Wake::Deadline);
                }
            }
            if let Poll::Ready(w) = wake.poll_next_unpin(cx) {
                return Poll::Ready(Wake::Handle(w.is_some()));
            }
            if signals.poll_signal(cx).is_ready() {
                return Poll::Ready(Wake::Page);
            }
            Poll::Pending
        })
        .await;
        drop(sleep);
        let mut s = Session::lock(&shared);
        match event {
            Wake::Socket(ev) => {
                let Some(conn) = sock.as_ref().map(|(c, _)| *c) else {
                    continue;
                };
                match ev {
                    SocketEvent::Open => s.handle_transport_open(conn),
                    SocketEvent::Message(bytes) => s.handle_frame(conn, &bytes),
                    SocketEvent::Closed(closed) => {
                        sock = None;
                        s.handle_transport_closed(conn, closed);
                    }
                }
            }
            Wake::Deadline => {
                if drained.deadline().is_some_and(|d| BrowserClock.now() >= d) {
                    s.handle_timeout();
                }
            }
            Wake::Handle(alive) => {
                if !alive {
                    // The wake channel closed: the session is gone.
                    s.close();
                }
            }
            Wake::Page => {
                let now_online = BrowserSignals::online();
                if online && !now_online {
                    if let Some((conn, _)) = sock.take() {
                        s.handle_transport_closed(
                            conn,
                            TransportClosed::failed("the browser went offline"),
                        );
                    }
                }
                online = now_online;
                if online && BrowserSignals::visible() && s.client().state() == ClientState::Backoff
                {
                    s.connect();
                }
            }
        }
    }
}
