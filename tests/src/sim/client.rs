//! One simulated client: the real proto [`Replica`] (client session, rooms'
//! documents, join gate — the code every driver runs) plus the client's view of
//! the network and its clock, and what the history checkers record from its events
//! ([`Seen`]).

use std::collections::BTreeMap;

use bytes::Bytes;
use syncwire_proto::Instant;
use syncwire_proto::client::ClientEvent;
use syncwire_proto::replica::{Replica, SavedSession};
use syncwire_proto::wire::{ReplicaId, RoomId};

use super::net::ConnId;
use crate::check::{Acked, Delivery, History, Violation};

/// One simulated client.
#[derive(Debug)]
pub struct SimClient {
    /// The replica id.
    pub replica: ReplicaId,
    /// The replica: session, documents and join gate.
    pub app: Replica,
    /// The connection the session currently owns.
    pub conn: Option<ConnId>,
    /// This client's clock minus the world's clock, in microseconds.
    pub clock_offset: i64,
    /// Traffic of this client is held until then (partition).
    pub held_until: Option<Instant>,
    /// Downstream throttled to (bytes/s) until then (slow consumer).
    pub throttle: Option<(u64, Instant)>,
    /// What the checkers record from this client's events.
    pub seen: Seen,
    /// The state the application last saved (`Replica::export`), if any.
    pub saved: Option<SavedSession>,
    /// Connections dialled (picks the hub node, round-robin).
    pub dials: usize,
}

/// What the history recorder keeps of one client, across its restarts.
#[derive(Debug, Default)]
pub struct Seen {
    /// Each room's document generation (bumped by every reset: fresh join, resync).
    generation: BTreeMap<RoomId, u64>,
    generations: u64,
    /// The outbox as of the last drain, per room: (seq, payload). An ack covers
    /// the entries it names; their payloads are what the hub must hold.
    outbox: BTreeMap<RoomId, Vec<(u64, Bytes)>>,
    /// The replica's apply errors already reported.
    apply_errors: u64,
    /// The client's count of withdrawn deltas as of the last drain.
    withdrawn: u64,
}

impl SimClient {
    /// A client around `app` for `replica`.
    pub fn new(replica: ReplicaId, app: Replica) -> SimClient {
        SimClient {
            replica,
            app,
            conn: None,
            clock_offset: 0,
            held_until: None,
            throttle: None,
            seen: Seen::default(),
            saved: None,
            dials: 0,
        }
    }

    /// The client's own clock at world time `now`.
    pub fn local(&self, now: Instant) -> Instant {
        let t = i128::from(now.as_micros()) + i128::from(self.clock_offset);
        Instant::from_micros(u64::try_from(t.max(0)).unwrap_or(u64::MAX))
    }

    /// World time at which the client's clock shows `local`.
    pub fn global(&self, local: Instant) -> Instant {
        let t = i128::from(local.as_micros()) - i128::from(self.clock_offset);
        Instant::from_micros(u64::try_from(t.max(0)).unwrap_or(u64::MAX))
    }

    /// Whether traffic is held at world time `now`.
    pub fn held(&self, now: Instant) -> Option<Instant> {
        self.held_until.filter(|&t| t > now)
    }

    /// The downstream bandwidth at world time `now`, if throttled.
    pub fn bandwidth(&self, now: Instant) -> Option<u64> {
        self.throttle
            .filter(|&(_, until)| until > now)
            .map(|(bw, _)| bw)
    }

    /// The process crashed: `app` is its empty successor (same replica id).
    /// Documents, unacknowledged deltas and the connection are gone; returns the
    /// rooms the application was in, to join again. The clock, the network
    /// conditions and the generation counter (so deliveries of the new process are
    /// told apart from the old one's) carry over.
    pub fn restart(&mut self, app: Replica) -> Vec<(RoomId, &'static str)> {
        let rooms = self.app.documents().map(|(r, d)| (r.clone(), d.tag()));
        let rooms = rooms.collect();
        self.app = app;
        self.conn = None;
        self.seen.outbox.clear();
        self.seen.apply_errors = 0;
        self.seen.withdrawn = 0;
        rooms
    }

    /// The document generation of `room`.
    pub fn generation(&self, room: &RoomId) -> u64 {
        self.seen.generation.get(room).copied().unwrap_or(0)
    }

    /// A room was joined: its document starts a new generation.
    pub fn opened(&mut self, room: RoomId) {
        self.seen.generations += 1;
        self.seen.generation.insert(room, self.seen.generations);
    }

    /// Remembers the outbox after a drain (see [`Seen`]).
    pub fn drained(&mut self) {
        let client = self.app.client();
        self.seen.withdrawn = client.metrics().deltas_rejected;
        self.seen.outbox = (self.app.documents())
            .map(|(room, _)| {
                let entries = client.room_unacked(room).map(|(s, p)| (s, p.clone()));
                (room.clone(), entries.collect())
            })
            .collect();
    }

    /// Records one event the replica handed out (already applied to its
    /// documents) at world time `now`. A refusal is a violation unless
    /// `expected_refusal` (the world's access policy explains it).
    pub fn record(
        &mut self,
        now: Instant,
        event: &ClientEvent,
        expected_refusal: bool,
        history: &mut History,
        violations: &mut Vec<Violation>,
    ) {
        let me = self.replica;
        let errors = self.app.apply_errors();
        if errors > self.seen.apply_errors {
            self.seen.apply_errors = errors;
            let detail = format!("replica {}: {event:?} does not apply", me.0);
            violations.push(Violation::new("bad_payload", Some(now), detail));
        }
        match event {
            ClientEvent::Resync { room, .. } => self.opened(room.clone()),
            ClientEvent::Delta {
                room,
                replica,
                seq,
                offset,
                ..
            } => {
                let info = self.app.client().room(room);
                let epoch = info.and_then(|i| i.position).map_or(0, |p| p.epoch);
                history.deliveries.push(Delivery {
                    at: now,
                    replica: me,
                    room: room.clone(),
                    generation: self.generation(room),
                    origin: *replica,
                    seq: *seq,
                    epoch,
                    offset: *offset,
                });
            }
            ClientEvent::DeltaAcked { room, seq } => {
                // Sequences of queued deltas change when the outbox folds or
                // renumbers (PROTOCOL.md §8.1); once the room's queue is empty,
                // every delta queued in it is acknowledged — unless deltas were
                // withdrawn since the last drain (a `Joined` that acks some and
                // refuses the rest empties the queue too; `DeltaRejected` follows).
                let withdrawn = self.app.client().metrics().deltas_rejected;
                let all = self.app.client().room_outbox_len(room) == 0
                    && withdrawn == self.seen.withdrawn;
                let queued = self.seen.outbox.entry(room.clone()).or_default();
                let (done, rest): (Vec<_>, Vec<_>) =
                    queued.drain(..).partition(|(s, _)| all || s <= seq);
                *queued = rest;
                for (s, payload) in done {
                    history.acked.push(Acked {
                        at: now,
                        room: room.clone(),
                        replica: me,
                        seq: s,
                        ack_seq: *seq,
                        payload,
                    });
                }
            }
            ClientEvent::DeltaRejected {
                room, seq, code, ..
            } => {
                if !expected_refusal {
                    let detail = format!("replica {} room {room:?} seq {seq}: {code}", me.0);
                    violations.push(Violation::new("delta_rejected", Some(now), detail));
                }
                if let Some(queued) = self.seen.outbox.get_mut(room) {
                    queued.retain(|(s, _)| s != seq);
                }
            }
            ClientEvent::JoinRejected { room, code, .. } if !expected_refusal => {
                let detail = format!("replica {} room {room:?}: {code}", me.0);
                violations.push(Violation::new("join_rejected", Some(now), detail));
            }
            _ => {}
        }
    }
}
