//! [`Hub::poll_output`]: the hub's one way out (str0m's model). Every output a driver
//! must act on comes from this one method, in an order that is legal by construction,
//! so a driver performs each output as it comes and needs no drain-order rules:
//!
//! * a session's frames come before its close: a [`HubOutput::Close`] is only handed
//!   out when no [`HubOutput::Transmit`] is waiting, so every frame queued for the
//!   session (a `Reject` before its close included) was handed out first;
//! * each session's frames come in the order they were queued, all its queued frames
//!   at once (one write and one flush per session per turn);
//! * storage actions, authentication requests and news for other nodes come once
//!   the frames and closes waiting were handed out, operator events last.
//!
//! Inputs given between two calls (`handle_flushed`, `handle_storage`, a closed
//! session) are taken into account by the next call: call `poll_output` until it
//! returns `None`, then sleep until the next input or [`Hub::poll_timeout`].

use super::{AuthRequest, Frames, Hub, HubEvent, NodeNews, StorageAction};
use crate::wire::{CloseCode, SessionId};

/// One thing the driver must do, from [`Hub::poll_output`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HubOutput {
    /// Write these encoded frames, in order, to the session's socket (each one
    /// WebSocket binary message), then report what was flushed with
    /// [`Hub::handle_flushed`].
    Transmit {
        /// The session to write to.
        session: SessionId,
        /// Its frames, in order (`Bytes` shared by all recipients of a broadcast).
        frames: Frames,
    },
    /// Close the session's socket with this code, after the frames handed out for it
    /// before.
    Close {
        /// The session to close.
        session: SessionId,
        /// The close code.
        code: CloseCode,
    },
    /// Run this storage action; report its completion with [`Hub::handle_storage`].
    Storage(StorageAction),
    /// Decide this authentication (no inline authorizer decided); answer with
    /// [`Hub::handle_auth`].
    Auth(AuthRequest),
    /// Shared-log mode: publish this news to the other hub nodes (their
    /// [`Hub::handle_peer_news`]) on the deployment's bus, encoded with
    /// [`NodeNews::encode`]. Losing some is repaired by the periodic rosters.
    Publish(NodeNews),
    /// Something the operator may want to log or count (bounded; oldest dropped).
    Event(HubEvent),
}

impl Hub {
    /// The next output, or `None` when the hub has nothing more to hand out (until
    /// the next input). See the [module docs](self) for the order.
    pub fn poll_output(&mut self) -> Option<HubOutput> {
        if let Some((session, frames)) = self.poll_transmit_batch() {
            return Some(HubOutput::Transmit { session, frames });
        }
        if let Some((session, code)) = self.poll_close() {
            return Some(HubOutput::Close { session, code });
        }
        if let Some(action) = self.poll_storage() {
            return Some(HubOutput::Storage(action));
        }
        if let Some(request) = self.poll_auth() {
            return Some(HubOutput::Auth(request));
        }
        if let Some(news) = self.poll_news() {
            return Some(HubOutput::Publish(news));
        }
        self.poll_event().map(HubOutput::Event)
    }
}
