//! The client loop against a hub that welcomes the session and then stops reading:
//! the loop must not stay in the write for ever. Its write is bounded by the
//! heartbeat timeout, after which the session backs off and connects again.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use futures_util::Sink;
use syncwire_proto::client::{ClientConfig, ClientState, TransportClosed};
use syncwire_proto::wire::{CloseCode, Frame, SessionId, Welcome};

use crate::runtime::{ClientRuntime, Incoming};
use crate::{HubUrls, Session, SystemClock, run_client};

/// A socket that takes `writable` frames, then never has room for another, and
/// yields `incoming`, then nothing.
struct Stalling {
    incoming: VecDeque<Incoming>,
    writable: usize,
}

impl Stream for Stalling {
    type Item = Incoming;
    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Incoming>> {
        match self.incoming.pop_front() {
            Some(msg) => Poll::Ready(Some(msg)),
            None => Poll::Pending,
        }
    }
}

impl Sink<Bytes> for Stalling {
    type Error = String;
    fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), String>> {
        if self.writable > 0 {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending // the peer's window stays closed
        }
    }
    fn start_send(mut self: Pin<&mut Self>, _: Bytes) -> Result<(), String> {
        self.writable -= 1;
        Ok(())
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), String>> {
        Poll::Ready(Ok(()))
    }
    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), String>> {
        Poll::Ready(Ok(()))
    }
}

/// The first connect gives a [`Stalling`] socket that takes the `Hello` and answers
/// `Welcome`; later ones are refused. Counts the attempts.
#[derive(Clone)]
struct Runtime {
    connects: Arc<AtomicUsize>,
}

type Connect = std::future::Ready<Result<Stalling, TransportClosed>>;

impl ClientRuntime for Runtime {
    type Socket = Stalling;
    type Connect = Connect;
    type Sleep = Pin<Box<tokio::time::Sleep>>;

    fn connect(&self, _url: &str) -> Connect {
        if self.connects.fetch_add(1, SeqCst) > 0 {
            return std::future::ready(Err(TransportClosed::failed("refused")));
        }
        let welcome = Frame::Welcome(Welcome {
            version: syncwire_proto::wire::SUPPORTED_VERSIONS[0],
            session: SessionId(1),
            heartbeat_ms: 0,
            limits: syncwire_proto::hub::HubConfig::default().wire_limits(),
        });
        std::future::ready(Ok(Stalling {
            incoming: VecDeque::from([Incoming::Binary(welcome.encode().into())]),
            writable: 1,
        }))
    }

    fn sleep(&self, delay: Duration) -> Self::Sleep {
        Box::pin(tokio::time::sleep(delay))
    }

    fn close_in_background(&self, _socket: Stalling, _code: CloseCode, _reason: &str) {}
}

#[tokio::test]
async fn a_hub_that_stops_reading_ends_the_connection_within_the_heartbeat_timeout() {
    let config = ClientConfig {
        heartbeat_interval: Duration::from_millis(50),
        heartbeat_timeout: Duration::from_millis(300),
        ..ClientConfig::default()
    };
    let clock = SystemClock::default();
    let (shared, wake) = Session::new(config, Arc::new(clock)).unwrap();
    Session::lock(&shared).connect();
    let connects = Arc::new(AtomicUsize::new(0));
    let rt = Runtime {
        connects: connects.clone(),
    };
    let urls = HubUrls::new(["ws://127.0.0.1:1/sync"]).unwrap();
    let task = tokio::spawn(run_client(rt, shared.clone(), wake, urls, clock));

    // Welcomed, then its first `Ping` finds no room: the write stalls. Bounded: the
    // write bound (300 ms) with a wide margin.
    let state = || Session::lock(&shared).client().state();
    let mut welcomed = false;
    for _ in 0..500 {
        welcomed |= state() == ClientState::Connected;
        if welcomed && connects.load(SeqCst) >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(welcomed, "the session was welcomed");
    assert!(
        connects.load(SeqCst) >= 2,
        "the stalled connection ended and the session connected again; state {:?}",
        state()
    );
    Session::lock(&shared).close();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the loop ends once closed")
        .unwrap();
}
