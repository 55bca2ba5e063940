//! The receive-queue bound of [`Socket`], in headless Chromium against the real
//! hub of scripts/browser-test: a socket nobody polls while more than
//! [`RECEIVE_QUEUE`] messages arrive keeps a gap-free prefix of them, then reports
//! itself failed ("receive queue overflow") and delivers nothing more. (The I/O
//! task polls its socket after every message event, so only a socket left
//! unpolled can fill the queue; the session's reaction to the failure is the
//! ordinary reconnect and resume.)

use std::task::{Context, Poll};

use futures_util::task::noop_waker_ref;
use syncwire_proto::wire::Frame;
use wasm_bindgen_test::*;

use super::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The hub (baked in at compile time: the browser sees no environment).
const URL: &str = match option_env!("SYNCWIRE_TEST_URL") {
    Some(u) => u,
    None => "ws://127.0.0.1:18731/sync",
};

#[path = "../../tests/support/wait.rs"]
mod wait;
use wait::wait_until;

/// One poll of the socket, without waiting.
fn poll_now(sock: &mut Socket) -> Poll<SocketEvent> {
    sock.poll_event(&mut Context::from_waker(noop_waker_ref()))
}

#[wasm_bindgen_test]
async fn an_unpolled_socket_keeps_a_prefix_then_reports_overflow() {
    let mut sock = Socket::open(URL).expect("valid url");
    let mut opened = false;
    wait_until("the socket to open", 10.0, || {
        opened = opened || matches!(poll_now(&mut sock), Poll::Ready(SocketEvent::Open));
        opened
    })
    .await;
    // The hub answers every Ping with a Pong, also before Hello (PROTOCOL.md §3.11);
    // far below its frame burst (20,000), so none is rate-limited.
    let sent = RECEIVE_QUEUE as u64 + 200;
    for nonce in 0..sent {
        sock.send(&Frame::Ping { nonce }.encode()).expect("send");
    }
    // Not polled meanwhile: the pongs pile up until the bound is hit.
    let flag = sock.overflow.clone();
    wait_until("the receive queue to overflow", 15.0, || flag.get()).await;

    let mut nonces = Vec::new();
    let closed = loop {
        match poll_now(&mut sock) {
            Poll::Ready(SocketEvent::Message(bytes)) => match Frame::decode(&bytes) {
                Ok(Frame::Pong { nonce }) => nonces.push(nonce),
                other => panic!("not a pong: {other:?}"),
            },
            Poll::Ready(SocketEvent::Closed(closed)) => break closed,
            Poll::Ready(SocketEvent::Open) => panic!("opened twice"),
            Poll::Pending => panic!("pending before the overflow was reported"),
        }
    };
    assert_eq!(
        closed,
        TransportClosed::failed("receive queue overflow"),
        "the overflow is reported as a failed transport"
    );
    let prefix: Vec<u64> = (0..nonces.len() as u64).collect();
    assert_eq!(
        nonces, prefix,
        "the delivered messages are a gap-free prefix"
    );
    assert!(
        nonces.len() >= RECEIVE_QUEUE - 1 && (nonces.len() as u64) < sent,
        "the queue held {} messages (bound {RECEIVE_QUEUE})",
        nonces.len()
    );
    assert!(poll_now(&mut sock).is_pending(), "nothing after the report");
}
