//! Delivery and resume: `Joined`, `HubDelta`, `DeltaBatch` and `Ack`.
//!
//! A joined room has a position (epoch, next expected offset). A log entry is
//! delivered only if its epoch matches and its offset is the expected one; an
//! older offset is a duplicate (dropped, counted); a newer offset or another epoch
//! is a gap: nothing more is delivered and the room is re-joined from its position
//! (the hub then replays or resyncs). So the application sees each remote delta once
//! and in log order, hence in order per origin.
//!
//! The hub does not echo this replica's own entries live: it sends an `Ack` with the
//! entry's offset at that point of log order instead. An `Ack` whose offset is the
//! expected one advances the position; a lower, higher (the session is being caught
//! up and the replay will bring the entry) or unknown offset leaves it alone.
//!
//! Own entries seen in a replay advance the position and acknowledge their sequence
//! (a logged entry is durable). They are delivered as `Delta` only in the replay
//! after a `Joined` that gave the room a fresh state — `resync`, or a join without a
//! resume position — up to that join's `head`: the application's document was reset
//! or is new, so it needs them (merging is idempotent). The same holds for the
//! resumes of a room restored from saved state until it first caught up: the save
//! may predate own entries the hub logged (and acknowledged) before the restart.
//! After any other resume the document already contains them, so they are skipped.
//!
//! Once the position reaches the `head` announced by a `Joined` (at once when
//! there is nothing to replay), the room is caught up: `CaughtUp` follows the last
//! replayed `Delta`, once per `Joined`. From then on the application holds every log
//! entry up to that head, its own earlier ones included after a fresh state, and
//! `acked_seq` has set the sequence counter: local operations prepared now cannot
//! repeat or undercut what the replica already wrote.
//!
//! On `Joined`, `resync` replaces the position by (epoch, start) and emits
//! `Resync` with the snapshot; otherwise the hub must continue the resume position
//! (same epoch, `start` ≤ our offset; for a first join `start` = 0), or the
//! connection is dropped as a protocol violation. `acked_seq` settles the outbox
//! and raises the sequence counter above it; the room's unacked entries are then
//! (re-)sent.

use super::Client;
use super::error::SessionError;
use super::event::ClientEvent;
use super::metrics::{add, bump};
use super::rooms::RoomStatus;
use crate::wire::{
    Ack, CloseCode, DeltaBatch, ErrorCode, HubDelta, Joined, Position, ReplicaId, RoomId,
};
use bytes::Bytes;

impl Client {
    pub(super) fn on_joined(&mut self, j: Joined) {
        if self.events_backlogged() {
            self.fault(SessionError::SlowApplication, CloseCode::INTERNAL_ERROR);
            return;
        }
        let Some(r) = self.rooms.get_mut(&j.room) else {
            return; // left meanwhile
        };
        if r.status != RoomStatus::Joining {
            return; // answer to an earlier join
        }
        let position = if j.resync {
            Position {
                epoch: j.epoch,
                offset: j.start,
            }
        } else {
            match r.position {
                Some(p) if p.epoch == j.epoch && j.start <= p.offset => p,
                None if j.start == 0 => Position {
                    epoch: j.epoch,
                    offset: 0,
                },
                // A `Join` without a position is answered from offset 0 or with a
                // resync: this answers a `Join` sent before the room was left and
                // joined again (PROTOCOL.md §3.6). The join timer still bounds
                // the wait for the real answer.
                None => return,
                _ => {
                    let why = "Joined does not continue the resume position";
                    self.fault(
                        SessionError::ProtocolViolation(why),
                        CloseCode::PROTOCOL_ERROR,
                    );
                    return;
                }
            }
        };
        if j.resync || r.position.is_none() || r.restored {
            // A fresh state for the room, or a document restored from a save that
            // may predate own entries logged since: own entries in the replay must
            // reach it (merging is idempotent).
            r.deliver_own_below = j.head;
        }
        r.position = Some(position);
        r.status = RoomStatus::Joined;
        r.writable = j.writable;
        r.presence_dirty = r.presence.is_some();
        r.bump_seq_past(j.acked_seq);
        r.catch_up_to = Some(j.head);
        self.deliver(ClientEvent::Joined {
            room: j.room.clone(),
            epoch: j.epoch,
            offset: position.offset,
            head: j.head,
            writable: j.writable,
            resync: j.resync,
        });
        if j.resync {
            bump(&mut self.metrics.resyncs);
            self.deliver(ClientEvent::Resync {
                room: j.room.clone(),
                epoch: j.epoch,
                offset: j.start,
                snapshot: j.snapshot,
            });
        }
        self.apply_ack(&j.room, j.acked_seq);
        self.outbox.unsend_room(&j.room);
        // The hub holds exactly the sequences up to `acked_seq` (it answers a join
        // only once none of this replica's appends is in flight): what is left in
        // the queue continues from there, without a gap.
        let next = self.outbox.renumber_after(&j.room, j.acked_seq);
        if let Some(r) = self.rooms.get_mut(&j.room) {
            r.next_seq = next;
            r.awaiting_rejects = 0;
        }
        if !j.writable {
            for e in self.outbox.remove_room(&j.room) {
                bump(&mut self.metrics.deltas_rejected);
                self.emit(ClientEvent::DeltaRejected {
                    room: j.room.clone(),
                    seq: e.seq,
                    code: ErrorCode::FORBIDDEN,
                    message: "room is read-only for this session".to_owned(),
                });
            }
        }
        self.check_caught_up(&j.room);
    }

    /// Emits `CaughtUp` once the room's position reached the head of its latest `Joined`.
    fn check_caught_up(&mut self, room: &RoomId) {
        let Some(r) = self.rooms.get_mut(room) else {
            return;
        };
        let (Some(head), Some(pos)) = (r.catch_up_to, r.position) else {
            return;
        };
        if r.status == RoomStatus::Joined && pos.offset >= head {
            r.catch_up_to = None;
            r.restored = false;
            self.deliver(ClientEvent::CaughtUp {
                room: room.clone(),
                offset: pos.offset,
            });
        }
    }

    /// Everything of this replica in `room` up to `seq` is durable on the hub.
    pub(super) fn apply_ack(&mut self, room: &RoomId, seq: u64) {
        let Some(r) = self.rooms.get_mut(room) else {
            return;
        };
        r.bump_seq_past(seq);
        if seq >= r.awaiting_from {
            // The hub accepted what it was expected to refuse (or nothing is awaited).
            r.awaiting_rejects = 0;
        }
        let removed = self.outbox.settle(room, seq, || r.take_seq());
        if !removed.is_empty() {
            add(&mut self.metrics.deltas_acked, removed.len());
            self.emit(ClientEvent::DeltaAcked {
                room: room.clone(),
                seq,
            });
        }
    }

    /// An `Ack`: settles the outbox and, when its offset is the next expected one,
    /// stands for the own entry there and advances the position.
    pub(super) fn on_ack(&mut self, a: Ack) {
        self.apply_ack(&a.room, a.seq);
        let Some(offset) = a.offset else {
            return;
        };
        let Some(r) = self.rooms.get_mut(&a.room) else {
            return;
        };
        if r.status != RoomStatus::Joined || offset < r.deliver_own_below {
            return; // a replay in progress delivers that entry
        }
        if let Some(pos) = r.position.as_mut() {
            if pos.offset == offset {
                if let Some(next) = offset.checked_add(1) {
                    pos.offset = next;
                }
            }
        }
        self.check_caught_up(&a.room);
    }

    pub(super) fn on_hub_delta(&mut self, d: HubDelta) {
        if self.events_backlogged() {
            self.fault(SessionError::SlowApplication, CloseCode::INTERNAL_ERROR);
            return;
        }
        self.accept_entry(&d.room, d.epoch, d.offset, d.replica, d.seq, d.payload);
    }

    pub(super) fn on_batch(&mut self, b: DeltaBatch) {
        if self.events_backlogged() {
            self.fault(SessionError::SlowApplication, CloseCode::INTERNAL_ERROR);
            return;
        }
        let mut offset = Some(b.first_offset);
        for e in b.entries {
            let Some(o) = offset else {
                let why = "DeltaBatch offsets overflow";
                self.fault(
                    SessionError::ProtocolViolation(why),
                    CloseCode::PROTOCOL_ERROR,
                );
                return;
            };
            if !self.accept_entry(&b.room, b.epoch, o, e.replica, e.seq, e.payload) {
                return;
            }
            offset = o.checked_add(1);
        }
    }

    /// Delivers, skips or refuses one log entry; `false` stops the rest of a batch.
    fn accept_entry(
        &mut self,
        room: &RoomId,
        epoch: u64,
        offset: u64,
        replica: ReplicaId,
        seq: u64,
        payload: Bytes,
    ) -> bool {
        let Some(r) = self.rooms.get_mut(room) else {
            return false;
        };
        if r.status != RoomStatus::Joined {
            return false;
        }
        let Some(pos) = r.position.as_mut() else {
            return false;
        };
        if epoch != pos.epoch || offset > pos.offset {
            r.status = RoomStatus::Pending;
            bump(&mut self.metrics.gaps);
            return false;
        }
        if offset < pos.offset {
            bump(&mut self.metrics.duplicates_dropped);
            return true;
        }
        let Some(next) = pos.offset.checked_add(1) else {
            return false;
        };
        pos.offset = next;
        let own = replica == self.replica;
        if own && offset >= r.deliver_own_below {
            bump(&mut self.metrics.own_deltas_skipped);
        } else {
            bump(&mut self.metrics.deltas_delivered);
            self.deliver(ClientEvent::Delta {
                room: room.clone(),
                replica,
                seq,
                offset,
                payload,
            });
        }
        if own {
            // A logged entry is durable: it acknowledges the replica's deltas up to `seq`.
            self.apply_ack(room, seq);
        }
        self.check_caught_up(room);
        true
    }
}
