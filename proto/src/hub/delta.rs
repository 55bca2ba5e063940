//! Client deltas: validation, deduplication by (replica, seq), appending at the next
//! offset; and, once appends are durable, acks to the origin and live broadcast to
//! the other members in log order.

use std::collections::BTreeSet;

use bytes::Bytes;

use super::Hub;
use super::log::Dedupe;
use super::room::Room;
use super::state::OpKind;
use super::storage::{StorageAction, StoredEntry};
use crate::wire::{Ack, ClientDelta, ErrorCode, Frame, HubDelta, RoomId, SessionId};

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
                        });
                        self.send(sid, &ack);
                        return;
                    }
                    Dedupe::InFlight => return,
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

    /// Entries just became durable: broadcast to live members, ack their origins.
    pub(crate) fn deliver_durable(&mut self, room: &RoomId, entries: &[StoredEntry]) {
        let Some(l) = self.rooms.get(room).and_then(Room::loaded) else {
            return;
        };
        let (crdt, epoch) = (l.crdt.clone(), l.epoch);
        let mut members: Vec<(SessionId, crate::wire::ReplicaId, u64)> = l
            .members
            .iter()
            .map(|(&s, m)| (s, m.replica, m.next))
            .collect();
        for e in entries {
            let frame = Frame::HubDelta(HubDelta {
                room: room.clone(),
                crdt: crdt.clone(),
                epoch,
                offset: e.offset,
                replica: e.replica,
                seq: e.seq,
                payload: e.payload.clone(),
            });
            let bytes = Bytes::from(frame.encode());
            for (sid, replica, next) in members.iter_mut() {
                if *next != e.offset {
                    continue; // catching up: delivered from the log later
                }
                if *replica == e.replica {
                    *next = next.saturating_add(1); // own delta: not echoed live
                } else if self.can_push(*sid, bytes.len()) && self.push_bytes(*sid, bytes.clone()) {
                    *next = next.saturating_add(1);
                    self.metrics.deltas_out = self.metrics.deltas_out.saturating_add(1);
                }
            }
        }
        let origins: BTreeSet<_> = entries.iter().map(|e| e.replica).collect();
        let mut acks = Vec::new();
        if let Some(l) = self.rooms.get_mut(room).and_then(Room::loaded_mut) {
            for (sid, replica, next) in &members {
                if let Some(m) = l.members.get_mut(sid) {
                    m.next = *next;
                }
                if origins.contains(replica) {
                    let seq = l.log.durable_seq(*replica);
                    acks.push((
                        *sid,
                        Frame::Ack(Ack {
                            room: room.clone(),
                            seq,
                        }),
                    ));
                }
            }
        }
        for (sid, ack) in acks {
            self.send(sid, &ack);
        }
    }
}
