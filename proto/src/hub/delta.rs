//! Client deltas: validation (including the payload against the room's CRDT type
//! through the configured [`DeltaMerger`](crate::crdt::DeltaMerger)), deduplication by
//! (replica, seq), appending at the next offset; and, once appends are durable, live
//! delivery in log order: each entry goes as `HubDelta` to the other members and as
//! `Ack` carrying its offset to the sessions of its origin, so every member in step
//! with the log sees every offset exactly once.

use bytes::Bytes;

use super::Hub;
use super::log::Dedupe;
use super::room::Room;
use super::state::OpKind;
use super::storage::{StorageAction, StoredEntry};
use crate::wire::{Ack, ClientDelta, ErrorCode, Frame, HubDelta, ReplicaId, RoomId, SessionId};

impl Hub {
    pub(crate) fn on_delta(&mut self, sid: SessionId, d: ClientDelta) {
        let Some(s) = self.sessions.get(&sid) else {
            return;
        };
        let member = self
            .rooms
            .get(&d.room)
            .and_then(Room::loaded)
            .and_then(|l| l.members.get(&sid).map(|m| (l, m)));
        let problem = if d.replica != s.replica {
            Some((
                ErrorCode::REPLICA_MISMATCH,
                "replica differs from the session's",
            ))
        } else if d.payload.len() > self.config.max_payload_bytes {
            Some((
                ErrorCode::PAYLOAD_TOO_LARGE,
                "payload exceeds max_payload_bytes",
            ))
        } else if let Some((l, m)) = member {
            if !m.writable {
                Some((ErrorCode::FORBIDDEN, "read-only room"))
            } else if l.crdt != d.crdt {
                Some((ErrorCode::CRDT_MISMATCH, "room has another CRDT type"))
            } else if d.seq == 0 {
                Some((ErrorCode::MALFORMED, "sequence numbers start at 1"))
            } else {
                match l.log.dedupe(d.replica, d.seq) {
                    Dedupe::Durable(acked) => {
                        let ack = Frame::Ack(Ack {
                            room: d.room.clone(),
                            seq: acked,
                            offset: None,
                        });
                        self.send(sid, &ack);
                        return;
                    }
                    Dedupe::InFlight => return,
                    Dedupe::New if self.config.merger.validate(&d.crdt, &d.payload).is_err() => {
                        Some((
                            ErrorCode::MALFORMED,
                            "payload does not decode as the room's CRDT type",
                        ))
                    }
                    Dedupe::New if l.log.inflight_len() >= self.config.max_pending_appends => {
                        Some((
                            ErrorCode::RATE_LIMITED,
                            "room append queue full; resend later",
                        ))
                    }
                    Dedupe::New => None,
                }
            }
        } else {
            Some((ErrorCode::UNKNOWN_ROOM, "room not joined"))
        };
        if let Some((code, msg)) = problem {
            self.reject(sid, code, Some(d.room), Some(d.seq), msg);
            return;
        }
        let incarnation = self.rooms.get(&d.room).map_or(0, |r| r.incarnation);
        let op = self.alloc_op(&d.room, incarnation, OpKind::Append);
        let Some(l) = self.rooms.get_mut(&d.room).and_then(Room::loaded_mut) else {
            return;
        };
        let entry = l.log.reserve(op, d.replica, d.seq, d.payload);
        self.storage.push_back(StorageAction::Append {
            op,
            room: d.room,
            epoch: l.epoch,
            entries: vec![entry],
        });
        self.metrics.deltas_in = self.metrics.deltas_in.saturating_add(1);
    }

    /// Entries just became durable: in log order, each goes to every member at that
    /// offset, as `HubDelta` to the others and as `Ack` (with the offset) to the
    /// origin's sessions. A member whose backlog is full falls behind and is caught up
    /// from the log. An origin session that is behind still gets the `Ack` now if it
    /// fits (its offset is then ahead of the session, which ignores it); otherwise the
    /// replayed own entry acknowledges it.
    pub(crate) fn deliver_durable(&mut self, room: &RoomId, entries: &[StoredEntry]) {
        let Some(l) = self.rooms.get(room).and_then(Room::loaded) else {
            return;
        };
        let (crdt, epoch) = (l.crdt.clone(), l.epoch);
        let mut members: Vec<(SessionId, ReplicaId, u64)> = l
            .members
            .iter()
            .map(|(&s, m)| (s, m.replica, m.next))
            .collect();
        for e in entries {
            let delta = Frame::HubDelta(HubDelta {
                room: room.clone(),
                crdt: crdt.clone(),
                epoch,
                offset: e.offset,
                replica: e.replica,
                seq: e.seq,
                payload: e.payload.clone(),
            });
            let ack = Frame::Ack(Ack {
                room: room.clone(),
                seq: e.seq,
                offset: Some(e.offset),
            });
            let (delta, ack) = (Bytes::from(delta.encode()), Bytes::from(ack.encode()));
            for (sid, replica, next) in members.iter_mut() {
                let own = *replica == e.replica;
                let bytes = if own { &ack } else { &delta };
                if *next != e.offset && !own {
                    continue; // catching up: delivered from the log later
                }
                if !self.can_push(*sid, bytes.len()) || !self.push_bytes(*sid, bytes.clone()) {
                    continue; // falls behind, or (origin) learns from the replay
                }
                if *next == e.offset {
                    *next = next.saturating_add(1);
                    if !own {
                        self.metrics.deltas_out = self.metrics.deltas_out.saturating_add(1);
                    }
                }
            }
        }
        if let Some(l) = self.rooms.get_mut(room).and_then(Room::loaded_mut) {
            for (sid, _, next) in &members {
                if let Some(m) = l.members.get_mut(sid) {
                    m.next = *next;
                }
            }
        }
    }
}
