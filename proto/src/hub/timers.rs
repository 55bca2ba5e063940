//! The timer table: named deadlines inside, one earliest deadline outside.

use std::collections::{BTreeMap, BTreeSet};

use crate::time::Instant;
use crate::wire::{RoomId, SessionId};

/// What a timer is for.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(crate) enum TimerKey {
    /// Handshake deadline before `Welcome`, heartbeat deadline after.
    Session(SessionId),
    /// Unload a room that has been without members.
    RoomIdle(RoomId),
    /// Send a summary room's member count (at most once per summary interval).
    PeerCount(RoomId),
    /// Shared-log mode: publish the rosters, expire silent nodes' members.
    Rosters,
}

/// At most one deadline per key, ordered by time.
#[derive(Debug, Default)]
pub(crate) struct Timers {
    by_key: BTreeMap<TimerKey, Instant>,
    queue: BTreeSet<(Instant, TimerKey)>,
}

impl Timers {
    pub(crate) fn set(&mut self, key: TimerKey, at: Instant) {
        if let Some(old) = self.by_key.insert(key.clone(), at) {
            self.queue.remove(&(old, key.clone()));
        }
        self.queue.insert((at, key));
    }
    pub(crate) fn cancel(&mut self, key: &TimerKey) {
        if let Some(old) = self.by_key.remove(key) {
            self.queue.remove(&(old, key.clone()));
        }
    }
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.queue.first().map(|(at, _)| *at)
    }
    /// Removes and returns the earliest timer due at or before `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<TimerKey> {
        let (at, _) = self.queue.first()?;
        if *at > now {
            return None;
        }
        let (_, key) = self.queue.pop_first()?;
        self.by_key.remove(&key);
        Some(key)
    }
}
