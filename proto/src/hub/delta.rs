//! Client deltas: validation (including the payload against the room's CRDT type
//! through the configured [`DeltaMerger`](crate::crdt::DeltaMerger)), deduplication by
//! (replica, seq) and appending at the next offset. Delivery once durable is
//! [`live`](super::live).
//!
//! This is the hub's per-delta hot path: the delta arrives borrowed from its input
//! ([`ClientDeltaRef`]) and the room is found by name.

use std::borrow::Cow;

use bytes::Bytes;

use super::Hub;
use super::log::Dedupe;
use super::room::{LoadedRoom, Member, Room};
use super::state::OpKind;
use super::storage::StorageAction;
use crate::wire::{AckRef, ClientDeltaRef, ErrorCode, RoomId, SessionId};

impl Hub {
    pub(crate) fn on_delta(&mut self, sid: SessionId, d: ClientDeltaRef<'_>) {
        let Some(s) = self.sessions.get(&sid) else {
            return;
        };
        let room = self.rooms.get_key_value(d.room);
        let member = room
            .and_then(|(_, r)| r.loaded())
            .and_then(|l| l.members.get(&sid).map(|m| (l, m)));
        // Order matters (PROTOCOL.md §8.1): the sequence rule is checked before the
        // content, so only the next expected delta ever gets a verdict on its content
        // and every later delta of a refused stream is refused `seq_gap`.
        let problem: Option<(ErrorCode, Cow<'static, str>)> = if d.replica != s.replica {
            Some((
                ErrorCode::REPLICA_MISMATCH,
                "replica differs from the session's".into(),
            ))
        } else if let Some((l, m)) = member {
            if d.seq == 0 {
                Some((ErrorCode::MALFORMED, "sequence numbers start at 1".into()))
            } else {
                match l.log.dedupe(d.replica, d.seq) {
                    #[cfg(feature = "test-hooks")]
                    Dedupe::Durable(_) | Dedupe::InFlight
                        if self.planted(super::PlantedFault::SkipDedupe) =>
                    {
                        self.content_problem(&d, l, m)
                    }
                    Dedupe::Durable(acked) => {
                        let ack = AckRef {
                            room: d.room,
                            seq: acked,
                            offset: None,
                        };
                        self.push_bytes(sid, Bytes::from(ack.encode()));
                        return;
                    }
                    Dedupe::InFlight => return,
                    Dedupe::Gap { expected } => Some((
                        ErrorCode::SEQ_GAP,
                        format!("expected seq {expected}").into(),
                    )),
                    Dedupe::New => self.content_problem(&d, l, m),
                }
            }
        } else {
            Some((ErrorCode::UNKNOWN_ROOM, "room not joined".into()))
        };
        if let Some((code, msg)) = problem {
            self.reject(sid, code, Some(RoomId::new(d.room)), Some(d.seq), &msg);
            return;
        }
        let Some((id, r)) = room else {
            return;
        };
        let (room_id, incarnation) = (id.clone(), r.incarnation);
        if self.config.shared_log {
            let op = self.alloc_op(&room_id, incarnation, OpKind::AppendShared);
            self.append_shared(&room_id, op, d.replica, d.seq, d.payload);
            self.metrics.deltas_in = self.metrics.deltas_in.saturating_add(1);
            return;
        }
        let op = self.alloc_op(&room_id, incarnation, OpKind::Append);
        let Some(l) = self.rooms.get_mut(d.room).and_then(Room::loaded_mut) else {
            return;
        };
        let entry = l.log.reserve(op, d.replica, d.seq, d.payload);
        #[cfg(feature = "test-hooks")]
        let early_ack = (self.config.planted == Some(super::PlantedFault::AckBeforeDurable))
            .then_some((d.seq, entry.offset));
        self.storage.push_back(StorageAction::Append {
            op,
            room: room_id,
            epoch: l.epoch,
            entries: vec![entry],
        });
        self.metrics.deltas_in = self.metrics.deltas_in.saturating_add(1);
        #[cfg(feature = "test-hooks")]
        if let Some((seq, offset)) = early_ack {
            let ack = AckRef {
                room: d.room,
                seq,
                offset: Some(offset),
            };
            self.push_bytes(sid, Bytes::from(ack.encode()));
        }
    }

    /// Why the next expected delta of its replica cannot be accepted, if it cannot.
    fn content_problem(
        &self,
        d: &ClientDeltaRef<'_>,
        l: &LoadedRoom,
        m: &Member,
    ) -> Option<(ErrorCode, Cow<'static, str>)> {
        let (code, msg) = if d.payload.len() > self.config.max_payload_bytes {
            (
                ErrorCode::PAYLOAD_TOO_LARGE,
                "payload exceeds max_payload_bytes",
            )
        } else if !m.writable {
            (ErrorCode::FORBIDDEN, "read-only room")
        } else if *l.crdt != *d.crdt {
            (ErrorCode::CRDT_MISMATCH, "room has another CRDT type")
        } else if self.config.merger.validate(d.crdt, &d.payload).is_err() {
            (
                ErrorCode::MALFORMED,
                "payload does not decode as the room's CRDT type",
            )
        } else if l.log.inflight_len() >= self.config.max_pending_appends {
            (
                ErrorCode::RATE_LIMITED,
                "room append queue full; resend later",
            )
        } else {
            return None;
        };
        Some((code, msg.into()))
    }
}
