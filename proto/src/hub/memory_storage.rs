//! [`MemoryStorage`]: the pure in-memory reference backend for tests and the simulator.
//!
//! It follows the backend contract in [`storage`](super::storage). Actions can be
//! executed at once ([`MemoryStorage::execute`]) or queued and released later
//! ([`MemoryStorage::submit`] / [`MemoryStorage::release_next`]) to simulate storage
//! that is not yet durable; [`MemoryStorage::lose_pending`] drops queued actions as a
//! crash would. Failures can be injected with [`MemoryStorage::set_failing`].
//! [`StorageAction::Fold`] merges with the store's [`DeltaMerger`] (by default the
//! built-in [`Registry`]; [`MemoryStorage::set_merger`] gives it the hub's).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use super::fold::fold_snapshot;
use super::storage::*;
use crate::crdt::{DeltaMerger, Registry};
use crate::wire::RoomId;

mod stored_room;

use stored_room::StoredRoom;

/// An in-memory storage backend (not durable across process restarts, by design).
#[derive(Clone)]
pub struct MemoryStorage {
    rooms: BTreeMap<RoomId, StoredRoom>,
    queued: VecDeque<StorageAction>,
    failing: bool,
    merger: Arc<dyn DeltaMerger>,
}

impl Default for MemoryStorage {
    fn default() -> Self {
        MemoryStorage {
            rooms: BTreeMap::new(),
            queued: VecDeque::new(),
            failing: false,
            merger: Arc::new(Registry::with_builtin()),
        }
    }
}

impl core::fmt::Debug for MemoryStorage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MemoryStorage")
            .field("rooms", &self.rooms)
            .field("queued", &self.queued)
            .field("failing", &self.failing)
            .finish_non_exhaustive()
    }
}

fn err(msg: &str) -> StorageError {
    StorageError(msg.to_owned())
}

impl MemoryStorage {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStorage::default()
    }

    /// Folds ([`StorageAction::Fold`]) merge with `merger` from now on: give the
    /// store the hub's (`HubConfig::merger`), so both know the same types.
    pub fn set_merger(&mut self, merger: Arc<dyn DeltaMerger>) {
        self.merger = merger;
    }

    /// While `true`, every executed action fails with a [`StorageError`].
    pub fn set_failing(&mut self, failing: bool) {
        self.failing = failing;
    }

    /// Queues an action without executing it (it is "not yet durable").
    pub fn submit(&mut self, action: StorageAction) {
        self.queued.push_back(action);
    }

    /// How many queued actions await release.
    pub fn pending(&self) -> usize {
        self.queued.len()
    }

    /// Executes the oldest queued action and returns its completion.
    pub fn release_next(&mut self) -> Option<StorageCompletion> {
        let action = self.queued.pop_front()?;
        Some(self.execute(action))
    }

    /// Executes the newest queued action first (a fold finishing after later actions).
    pub fn release_newest(&mut self) -> Option<StorageCompletion> {
        let action = self.queued.pop_back()?;
        Some(self.execute(action))
    }

    /// Removes the oldest queued action without executing it (a test driver moving
    /// it to another store, e.g. one shared by several hubs).
    pub fn take_queued(&mut self) -> Option<StorageAction> {
        self.queued.pop_front()
    }

    /// Drops every queued action, as a crash before durability would.
    pub fn lose_pending(&mut self) -> usize {
        let n = self.queued.len();
        self.queued.clear();
        n
    }

    /// Number of entries stored for `room` (for tests).
    pub fn entry_count(&self, room: &RoomId) -> usize {
        self.rooms.get(room).map_or(0, |r| r.entries.len())
    }

    /// The stored head of `room`, if it exists (for tests).
    pub fn head(&self, room: &RoomId) -> Option<u64> {
        self.rooms.get(room).map(StoredRoom::head)
    }

    /// The stored snapshot of `room`, if any (for tests).
    pub fn snapshot(&self, room: &RoomId) -> Option<&StoredSnapshot> {
        self.rooms.get(room).and_then(|r| r.snapshot.as_deref())
    }

    /// Forgets a room entirely, as if its history were lost (for tests).
    pub fn forget(&mut self, room: &RoomId) {
        self.rooms.remove(room);
    }

    /// Executes one action now and returns its completion.
    pub fn execute(&mut self, action: StorageAction) -> StorageCompletion {
        let op = action.op();
        let failing = self.failing;
        match action {
            StorageAction::Load {
                room, tail_limit, ..
            } => StorageCompletion::Loaded {
                op,
                result: if failing {
                    Err(err("injected failure"))
                } else {
                    Ok(self.load(&room, tail_limit))
                },
            },
            StorageAction::Create {
                room, crdt, epoch, ..
            } => {
                let result = if failing {
                    Err(err("injected failure"))
                } else if self.rooms.get(&room).is_some_and(|r| r.epoch != epoch) {
                    // Another node created it first (shared log): never discard it.
                    Err(err("room exists at another epoch"))
                } else {
                    let fresh = StoredRoom {
                        crdt,
                        epoch,
                        ..StoredRoom::default()
                    };
                    self.rooms.insert(room, fresh);
                    Ok(())
                };
                StorageCompletion::Created { op, result }
            }
            StorageAction::Append {
                room,
                epoch,
                entries,
                ..
            } => StorageCompletion::Appended {
                op,
                result: if failing {
                    Err(err("injected failure"))
                } else {
                    self.append(&room, epoch, entries)
                },
            },
            StorageAction::AppendShared {
                room,
                epoch,
                entries,
                ..
            } => StorageCompletion::AppendedShared {
                op,
                result: if failing {
                    Err(err("injected failure"))
                } else {
                    let r = self.rooms.get_mut(&room).ok_or_else(|| err("no such room"));
                    r.and_then(|r| r.append_shared(epoch, entries))
                },
            },
            StorageAction::LoadRange {
                room,
                epoch,
                from,
                max_entries,
                ..
            } => StorageCompletion::Range {
                op,
                result: if failing {
                    Err(err("injected failure"))
                } else {
                    self.range(&room, epoch, from, max_entries)
                },
            },
            StorageAction::Fold {
                room, epoch, to, ..
            } => StorageCompletion::Folded {
                op,
                result: if failing {
                    Err(err("injected failure"))
                } else {
                    self.fold(&room, epoch, to)
                },
            },
        }
    }

    fn load(&self, room: &RoomId, tail_limit: usize) -> Option<RoomRecord> {
        let r = self.rooms.get(room)?;
        let skip = r.entries.len().saturating_sub(tail_limit);
        Some(RoomRecord {
            crdt: r.crdt.clone(),
            epoch: r.epoch,
            head: r.head(),
            first_offset: r.first_offset,
            snapshot: r.snapshot.as_deref().cloned(),
            seqs: r.seqs(),
            tail: r.entries.iter().skip(skip).cloned().collect(),
        })
    }

    fn append(
        &mut self,
        room: &RoomId,
        epoch: u64,
        entries: Vec<StoredEntry>,
    ) -> Result<(), StorageError> {
        let r = self
            .rooms
            .get_mut(room)
            .ok_or_else(|| err("no such room"))?;
        if r.epoch != epoch {
            return Err(err("epoch mismatch"));
        }
        for (i, e) in entries.iter().enumerate() {
            let expected = r
                .head()
                .saturating_add(u64::try_from(i).unwrap_or(u64::MAX));
            if e.offset != expected {
                return Err(err("append not at head"));
            }
        }
        r.entries.extend(entries);
        Ok(())
    }

    fn range(
        &self,
        room: &RoomId,
        epoch: u64,
        from: u64,
        max: usize,
    ) -> Result<Vec<StoredEntry>, StorageError> {
        let r = self.rooms.get(room).ok_or_else(|| err("no such room"))?;
        if r.epoch != epoch {
            return Err(err("epoch mismatch"));
        }
        let Some(skip) = from.checked_sub(r.first_offset) else {
            return Ok(Vec::new());
        };
        let skip = usize::try_from(skip).unwrap_or(usize::MAX);
        Ok(r.entries.iter().skip(skip).take(max).cloned().collect())
    }

    fn fold(
        &mut self,
        room: &RoomId,
        epoch: u64,
        to: u64,
    ) -> Result<Option<StoredSnapshot>, StorageError> {
        let r = self
            .rooms
            .get_mut(room)
            .ok_or_else(|| err("no such room"))?;
        if r.epoch != epoch {
            return Err(err("epoch mismatch"));
        }
        let from = r.snapshot.as_ref().map_or(0, |s| s.offset);
        let skip = usize::try_from(from.saturating_sub(r.first_offset)).unwrap_or(usize::MAX);
        let take = usize::try_from(to.saturating_sub(from)).unwrap_or(usize::MAX);
        let run: Vec<StoredEntry> = r.entries.iter().skip(skip).take(take).cloned().collect();
        let folded = fold_snapshot(self.merger.as_ref(), &r.crdt, r.snapshot.as_deref(), &run);
        if let Some(snapshot) = folded {
            while r.first_offset < snapshot.offset && r.entries.pop_front().is_some() {
                r.first_offset = r.first_offset.saturating_add(1);
            }
            r.snapshot = Some(Box::new(snapshot));
        }
        Ok(r.snapshot.as_deref().cloned())
    }
}
