//! Settling and the end of a run: the periodic settle check after faults heal,
//! the final state (durable room states folded from storage, replica documents),
//! and the end-of-run checkers, including liveness and misbehaving connections.

use std::collections::BTreeMap;

use bytes::Bytes;
use core::time::Duration;
use syncwire_proto::client::{ClientState, RoomStatus};
use syncwire_proto::crdt::DeltaMerger;
use syncwire_proto::hub::{OpId, StorageAction, StorageCompletion};
use syncwire_proto::wire::{ReplicaId, RoomId};

use super::world::{Ev, World};
use super::world_faults::{ROGUE_CLOSE_BOUND, ROGUE_REPLICA_BASE};
use crate::check::{
    FinalState, HubRoom, ReplicaRoom, check_acked, check_convergence, check_deliveries,
    check_no_foreign_deltas, check_no_gap_rejoins,
};
use crate::scenario::FaultRates;

/// How often the world checks whether it settled once faults healed.
const CHECK_EVERY: Duration = Duration::from_millis(500);

impl World {
    pub(crate) fn on_check(&mut self) {
        if self.unsettled().is_empty() {
            self.settled_at = Some(self.now);
            self.transcript.note(self.now, "world", || "settled".into());
            return;
        }
        self.schedule(self.now + CHECK_EVERY, Ev::Check);
    }

    /// Why the world has not settled yet (empty once it has).
    pub(crate) fn unsettled(&mut self) -> Vec<String> {
        let mut why = Vec::new();
        let nodes = self.node_count();
        for k in 0..nodes {
            let Some(hub) = self.hub_of(k) else {
                return vec![format!("hub node {k} is down")];
            };
            if hub.pending_storage_ops() > 0 {
                why.push(format!("hub node {k} waits for storage"));
            }
        }
        if self.storage.pending() > 0 {
            why.push("storage writes pending".into());
        }
        for (i, c) in self.clients.iter().enumerate() {
            let client = c.app.client();
            if client.state() != ClientState::Connected {
                why.push(format!("c{i} is {:?}", client.state()));
                continue;
            }
            // The node this client is connected to.
            let node = c
                .conn
                .and_then(|conn| self.net.get(conn))
                .map_or(0, |c| c.node);
            let Some(hub) = self.hub_of(node) else {
                why.push(format!("c{i} is connected to node {node}, which is down"));
                continue;
            };
            if client.outbox_len() > 0 {
                why.push(format!("c{i} outbox holds {}", client.outbox_len()));
            }
            if c.app.waiting_ops() > 0 {
                why.push(format!("c{i} has {} waiting ops", c.app.waiting_ops()));
            }
            for (room, _) in c.app.documents() {
                let info = client.room(room);
                let status = info.as_ref().map(|i| i.status);
                let pos = info.and_then(|i| i.position).map(|p| (p.epoch, p.offset));
                // Own deltas are acked with their offsets: every position reaches the head.
                let at_head = pos.is_some() && pos == hub.room_position(room);
                if status != Some(RoomStatus::Joined) || !at_head {
                    why.push(format!(
                        "c{i} {room:?} {status:?} at {pos:?}, hub at {:?}",
                        hub.room_position(room)
                    ));
                    continue;
                }
                // Every membership change reaches every member (PROTOCOL.md §3.12),
                // on every node (§8.6): once settled, each member counts the room's
                // members of all live nodes.
                let members = (0..nodes)
                    .filter_map(|k| self.hub_of(k))
                    .map(|h| h.room_members(room).len() as u64)
                    .sum::<u64>();
                let counted = client.room(room).and_then(|i| i.peer_count);
                if counted != Some(members) {
                    why.push(format!(
                        "c{i} {room:?} counts {counted:?} members, the hub {members}"
                    ));
                }
            }
        }
        if why.is_empty() {
            let fin = self.final_state();
            for v in check_convergence(&self.registry, &fin) {
                why.push(v.to_string());
            }
        }
        why
    }

    /// (offset, origin) of every stored entry, per room.
    fn stored_origins(&mut self) -> BTreeMap<RoomId, Vec<(u64, ReplicaId)>> {
        let mut out = BTreeMap::new();
        let names: Vec<String> = self.scenario.rooms.iter().map(|(n, _)| n.clone()).collect();
        for name in names {
            let room = RoomId::new(&name);
            let load = StorageAction::Load {
                op: OpId(u64::MAX),
                room: room.clone(),
                tail_limit: usize::MAX,
            };
            if let StorageCompletion::Loaded {
                result: Ok(Some(rec)),
                ..
            } = self.storage.execute(load)
            {
                let log = rec.tail.iter().map(|e| (e.offset, e.replica)).collect();
                out.insert(room, log);
            }
        }
        out
    }

    /// The durable state of every room and the documents of every replica.
    pub fn final_state(&mut self) -> FinalState {
        let mut rooms = BTreeMap::new();
        let names: Vec<String> = self.scenario.rooms.iter().map(|(n, _)| n.clone()).collect();
        for name in names {
            let room = RoomId::new(&name);
            let load = StorageAction::Load {
                op: OpId(u64::MAX),
                room: room.clone(),
                tail_limit: usize::MAX,
            };
            let StorageCompletion::Loaded {
                result: Ok(Some(rec)),
                ..
            } = self.storage.execute(load)
            else {
                continue;
            };
            let (mut state, from) = match &rec.snapshot {
                Some(s) => (s.state.to_vec(), s.offset),
                None => (self.registry.empty_state(&rec.crdt).unwrap_or_default(), 0),
            };
            for e in rec.tail.iter().filter(|e| e.offset >= from) {
                match self.registry.merge(&rec.crdt, &state, &e.payload) {
                    Ok(Some(s)) => state = s,
                    _ => {
                        let detail = format!("{room:?} entry {} does not merge", e.offset);
                        self.violate("bad_payload", detail);
                    }
                }
            }
            let hub_room = HubRoom {
                crdt: rec.crdt.clone(),
                state: Bytes::from(state),
                seqs: rec.seqs.iter().copied().collect(),
            };
            rooms.insert(room, hub_room);
        }
        let mut replicas = Vec::new();
        for c in &self.clients {
            for (room, doc) in c.app.documents() {
                let state = doc.encode_state().map(Bytes::from).unwrap_or_default();
                replicas.push(ReplicaRoom {
                    replica: c.replica,
                    room: room.clone(),
                    state,
                });
            }
        }
        FinalState { rooms, replicas }
    }

    /// Prints diverging documents next to the hub's state (replay aid).
    fn dump_divergence(&mut self) {
        let fin = self.final_state();
        let logs = self.stored_origins();
        for v in check_acked(&self.registry, &self.history, &fin) {
            println!("{v}");
        }
        for v in check_convergence(&self.registry, &fin) {
            println!("{v}");
        }
        for r in &fin.replicas {
            let Some(room) = fin.rooms.get(&r.room) else {
                continue;
            };
            let hub = crate::check::canonical(&self.registry, &room.crdt, &room.state);
            let mine = crate::check::canonical(&self.registry, &room.crdt, &r.state);
            if hub == mine {
                continue;
            }
            if let Ok(mut doc) = self.registry.new_document(&room.crdt, r.replica) {
                let _ = doc.reset_to_snapshot(Some(&room.state));
                println!("hub {:?}: {doc:?}", r.room);
            }
            let c = self.clients.iter().find(|c| c.replica == r.replica);
            if let Some((c, doc)) = c.and_then(|c| Some((c, c.app.document(&r.room)?))) {
                let generation = c.generation(&r.room);
                println!("replica {} {:?}: {:?}", r.replica.0, r.room, doc);
                let got: std::collections::BTreeSet<u64> = self
                    .history
                    .deliveries
                    .iter()
                    .filter(|d| d.replica == r.replica && d.room == r.room)
                    .filter(|d| d.generation == generation)
                    .map(|d| d.offset)
                    .collect();
                let missing: Vec<(u64, u64)> = logs
                    .get(&r.room)
                    .into_iter()
                    .flatten()
                    .filter(|(o, rep)| *rep != r.replica && !got.contains(o))
                    .map(|(o, rep)| (*o, rep.0))
                    .collect();
                println!("generation {generation} missing remote (offset, origin): {missing:?}");
            }
        }
    }

    /// End of run: liveness, misbehaving connections and the history checkers.
    pub(crate) fn finish(&mut self) {
        if !self.violations.is_empty() {
            return;
        }
        if self.scenario.faults == FaultRates::NONE {
            let gaps: Vec<_> = (self.clients.iter())
                .map(|c| (c.replica, c.app.client().metrics().gaps))
                .collect();
            self.violations.extend(check_no_gap_rejoins(&gaps));
        }
        if self.settled_at.is_none() {
            let why = self.unsettled();
            let shown: Vec<String> = why.iter().take(8).cloned().collect();
            let detail = format!(
                "not settled {:?} after faults healed at {:?}: {}{}",
                self.scenario.liveness_bound,
                self.plan.heal_at,
                shown.join("; "),
                if why.len() > 8 {
                    format!("; and {} more", why.len() - 8)
                } else {
                    String::new()
                }
            );
            self.violate("liveness", detail);
            if self.transcript.recording() {
                self.dump_divergence();
            }
            return;
        }
        for r in self.rogues.clone() {
            let closed_in = r.closed.map(|t| t - r.opened);
            if closed_in.is_none_or(|d| d > ROGUE_CLOSE_BOUND) {
                let detail = format!(
                    "misbehaving connection {} opened at {:?} closed after {closed_in:?}",
                    r.conn, r.opened
                );
                self.violate("rogue_not_closed", detail);
            }
        }
        let fin = self.final_state();
        let mut found = check_deliveries(&self.history);
        found.extend(check_no_foreign_deltas(
            &self.history,
            &fin,
            ROGUE_REPLICA_BASE,
        ));
        found.extend(check_acked(&self.registry, &self.history, &fin));
        found.extend(super::world_identity::check_no_impostor(&fin));
        found.extend(super::world_auth::check_no_forbidden_writes(
            &self.policy,
            &fin,
            ROGUE_REPLICA_BASE,
        ));
        found.extend(check_convergence(&self.registry, &fin));
        self.violations.extend(found);
    }
}
