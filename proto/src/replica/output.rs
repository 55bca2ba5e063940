//! The driver's side of a [`Replica`]: its inputs (`handle_*`) and the one way
//! out, [`Output`] ([`poll_output`](super::Replica::poll_output)). This part owns
//! no data of its own; the outputs come from the client and the events are applied
//! by `documents.rs`.
//!
//! After every input or command the driver calls [`poll_output`](super::Replica::poll_output)
//! until it returns `None`, performing each [`Output`] as it comes, then
//! [`poll_timeout`](super::Replica::poll_timeout) to know when to call
//! [`handle_timeout`](super::Replica::handle_timeout) (once `now >= deadline`, checked by
//! the driver). Each call hands out the first output available in this order:
//! 1. [`Output::Transmit`]: a frame for the current connection (frames are built
//!    lazily from the session state, so nothing is queued for an undrained transmit);
//! 2. [`Output::Transport`]: open or close a connection. Each connection has a
//!    [`ConnectionId`]; the driver passes it back with every report, and reports
//!    about a connection the session already closed are ignored. Commands coalesce
//!    to at most a `Close` followed by an `Open`;
//! 3. [`Output::Event`]: an application event, applied to the documents (and the
//!    gate) before it is handed out. Applying it may produce frames (a waiting
//!    operation submitted once its room caught up): those come next.
//!
//! Reporting a transport result or issuing commands while handling outputs are
//! inputs too: poll again until `None`, then sleep until the next frame or the
//! deadline. Events are bounded by `max_queued_events`: when that many are undrained
//! and more hub deltas arrive, the connection is dropped
//! ([`SessionError::SlowApplication`](crate::client::SessionError::SlowApplication))
//! and resumes later from the last delivered offset, so no delta is lost; other
//! events beyond twice the bound are dropped and counted in
//! [`ClientMetrics::events_dropped`](crate::client::ClientMetrics::events_dropped).
//! Own logged deltas reach the application only in the replay after a `Joined`
//! with `resync` or without resume position (docs/PROTOCOL.md §8.2).
//!
//! `proto/tests/replica_loop.rs` drives a replica against a fake hub this way.
//!

use bytes::Bytes;

use crate::client::{ClientEvent, ConnectionId, TransportClosed, TransportCommand};
use crate::time::Instant;

use super::Replica;

/// One output for the driver, in the order [`Replica::poll_output`](super::Replica::poll_output)
/// hands them out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// An encoded frame for the current connection.
    Transmit(Bytes),
    /// Open or close a connection.
    Transport(TransportCommand),
    /// An application event, already applied to the room's document.
    Event(ClientEvent),
}

impl Replica {
    /// Input: the transport the driver opened is ready.
    pub fn handle_transport_open(&mut self, now: Instant, conn: ConnectionId) {
        self.now = now;
        self.client.handle_transport_open(now, conn);
    }

    /// Input: a binary message arrived on `conn`.
    pub fn handle_frame(&mut self, now: Instant, conn: ConnectionId, bytes: &[u8]) {
        self.now = now;
        self.client.handle_frame(now, conn, bytes);
    }

    /// Input: the transport closed or failed without being asked to.
    pub fn handle_transport_closed(
        &mut self,
        now: Instant,
        conn: ConnectionId,
        closed: TransportClosed,
    ) {
        self.now = now;
        self.client.handle_transport_closed(now, conn, closed);
    }

    /// Input: the deadline passed (the driver checked `now >= deadline`).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        self.client.handle_timeout(now);
    }

    /// The next output, in the order [`Output`] gives; events are
    /// applied to the documents before they are handed out.
    pub fn poll_output(&mut self) -> Option<Output> {
        if let Some(frame) = self.client.poll_transmit() {
            return Some(Output::Transmit(frame));
        }
        if let Some(cmd) = self.client.poll_transport() {
            return Some(Output::Transport(cmd));
        }
        let event = self.client.poll_event()?;
        self.on_event(&event);
        Some(Output::Event(event))
    }

    /// The earliest deadline at which [`handle_timeout`](Replica::handle_timeout)
    /// must be called, in the driver's clock.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.client.poll_timeout()
    }
}
