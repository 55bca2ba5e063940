//! The queues the driver drains: transport commands (coalesced to at most a
//! `Close` followed by an `Open`) and application events (bounded, see the
//! module docs of [`client`](super)); plus `poll_transport`, `poll_event` and
//! `poll_timeout`. Frames are not queued: `transmit.rs` builds them on demand.

use std::collections::VecDeque;

use super::Client;
use super::event::{ClientEvent, ConnectionId, TransportCommand};
use super::metrics::bump;
use crate::time::Instant;
use crate::wire::CloseCode;

/// Undrained outputs other than frames.
#[derive(Clone, Debug, Default)]
pub(super) struct Outputs {
    transport: VecDeque<TransportCommand>,
    events: VecDeque<ClientEvent>,
}

impl Outputs {
    /// Queues `Open` (at most one pending).
    pub(super) fn push_open(&mut self, conn: ConnectionId) {
        if !matches!(self.transport.back(), Some(TransportCommand::Open { .. })) {
            self.transport.push_back(TransportCommand::Open { conn });
        }
    }

    /// Queues `Close`. An `Open` the driver has not seen yet is cancelled instead
    /// (the connection it asked for never existed); a second `Close` is dropped.
    pub(super) fn push_close(&mut self, conn: ConnectionId, code: CloseCode, reason: &'static str) {
        match self.transport.back() {
            Some(TransportCommand::Open { .. }) => {
                self.transport.pop_back();
            }
            Some(TransportCommand::Close { .. }) => {}
            None => self
                .transport
                .push_back(TransportCommand::Close { conn, code, reason }),
        }
    }

    /// Undrained transport commands.
    #[cfg(any(test, feature = "test-hooks"))]
    pub(super) fn transport_len(&self) -> usize {
        self.transport.len()
    }

    /// Undrained events.
    #[cfg(any(test, feature = "test-hooks"))]
    pub(super) fn events_len(&self) -> usize {
        self.events.len()
    }
}

impl Client {
    /// Queues an event that is not a delivery: dropped (and counted) when twice
    /// `max_queued_events` are undrained.
    pub(super) fn emit(&mut self, event: ClientEvent) {
        if self.out.events.len() >= self.config.max_queued_events.saturating_mul(2) {
            bump(&mut self.metrics.events_dropped);
        } else {
            self.out.events.push_back(event);
        }
    }

    /// Queues a delivery (`Joined`, `Resync`, `Delta`): never dropped. Frames that
    /// deliver are refused while `max_queued_events` are undrained, so this queue
    /// grows at most by one frame's worth beyond that bound.
    pub(super) fn deliver(&mut self, event: ClientEvent) {
        self.out.events.push_back(event);
    }

    /// Whether the application has left too many events undrained to accept
    /// another delivering frame.
    pub(super) fn events_backlogged(&self) -> bool {
        self.out.events.len() >= self.config.max_queued_events
    }

    /// The next transport command for the driver.
    pub(crate) fn poll_transport(&mut self) -> Option<TransportCommand> {
        self.out.transport.pop_front()
    }

    /// The next application event.
    pub(crate) fn poll_event(&mut self) -> Option<ClientEvent> {
        self.out.events.pop_front()
    }

    /// The earliest deadline at which [`handle_timeout`](Client::handle_timeout)
    /// must be called, in the driver's clock; never before the most recent `now`
    /// given to the client (see the module docs for a clock stepping back).
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next().map(|at| self.to_driver_time(at))
    }

    /// Fires every timer due at `now`.
    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        self.advance(now);
    }
}
