//! Client deltas: validation (including the payload against the room's CRDT type
//! through the configured [`DeltaMerger`](crate::crdt::DeltaMerger)), deduplication by
//! (replica, seq), appending at the next offset; and, once appends are durable, live
//! delivery in log order: each entry goes as `HubDelta` to the other members and as
//! `Ack` carrying its offset to the sessions of its origin, so every member in step
//! with the log sees every offset exactly once.
//!
//! This is the hub's per-delta hot path: the delta arrives borrowed from its input
//! ([`ClientDeltaRef`]), the room is found by name, and the outgoing frames are
//! encoded straight from the log entry into buffers of their exact size.

use std::borrow::Cow;

use bytes::Bytes;

use super::Hub;
use super::backlog::Sink;
use super::log::Dedupe;
use super::room::{LoadedRoom, Member, Room};
use super::state::OpKind;
use super::storage::StorageAction;
use crate::wire::{AckRef, ClientDeltaRef, ErrorCode, RoomEncoder, RoomId, SessionId};

/// One frame of an entry on its way to its recipients. The last recipient found gets
/// the frame itself, earlier ones a shared clone, so a frame for one recipient is
/// never cloned (a clone of a freshly encoded buffer costs an allocation).
#[derive(Default)]
struct Fanout {
    bytes: Option<Bytes>,
    pending: Option<SessionId>,
}

impl Fanout {
    /// Queues the frame for the previous recipient and holds it for `sid` (both
    /// checked with `Sink::fits`).
    fn to(&mut self, sink: &mut Sink<'_>, sid: SessionId, encode: impl FnOnce() -> Vec<u8>) {
        let bytes = self.bytes.get_or_insert_with(|| Bytes::from(encode()));
        if let Some(prev) = self.pending.replace(sid) {
            sink.queue(prev, bytes.clone());
        }
    }
    /// Queues the frame for the last recipient.
    fn finish(self, sink: &mut Sink<'_>) {
        if let (Some(sid), Some(bytes)) = (self.pending, self.bytes) {
            sink.queue(sid, bytes);
        }
    }
}

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

    /// The newest `durable` entries of the tail just became durable: in log order,
    /// each goes to every member at that offset, as `HubDelta` to the others and as
    /// `Ack` (with the offset) to the origin's sessions. A member whose backlog is full falls behind and is caught up
    /// from the log. An origin session that is behind still gets the `Ack` now if it
    /// fits (its offset is then ahead of the session, which ignores it); otherwise the
    /// replayed own entry acknowledges it.
    pub(crate) fn deliver_durable(&mut self, room: &RoomId, durable: usize) {
        let mut sink = Sink {
            sessions: &mut self.sessions,
            ready: &mut self.ready,
            metrics: &mut self.metrics,
            max_backlog: self.config.max_backlog_bytes,
        };
        let Some(l) = self.rooms.get_mut(room).and_then(Room::loaded_mut) else {
            return;
        };
        let LoadedRoom {
            log,
            members,
            encoder,
            crdt,
            epoch,
            ..
        } = l;
        let encoder = encoder.get_or_insert_with(|| RoomEncoder::new(room.as_str(), crdt, *epoch));
        for e in log.newest(durable) {
            let delta_len = encoder.hub_delta_len(e.offset, e.replica, e.seq, e.payload.len());
            let ack_len = encoder.ack_len(e.seq, Some(e.offset));
            let (mut acks, mut deltas) = (Fanout::default(), Fanout::default());
            for (&sid, m) in members.iter_mut() {
                let own = m.replica == e.replica;
                if m.next != e.offset && !own {
                    continue; // catching up: delivered from the log later
                }
                if !sink.fits(sid, if own { ack_len } else { delta_len }) {
                    continue; // falls behind, or (origin) learns from the replay
                }
                // It fits, so the push (held until the next recipient) succeeds.
                if own {
                    acks.to(&mut sink, sid, || {
                        encoder.ack(ack_len, e.seq, Some(e.offset))
                    });
                } else {
                    deltas.to(&mut sink, sid, || {
                        encoder.hub_delta(delta_len, e.offset, e.replica, e.seq, &e.payload)
                    });
                }
                if m.next == e.offset {
                    m.next = m.next.saturating_add(1);
                    if !own {
                        sink.metrics.deltas_out = sink.metrics.deltas_out.saturating_add(1);
                    }
                }
            }
            acks.finish(&mut sink);
            deltas.finish(&mut sink);
        }
        let head = log.durable_head();
        for (sid, m) in members.iter() {
            if m.next < head {
                if let Some(s) = sink.sessions.get_mut(sid) {
                    s.maybe_behind = true;
                }
            }
        }
    }
}
