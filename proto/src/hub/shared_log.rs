//! Shared-log mode (`HubConfig::shared_log`): several hubs serve one room over one
//! log whose offsets the storage backend assigns (docs/MULTINODE.md).
//!
//! This module owns what differs from single-node mode once a delta is accepted:
//! * the backend's verdicts ([`StorageAction::AppendShared`] completions): logged
//!   entries join the log in offset order, duplicates are acknowledged, gaps refused;
//! * entries appended by other nodes, fed in by the driver ([`Hub::handle_appended`]);
//! * holes in the offsets, filled by range reads (one in flight per room);
//! * joins, answered only after a read that reached the stored head was issued after
//!   them ([`JoinSync`]), so `Joined.acked_seq` covers deltas the replica sent through
//!   another node and `head` is not behind the shared log.

use bytes::Bytes;

use super::Hub;
use super::log::Refused;
use super::room::{PendingJoin, Room};
use super::session::clamp;
use super::state::OpKind;
use super::storage::{AppendOutcome, OpId, StorageAction, StorageError, StoredEntry};
use crate::time::Instant;
use crate::wire::{AckRef, ErrorCode, Join, RoomId, SessionId};

/// Joins of a loaded room waiting for the log to catch up with the shared log.
#[derive(Debug, Default)]
pub(crate) struct JoinSync {
    /// Range reads issued so far for this room (numbered from 1).
    issued: u64,
    /// The highest-numbered read that reached the stored head.
    reached: u64,
    /// Joins and the number of the read they wait for.
    waiting: Vec<(u64, PendingJoin)>,
}

impl JoinSync {
    /// Whether `sid` waits here.
    #[cfg(any(test, feature = "test-hooks"))]
    pub(crate) fn holds(&self, sid: SessionId) -> bool {
        self.waiting.iter().any(|(_, p)| p.session == sid)
    }
    /// Drops `sid`'s waiting join; whether it had one.
    pub(crate) fn remove(&mut self, sid: SessionId) -> bool {
        let before = self.waiting.len();
        self.waiting.retain(|(_, p)| p.session != sid);
        self.waiting.len() < before
    }
    /// Whether no join waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }
    /// The sessions of the waiting joins.
    pub(crate) fn sessions(&self) -> impl Iterator<Item = SessionId> + '_ {
        self.waiting.iter().map(|(_, p)| p.session)
    }
}

/// Most entries waiting above a hole per room; more are read again from storage.
fn max_waiting(hub: &Hub) -> usize {
    hub.config
        .max_tail_entries
        .max(hub.config.batch_max_entries)
}

impl Hub {
    /// Input (shared-log mode): durable entries of `room` at `epoch`, appended by any
    /// node — the driver tails the shared log. Entries may come in any grouping, late
    /// or repeated; the hub takes each offset once, in order, and reads holes from
    /// storage. Entries at another epoch mean the log was lost and restarted: the room
    /// is dropped and its members resume (and resync). Ignored for rooms not loaded,
    /// and entirely in single-node mode (there this hub assigns the offsets itself).
    pub fn handle_appended(
        &mut self,
        now: Instant,
        room: &RoomId,
        epoch: u64,
        entries: Vec<StoredEntry>,
    ) {
        clamp(&mut self.now, now);
        if !self.config.shared_log {
            return;
        }
        let cap = max_waiting(self);
        let Some(l) = self.rooms.get_mut(room).and_then(Room::loaded_mut) else {
            return;
        };
        if l.epoch != epoch {
            self.fail_room(
                room,
                StorageError("the shared log has another epoch".into()),
            );
        } else {
            let waiting = l.log.has_undelivered();
            l.log.arrive(entries, cap);
            self.after_arrival(room, waiting);
        }
        self.finish();
    }

    /// Shared-log mode: accepts a delta, appended without an offset.
    pub(crate) fn append_shared(
        &mut self,
        room: &RoomId,
        op: OpId,
        replica: crate::wire::ReplicaId,
        seq: u64,
        payload: Bytes,
    ) {
        let Some(l) = self.rooms.get_mut(room).and_then(Room::loaded_mut) else {
            return;
        };
        l.log.reserve_shared(op, replica, seq, payload.clone());
        self.storage.push_back(StorageAction::AppendShared {
            op,
            room: room.clone(),
            epoch: l.epoch,
            entries: vec![super::storage::NewEntry {
                replica,
                seq,
                payload,
            }],
        });
    }

    /// The backend's verdicts on append `op` of `room`.
    pub(crate) fn on_appended_shared(
        &mut self,
        room: &RoomId,
        op: OpId,
        outcomes: &[AppendOutcome],
    ) {
        let Some(l) = self.rooms.get_mut(room).and_then(Room::loaded_mut) else {
            return;
        };
        let waiting = l.log.has_undelivered();
        match l.log.settle_shared(op, outcomes) {
            Ok(refused) => {
                self.after_arrival(room, waiting);
                for r in refused {
                    self.answer_refused(room, r);
                }
            }
            Err(e) => self.fail_room(room, StorageError(e)),
        }
    }

    /// Answers a delta the shared log did not store, to every session of its replica
    /// in the room: a duplicate is acknowledged, a gap refused `SEQ_GAP`.
    fn answer_refused(&mut self, room: &RoomId, r: Refused) {
        let Some(l) = self.rooms.get(room).and_then(Room::loaded) else {
            return;
        };
        let sids: Vec<SessionId> = l
            .members
            .iter()
            .filter(|(_, m)| m.replica == r.replica)
            .map(|(s, _)| *s)
            .collect();
        for sid in sids {
            match r.outcome {
                AppendOutcome::Duplicate { acked } => {
                    let ack = AckRef {
                        room: room.as_str(),
                        seq: acked,
                        offset: None,
                    };
                    self.push_bytes(sid, Bytes::from(ack.encode()));
                }
                AppendOutcome::Gap { expected } => {
                    let msg = format!("expected seq {expected}");
                    self.reject(
                        sid,
                        ErrorCode::SEQ_GAP,
                        Some(room.clone()),
                        Some(r.seq),
                        &msg,
                    );
                }
                AppendOutcome::Logged { .. } => {}
            }
        }
    }

    /// After entries joined the log (or may have): deliver them at the end of the
    /// turn, fill a hole, serve joins their replica's appends held back, compact.
    fn after_arrival(&mut self, room: &RoomId, was_waiting: bool) {
        if let Some(l) = self.rooms.get(room).and_then(Room::loaded) {
            if !was_waiting && l.log.has_undelivered() {
                self.live_due.push(room.clone());
            }
        }
        self.ensure_fill(room);
        self.serve_parked(room);
        self.maybe_compact(room);
    }

    /// Shared-log mode: a join of a loaded room waits for a read of the shared log
    /// issued after it.
    pub(crate) fn sync_join(&mut self, sid: SessionId, join: Join) {
        let Some(l) = self.rooms.get_mut(&join.room).and_then(Room::loaded_mut) else {
            return;
        };
        let room = join.room.clone();
        let next = l.sync.issued.saturating_add(1);
        l.sync
            .waiting
            .push((next, PendingJoin { session: sid, join }));
        self.ensure_fill(&room);
    }

    /// Issues the read that fills the log's hole or catches up for waiting joins,
    /// unless one is in flight.
    fn ensure_fill(&mut self, room: &RoomId) {
        let max_entries = self.config.batch_max_entries;
        let Some(r) = self.rooms.get_mut(room) else {
            return;
        };
        let incarnation = r.incarnation;
        let Some(l) = r.loaded_mut() else {
            return;
        };
        let joins = l.sync.waiting.iter().any(|(n, _)| *n > l.sync.reached);
        if l.log.fill_op().is_some() || !(joins || l.log.has_hole()) {
            return;
        }
        l.sync.issued = l.sync.issued.saturating_add(1);
        let (number, from, epoch) = (l.sync.issued, l.log.durable_head(), l.epoch);
        let op = self.alloc_op(room, incarnation, OpKind::Fill { from, number });
        if let Some(l) = self.rooms.get_mut(room).and_then(Room::loaded_mut) {
            *l.log.fill_op() = Some(op);
        }
        self.storage.push_back(StorageAction::LoadRange {
            op,
            room: room.clone(),
            epoch,
            from,
            max_entries,
        });
    }

    /// A fill read completed.
    pub(crate) fn on_fill(
        &mut self,
        room: &RoomId,
        from: u64,
        number: u64,
        result: Result<Vec<StoredEntry>, StorageError>,
    ) {
        let cap = max_waiting(self);
        let max_entries = self.config.batch_max_entries;
        let Some(l) = self.rooms.get_mut(room).and_then(Room::loaded_mut) else {
            return;
        };
        *l.log.fill_op() = None;
        let entries = match result {
            Ok(e) => e,
            Err(e) => return self.fail_room(room, e),
        };
        let starts_at_from = entries.first().is_none_or(|e| e.offset == from);
        let read = entries.len();
        let waiting = l.log.has_undelivered();
        l.log.arrive(entries, cap);
        if !starts_at_from || (read == 0 && l.log.has_hole()) {
            // Entries below what storage still holds (another node compacted them):
            // reload the room; its members resume from the new snapshot.
            return self.reload_behind_compaction(room);
        }
        if read < max_entries {
            l.sync.reached = l.sync.reached.max(number);
        }
        let reached = l.sync.reached;
        let (ready, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut l.sync.waiting)
            .into_iter()
            .partition(|(n, _)| *n <= reached);
        l.sync.waiting = rest;
        self.after_arrival(room, waiting);
        for (_, p) in ready {
            self.serve_join_now(p.session, p.join);
        }
    }
}
