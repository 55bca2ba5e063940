//! Per-session state: handshake phase, identity, joined rooms, output backlog and
//! rate limiter.

use std::collections::BTreeSet;

use bytes::Bytes;

use super::auth::Identity;
use super::limits::RateLimiter;
use crate::time::Instant;
use crate::wire::{CloseCode, ReplicaId, RoomId};

/// Where a session is in its life.
#[derive(Debug)]
pub(crate) enum Phase {
    /// Waiting for `Hello`.
    AwaitingHello,
    /// `Hello` received, waiting for the authorizer.
    AwaitingAuth { version: u32 },
    /// Welcomed.
    Open { identity: Identity },
}

/// One session (connection) on the hub.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) phase: Phase,
    pub(crate) replica: ReplicaId,
    pub(crate) user_info: Option<Bytes>,
    /// Rooms joined or being joined (pending a load).
    pub(crate) rooms: BTreeSet<RoomId>,
    /// Bytes queued or handed to the driver and not yet reported flushed.
    pub(crate) backlog: usize,
    /// Largest frame queued into an empty backlog: a single frame may exceed the bound.
    pub(crate) single_frame_allowance: usize,
    pub(crate) rate: RateLimiter,
    /// When the last frame arrived (or the session was welcomed, if later): the
    /// heartbeat deadline is `last_seen + heartbeat_timeout`.
    pub(crate) last_seen: Instant,
    /// Whether a membership of this session may be behind the log (catch-up work for
    /// `handle_flushed`). Set whenever one may fall behind; cleared only when none is.
    pub(crate) maybe_behind: bool,
    /// Set when the hub decided to close the session; further output is dropped.
    pub(crate) closing: Option<CloseCode>,
}

impl Session {
    pub(crate) fn is_open(&self) -> bool {
        matches!(self.phase, Phase::Open { .. })
    }
    pub(crate) fn identity(&self) -> Option<&Identity> {
        match &self.phase {
            Phase::Open { identity } => Some(identity),
            _ => None,
        }
    }
}

/// Keeps `now` monotonic: the largest instant seen.
pub(crate) fn clamp(last: &mut Instant, now: Instant) -> Instant {
    if now > *last {
        *last = now;
    }
    *last
}
