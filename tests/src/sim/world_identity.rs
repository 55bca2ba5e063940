//! Replica identity in the world: every client presents a token bound to its own
//! replica id ([`SimAuthorizer`]); misbehaving connections without a token may only
//! claim ids from `ROGUE_REPLICA_BASE` on.
//!
//! Two faults test the identity rules:
//!
//! * an **impostor** holds a token granting only rogue ids, claims a real client's
//!   replica id, then joins a room and submits a delta with seq `u64::MAX`. The hub
//!   must refuse the claim at the handshake (close 4014, within the rogue bound), and
//!   no log may ever hold that seq (checked at the end);
//! * a **twin** is a duplicated instance: the client's own token and replica id. It
//!   replaces the client's session (the client fails with
//!   [`DisconnectReason::Replaced`]); the client's application takes over again at
//!   once (`connect`), which replaces the twin in turn (closing it within the rogue
//!   bound). The twin only joins a room; whatever the client had submitted stays
//!   queued through the takeover, so the run's delivery and ack checks show no acked
//!   delta lost and none duplicated.

use std::sync::Arc;

use syncwire_proto::client::{ClientState, DisconnectReason};
use syncwire_proto::hub::{
    AuthDecision, AuthError, AuthRequest, Authorizer, Identity, ReplicaGrant,
};
use syncwire_proto::wire::{ClientDelta, Frame, Hello, Join, ReplicaId, RoomId};

use super::world::{Ev, World};
use super::world_auth::AccessPolicy;
use super::world_faults::ROGUE_REPLICA_BASE;
use crate::check::{FinalState, Violation};

/// The token of the client speaking for `replica`.
pub(crate) fn token_of(replica: ReplicaId) -> String {
    format!("replica-{}", replica.0)
}

/// Grants each client token its own replica id, with the room access of the world's
/// [`AccessPolicy`] (refusing expired tokens); anything else only rogue ids.
#[derive(Debug)]
pub(crate) struct SimAuthorizer(AccessPolicy);

impl Authorizer for SimAuthorizer {
    fn authorize(&self, request: &AuthRequest) -> AuthDecision {
        let own = request
            .token
            .as_deref()
            .and_then(|t| t.strip_prefix("replica-"))
            .and_then(|n| n.parse::<u64>().ok())
            .filter(|&n| n < ROGUE_REPLICA_BASE);
        let identity = match own {
            Some(n) if !self.0.token_valid(n) => {
                return AuthDecision::Decided(Err(AuthError("token expired".into())));
            }
            Some(n) => Identity::with_rule(format!("c{n}"), Arc::new(self.0.rule(n)))
                .with_replicas(ReplicaGrant::only([n])),
            None => Identity::read_write_all("rogue")
                .with_replicas(ReplicaGrant::Range(ROGUE_REPLICA_BASE..=u64::MAX)),
        };
        AuthDecision::Decided(Ok(identity))
    }
}

/// The authorizer every hub incarnation of the world uses.
pub(crate) fn authorizer(policy: AccessPolicy) -> Arc<dyn Authorizer> {
    Arc::new(SimAuthorizer(policy))
}

impl World {
    /// A room of the scenario (picked by the seed) with its type.
    fn some_room(&mut self) -> (RoomId, &'static str) {
        let last = self.scenario.rooms.len().saturating_sub(1) as u64;
        let pick = self.rng.below_inclusive(last) as usize;
        let (name, crdt) = self.scenario.rooms.get(pick).cloned().unwrap_or_default();
        (RoomId::new(&name), crdt)
    }

    /// Sends `frames` from a rogue connection, in order.
    fn rogue_send(&mut self, conn: super::net::ConnId, frames: Vec<Vec<u8>>) {
        for f in frames {
            let at = self.net.up(conn, self.now, &mut self.rng, None);
            self.schedule(at, Ev::ToHub(conn, f.into()));
        }
        self.drain_hub();
    }

    pub(crate) fn impostor(&mut self, victim: usize) {
        let replica = self.clients[victim].replica;
        let Some((_, conn)) = self.open_rogue() else {
            return;
        };
        let (room, crdt) = self.some_room();
        let payload = self.registry.empty_state(crdt).unwrap_or_default();
        let frames = [
            Frame::Hello(Hello {
                versions: syncwire_proto::wire::SUPPORTED_VERSIONS.to_vec(),
                replica,
                token: Some("impostor".into()),
                user_info: None,
            }),
            Frame::Join(Join {
                room: room.clone(),
                crdt: crdt.into(),
                resume: None,
            }),
            Frame::ClientDelta(ClientDelta {
                room,
                crdt: crdt.into(),
                replica,
                seq: u64::MAX,
                payload: payload.into(),
            }),
        ];
        self.rogue_send(conn, frames.iter().map(Frame::encode).collect());
    }

    pub(crate) fn twin(&mut self, victim: usize) {
        let replica = self.clients[victim].replica;
        let Some((_, conn)) = self.open_rogue() else {
            return;
        };
        self.twin_victims.push(victim);
        let (room, crdt) = self.some_room();
        let frames = [
            Frame::Hello(Hello {
                versions: syncwire_proto::wire::SUPPORTED_VERSIONS.to_vec(),
                replica,
                token: Some(token_of(replica)),
                user_info: None,
            }),
            Frame::Join(Join {
                room,
                crdt: crdt.into(),
                resume: None,
            }),
        ];
        self.rogue_send(conn, frames.iter().map(Frame::encode).collect());
    }

    /// A client replaced by a twin: its application takes the replica id back at
    /// once (the twin's session is replaced in turn). Returns whether it did. A
    /// client no twin was opened against is never replaced; if it were, it would stay
    /// `Failed` and the run would fail its liveness check.
    pub(crate) fn take_over_if_replaced(&mut self, i: usize) -> bool {
        let twinned = self.twin_victims.contains(&i);
        let c = &mut self.clients[i];
        let replaced = c.app.client().state() == ClientState::Failed
            && c.app.client().failure() == Some(&DisconnectReason::Replaced);
        if replaced && twinned {
            let now = c.local(self.now);
            c.app.connect(now);
            self.transcript
                .note(self.now, &Self::who(i), || "replaced: take over".into());
        }
        replaced
    }
}

/// No log may hold an impostor's delta (seq `u64::MAX`).
pub(crate) fn check_no_impostor(fin: &FinalState) -> Vec<Violation> {
    let mut found = Vec::new();
    for (room, r) in &fin.rooms {
        for (replica, seq) in &r.seqs {
            if *seq == u64::MAX {
                let detail = format!("{room:?}: replica {} reached seq u64::MAX", replica.0);
                found.push(Violation::new("impostor_logged", None, detail));
            }
        }
    }
    found
}
