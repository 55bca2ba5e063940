//! Per-session state: handshake phase, identity, joined rooms, output backlog and
//! rate limiter.

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
    pub(crate) rooms: RoomSet,
    /// Bytes queued or handed to the driver and not yet reported flushed.
    pub(crate) backlog: usize,
    /// Largest frame queued into an empty backlog: a single frame may exceed the bound.
    pub(crate) single_frame_allowance: usize,
    /// Joins of this session in a room's `backlogged` list: while there are any, no
    /// data frame is queued for it ([`Session::fits`]), so its backlog drains.
    pub(crate) backlogged_joins: usize,
    pub(crate) rate: RateLimiter,
    /// When the last frame arrived (or the session was welcomed, if later): the
    /// heartbeat deadline is `last_seen + heartbeat_timeout`.
    pub(crate) last_seen: Instant,
    /// Whether a membership of this session may be behind the log (catch-up work for
    /// `handle_flushed`). Set whenever one may fall behind; cleared only when none is.
    pub(crate) maybe_behind: bool,
    /// Set when the hub decided to close the session; further output is dropped.
    pub(crate) closing: Option<CloseCode>,
    /// Frames queued for the driver and not yet polled, in order (the session is in
    /// `Hub::ready` exactly while this is not empty).
    pub(crate) out: Vec<Bytes>,
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

/// The rooms of one session in order, with the subset of the `BTreeSet<RoomId>` API
/// the hub uses: a sorted vector grown one doubling at a time from one slot, so the
/// usual one or few rooms cost a few words instead of a `BTreeSet` leaf of eleven
/// (≈ 200 bytes). Its length is bounded by `max_rooms_per_session`.
#[derive(Debug, Default)]
pub(crate) struct RoomSet(Vec<RoomId>);

impl RoomSet {
    /// Adds `room`; `false` if it was already there.
    pub(crate) fn insert(&mut self, room: RoomId) -> bool {
        match self.0.binary_search(&room) {
            Ok(_) => false,
            Err(i) => {
                if self.0.len() == self.0.capacity() {
                    self.0.reserve_exact(self.0.len().max(1));
                }
                self.0.insert(i, room);
                true
            }
        }
    }
    /// Removes `room`; `false` if it was not there.
    pub(crate) fn remove(&mut self, room: &RoomId) -> bool {
        match self.0.binary_search(room) {
            Ok(i) => {
                self.0.remove(i);
                true
            }
            Err(_) => false,
        }
    }
    pub(crate) fn contains(&self, room: &RoomId) -> bool {
        self.0.binary_search(room).is_ok()
    }
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }
    /// The rooms in order.
    pub(crate) fn iter(&self) -> std::slice::Iter<'_, RoomId> {
        self.0.iter()
    }
}

impl<'a> IntoIterator for &'a RoomSet {
    type Item = &'a RoomId;
    type IntoIter = std::slice::Iter<'a, RoomId>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Keeps `now` monotonic: the largest instant seen.
pub(crate) fn clamp(last: &mut Instant, now: Instant) -> Instant {
    if now > *last {
        *last = now;
    }
    *last
}

#[cfg(test)]
mod tests {
    use super::RoomSet;
    use crate::wire::RoomId;

    #[test]
    fn room_set_behaves_like_an_ordered_set() {
        let mut set = RoomSet::default();
        assert!(set.insert(RoomId::new("b")));
        assert_eq!(set.0.capacity(), 1, "one room takes one slot");
        assert!(set.insert(RoomId::new("a")));
        assert!(!set.insert(RoomId::new("b")));
        assert_eq!(set.len(), 2);
        let names: Vec<&str> = set.iter().map(RoomId::as_str).collect();
        assert_eq!(names, ["a", "b"]);
        assert!(set.contains(&RoomId::new("a")));
        assert!(set.remove(&RoomId::new("a")));
        assert!(!set.remove(&RoomId::new("a")));
        assert!(!set.contains(&RoomId::new("a")));
        assert_eq!((&set).into_iter().count(), 1);
    }
}
