//! The tail feed's runtime-neutral half (shared-log mode, docs/MULTINODE.md): which
//! rooms the hub has loaded and from which offset their shared log is read next
//! ([`Follows`], kept up to date from hub events by the hub task), the entries a feed
//! hands to the hub ([`Appended`], through the hub task's inbound channel) with the
//! per-room credit that bounds them ([`Credit`]), and whether the feed reaches its
//! storage ([`FeedHealth`], for `/health`). Reading the shared log is the backend's
//! (Redis: `storage::redis_tail`).
//!
//! # Bounds and their outcomes
//!
//! A room has at most [`ROOM_CREDIT`] entries handed to the hub task and not yet taken
//! by it; a room at its credit is not read (its next offset stays where it was), so
//! it is read again from there once the hub caught up: nothing is skipped, and
//! whatever the hub still misses it reads from storage itself (`LoadRange`).

#![cfg_attr(not(feature = "redis"), allow(dead_code))]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use syncwire_proto::hub::{HubEvent, StoredEntry};
use syncwire_proto::wire::RoomId;

/// Most entries of one room handed to the hub task and not yet taken by it.
pub(crate) const ROOM_CREDIT: usize = 1024;

/// One followed room.
#[derive(Debug)]
struct Follow {
    epoch: u64,
    /// The next offset to read (one past the last handed to the hub).
    next: u64,
    /// Entries handed and not yet taken.
    inflight: Arc<AtomicUsize>,
    /// Which load of the room this follow belongs to.
    generation: u64,
}

/// A followed room the feed may read now (under its credit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Reading {
    /// The room.
    pub(crate) room: RoomId,
    /// Its epoch when loaded.
    pub(crate) epoch: u64,
    /// The first offset to read.
    pub(crate) next: u64,
    /// Which load of the room (stale reads are dropped).
    pub(crate) generation: u64,
}

/// The rooms the hub has loaded, shared by the hub task (writer) and the feed.
#[derive(Debug, Default)]
pub(crate) struct Follows {
    rooms: Mutex<HashMap<RoomId, Follow>>,
    generations: AtomicU64,
}

impl Follows {
    fn rooms(&self) -> std::sync::MutexGuard<'_, HashMap<RoomId, Follow>> {
        self.rooms.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Follows the rooms the hub loads, from their durable head; forgets those it
    /// unloads or fails.
    pub(crate) fn on_event(&self, event: &HubEvent) {
        match event {
            HubEvent::RoomLoaded {
                room, epoch, head, ..
            } => {
                let generation = self.generations.fetch_add(1, Ordering::Relaxed);
                let follow = Follow {
                    epoch: *epoch,
                    next: *head,
                    inflight: Arc::default(),
                    generation,
                };
                self.rooms().insert(room.clone(), follow);
            }
            HubEvent::RoomUnloaded { room } | HubEvent::RoomFailed { room, .. } => {
                self.rooms().remove(room);
            }
            _ => {}
        }
    }

    /// The followed rooms under their credit, in room order.
    pub(crate) fn readable(&self) -> Vec<Reading> {
        let mut out: Vec<Reading> = self
            .rooms()
            .iter()
            .filter(|(_, f)| f.inflight.load(Ordering::Acquire) < ROOM_CREDIT)
            .map(|(room, f)| Reading {
                room: room.clone(),
                epoch: f.epoch,
                next: f.next,
                generation: f.generation,
            })
            .collect();
        out.sort_unstable_by(|a, b| a.room.as_str().cmp(b.room.as_str()));
        out
    }

    /// Records that `entries` (read for `reading`) go to the hub: the room's next
    /// offset moves past them and they take credit until the hub took them. `None`
    /// if the room is no longer followed by that load (drop the entries).
    pub(crate) fn hand(&self, reading: &Reading, entries: &[StoredEntry]) -> Option<Credit> {
        let mut rooms = self.rooms();
        let f = rooms.get_mut(&reading.room)?;
        if f.generation != reading.generation {
            return None;
        }
        let last = entries.iter().map(|e| e.offset).max()?;
        f.next = f.next.max(last.saturating_add(1));
        f.inflight.fetch_add(entries.len(), Ordering::AcqRel);
        Some(Credit {
            inflight: f.inflight.clone(),
            n: entries.len(),
        })
    }

    /// How many rooms are followed.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.rooms().len()
    }
}

/// Credit taken by entries on their way to the hub; given back when dropped (after
/// the hub task handled them, or if they never reach it).
#[derive(Debug)]
pub(crate) struct Credit {
    inflight: Arc<AtomicUsize>,
    n: usize,
}

impl Drop for Credit {
    fn drop(&mut self) {
        self.inflight.fetch_sub(self.n, Ordering::AcqRel);
    }
}

/// Entries of the shared log for `Hub::handle_appended`.
#[derive(Debug)]
pub(crate) struct Appended {
    /// The room.
    pub(crate) room: RoomId,
    /// The epoch they were appended at.
    pub(crate) epoch: u64,
    /// The entries, in offset order.
    pub(crate) entries: Vec<StoredEntry>,
    /// Given back once handled.
    pub(crate) credit: Credit,
}

/// Whether the tail feed reaches its storage (shared-log mode); `/health` reports
/// it. Clones share the flag.
#[derive(Clone, Debug)]
pub struct FeedHealth(Arc<AtomicBool>);

impl Default for FeedHealth {
    fn default() -> Self {
        FeedHealth(Arc::new(AtomicBool::new(true)))
    }
}

impl FeedHealth {
    /// Whether the last attempt to read the shared log reached storage.
    pub fn reachable(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// Records the outcome of an attempt.
    pub(crate) fn set(&self, up: bool) {
        self.0.store(up, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use syncwire_proto::wire::ReplicaId;

    fn entry(offset: u64) -> StoredEntry {
        StoredEntry {
            offset,
            replica: ReplicaId(1),
            seq: offset + 1,
            payload: Bytes::new(),
        }
    }

    #[test]
    fn a_room_at_its_credit_is_not_read_until_the_hub_took_its_entries() {
        let f = Follows::default();
        let room = RoomId::new("r");
        f.on_event(&HubEvent::RoomLoaded {
            room: room.clone(),
            epoch: 7,
            head: 3,
            created: false,
        });
        let r = f.readable().pop().unwrap();
        assert_eq!((r.epoch, r.next), (7, 3));
        let many: Vec<StoredEntry> = (3..3 + ROOM_CREDIT as u64).map(entry).collect();
        let credit = f.hand(&r, &many).unwrap();
        assert!(f.readable().is_empty(), "at its credit: not read");
        drop(credit);
        let again = f.readable().pop().unwrap();
        assert_eq!(again.next, 3 + ROOM_CREDIT as u64);
        // Reloaded: reads from the new head; the old load's reads are dropped.
        f.on_event(&HubEvent::RoomLoaded {
            room: room.clone(),
            epoch: 7,
            head: 10,
            created: false,
        });
        assert!(f.hand(&again, &[entry(2000)]).is_none());
        f.on_event(&HubEvent::RoomUnloaded { room });
        assert_eq!(f.len(), 0);
    }
}
