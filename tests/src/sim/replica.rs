//! One simulated client: the real proto [`Client`] plus the application around it
//! (one CRDT document per joined room, the unacknowledged local deltas) and the
//! client's view of the network and its clock.
//!
//! The application follows the documented contract: local operations go through
//! `Document::apply_local` and `Client::submit`; remote deltas are merged with
//! `apply_remote` (so are the replica's own logged deltas the client delivers after a
//! reset); `Resync` resets the document to the snapshot and re-applies the
//! unacknowledged local deltas. A freshly joined room takes local operations only
//! once it caught up with the head announced by `Joined`, as an application that
//! cannot know its old per-replica CRDT state must.

use std::collections::BTreeMap;

use bytes::Bytes;
use syncwire_proto::Instant;
use syncwire_proto::client::{Client, ClientEvent, RoomStatus};
use syncwire_proto::crdt::{DynDocument, Registry};
use syncwire_proto::wire::{ReplicaId, RoomId};

use super::net::ConnId;
use crate::check::{Acked, Delivery, History, Violation};

/// The application's copy of one room.
#[derive(Debug)]
pub struct RoomApp {
    /// The room's CRDT type tag.
    pub crdt: &'static str,
    /// The document.
    pub doc: Box<dyn DynDocument>,
    /// Bumped whenever the document is reset (fresh join, resync).
    pub generation: u64,
    /// The head to reach before local operations are allowed, once `Joined` came.
    pub ready_at: Option<u64>,
    /// Local operations are allowed.
    pub ready: bool,
    /// Submitted and not yet acknowledged: (seq, payload), in submit order.
    pub unacked: Vec<(u64, Bytes)>,
}

/// One simulated client and its application.
#[derive(Debug)]
pub struct SimClient {
    /// The replica id.
    pub replica: ReplicaId,
    /// The real session state machine.
    pub client: Client,
    /// The connection the session currently owns.
    pub conn: Option<ConnId>,
    /// The application's rooms.
    pub rooms: BTreeMap<RoomId, RoomApp>,
    /// This client's clock minus the world's clock, in microseconds.
    pub clock_offset: i64,
    /// Traffic of this client is held until then (partition).
    pub held_until: Option<Instant>,
    /// Downstream throttled to (bytes/s) until then (slow consumer).
    pub throttle: Option<(u64, Instant)>,
    generations: u64,
}

impl SimClient {
    /// A client around `client` for `replica`.
    pub fn new(replica: ReplicaId, client: Client) -> SimClient {
        SimClient {
            replica,
            client,
            conn: None,
            rooms: BTreeMap::new(),
            clock_offset: 0,
            held_until: None,
            throttle: None,
            generations: 0,
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

    /// The process crashed: `client` is its empty successor (same replica id).
    /// Documents, unacknowledged deltas and the connection are gone; returns the
    /// rooms the application was in, to join again. The clock, the network
    /// conditions and the generation counter (so deliveries of the new process are
    /// told apart from the old one's) carry over.
    pub fn restart(&mut self, client: Client) -> Vec<(RoomId, &'static str)> {
        self.client = client;
        self.conn = None;
        let rooms = std::mem::take(&mut self.rooms);
        rooms.into_iter().map(|(r, app)| (r, app.crdt)).collect()
    }

    /// Starts the application's copy of a freshly joined room.
    pub fn open_room(&mut self, registry: &Registry, room: RoomId, crdt: &'static str) {
        let Ok(doc) = registry.new_document(crdt, self.replica) else {
            return;
        };
        self.generations += 1;
        let app = RoomApp {
            crdt,
            doc,
            generation: self.generations,
            ready_at: None,
            ready: false,
            unacked: Vec::new(),
        };
        self.rooms.insert(room, app);
    }

    fn reapply(&mut self, room: &RoomId) -> bool {
        let Some(app) = self.rooms.get_mut(room) else {
            return true;
        };
        let mut ok = true;
        for (_, payload) in &app.unacked {
            ok &= app.doc.apply_remote(payload).is_ok();
        }
        ok
    }

    /// Whether local operations on `room` are allowed (updating readiness).
    pub fn ready(&mut self, room: &RoomId) -> bool {
        let Some(app) = self.rooms.get_mut(room) else {
            return false;
        };
        if !app.ready {
            let info = self.client.room(room);
            let joined = info
                .as_ref()
                .is_some_and(|i| i.status == RoomStatus::Joined);
            let offset = info.and_then(|i| i.position).map(|p| p.offset);
            if let (true, Some(head), Some(offset)) = (joined, app.ready_at, offset) {
                app.ready = offset >= head;
            }
        }
        app.ready
    }

    /// The application handles one event at world time `now`.
    pub fn on_event(
        &mut self,
        now: Instant,
        event: ClientEvent,
        history: &mut History,
        violations: &mut Vec<Violation>,
    ) {
        let me = self.replica;
        match event {
            ClientEvent::Joined {
                room, head, resync, ..
            } => {
                let mut fresh = false;
                if let Some(app) = self.rooms.get_mut(&room) {
                    fresh = app.ready_at.is_none();
                    if !app.ready || resync {
                        app.ready = false;
                        app.ready_at = Some(head);
                    }
                }
                if fresh && !self.reapply(&room) {
                    let detail =
                        format!("replica {} room {room:?}: own delta does not decode", me.0);
                    violations.push(Violation::new("bad_payload", Some(now), detail));
                }
            }
            ClientEvent::Resync { room, snapshot, .. } => {
                self.generations += 1;
                let Some(app) = self.rooms.get_mut(&room) else {
                    return;
                };
                app.generation = self.generations;
                let ok = app.doc.reset_to_snapshot(snapshot.as_deref()).is_ok();
                if !(self.reapply(&room) && ok) {
                    let detail =
                        format!("replica {} room {room:?}: snapshot does not decode", me.0);
                    violations.push(Violation::new("bad_payload", Some(now), detail));
                }
            }
            ClientEvent::Delta {
                room,
                replica,
                seq,
                offset,
                payload,
            } => {
                let epoch = self
                    .client
                    .room(&room)
                    .and_then(|i| i.position)
                    .map_or(0, |p| p.epoch);
                let Some(app) = self.rooms.get_mut(&room) else {
                    return;
                };
                history.deliveries.push(Delivery {
                    at: now,
                    replica: me,
                    room: room.clone(),
                    generation: app.generation,
                    origin: replica,
                    seq,
                    epoch,
                    offset,
                });
                if app.doc.apply_remote(&payload).is_err() {
                    let detail = format!(
                        "replica {} room {room:?}: delta ({}, {seq}) does not decode",
                        me.0, replica.0
                    );
                    violations.push(Violation::new("bad_payload", Some(now), detail));
                }
            }
            ClientEvent::DeltaAcked { room, seq } => {
                let Some(app) = self.rooms.get_mut(&room) else {
                    return;
                };
                // Sequences of queued deltas change when the outbox folds or
                // renumbers (PROTOCOL.md §8.1); once the room's queue is empty,
                // every delta submitted to it is acknowledged.
                let all = self.client.room_outbox_len(&room) == 0;
                let (done, rest): (Vec<_>, Vec<_>) =
                    app.unacked.drain(..).partition(|(s, _)| all || *s <= seq);
                app.unacked = rest;
                for (s, payload) in done {
                    history.acked.push(Acked {
                        at: now,
                        room: room.clone(),
                        replica: me,
                        seq: s,
                        ack_seq: seq,
                        payload,
                    });
                }
            }
            ClientEvent::DeltaRejected {
                room, seq, code, ..
            } => {
                let detail = format!("replica {} room {room:?} seq {seq}: {code}", me.0);
                violations.push(Violation::new("delta_rejected", Some(now), detail));
                if let Some(app) = self.rooms.get_mut(&room) {
                    app.unacked.retain(|(s, _)| *s != seq);
                }
            }
            ClientEvent::JoinRejected { room, code, .. } => {
                let detail = format!("replica {} room {room:?}: {code}", me.0);
                violations.push(Violation::new("join_rejected", Some(now), detail));
            }
            _ => {}
        }
    }
}
