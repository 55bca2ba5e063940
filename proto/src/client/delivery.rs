//! Delivery and resume: `Joined`, `HubDelta`, `DeltaBatch` and `Ack`.
//!
//! A joined room has a position (epoch, next expected offset). A log entry is
//! delivered only if its epoch matches and its offset is the expected one; an
//! older offset is a duplicate (dropped, counted); a newer offset or another epoch
//! is a gap: nothing more is delivered and the room is re-joined from its position
//! (the hub then replays or resyncs). Entries of this replica (seen in replay)
//! only advance the position. So the application sees each remote delta once and
//! in log order, hence in order per origin.
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
    CloseCode, DeltaBatch, ErrorCode, HubDelta, Joined, Position, ReplicaId, RoomId,
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
        r.position = Some(position);
        r.status = RoomStatus::Joined;
        r.writable = j.writable;
        r.presence_dirty = r.presence.is_some();
        r.bump_seq_past(j.acked_seq);
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
    }

    /// Everything of this replica in `room` up to `seq` is durable on the hub.
    pub(super) fn apply_ack(&mut self, room: &RoomId, seq: u64) {
        let Some(r) = self.rooms.get_mut(room) else {
            return;
        };
        r.bump_seq_past(seq);
        let removed = self.outbox.settle(room, seq, || r.take_seq());
        if !removed.is_empty() {
            add(&mut self.metrics.deltas_acked, removed.len());
            self.emit(ClientEvent::DeltaAcked {
                room: room.clone(),
                seq,
            });
        }
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
        if replica == self.config.replica {
            bump(&mut self.metrics.own_deltas_skipped);
            return true;
        }
        bump(&mut self.metrics.deltas_delivered);
        self.deliver(ClientEvent::Delta {
            room: room.clone(),
            replica,
            seq,
            offset,
            payload,
        });
        true
    }
}
