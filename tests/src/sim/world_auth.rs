//! The access policy of a `restricted` world ([`AccessPolicy`]) and the faults that
//! change it: which rooms each replica may write, only read, or not enter, whose write
//! grant is revoked for a while, and whose token has expired.
//!
//! * **Static rules** (from the replica id and the room name): about one pair in ten
//!   is `Access::None` (the `Join` is refused `forbidden`), two in ten `Access::Read`
//!   (joined read-only: local operations fail `ReadOnly`; a join that would create
//!   the room is refused `forbidden`).
//! * **Revocation** (`Fault::Revoke`): the replica's next handshake yields an identity
//!   that may only read; its connection is dropped, so the re-join of every room comes
//!   back read-only and the deltas still queued are withdrawn (`DeltaRejected`
//!   `forbidden`) — refusals in the middle of a stream. `Fault::Regrant` restores the
//!   grant and drops the connection again.
//! * **Expiry** (`Fault::Expire`): the replica's token is refused at the handshake
//!   (`unauthorized`, close 4002; the client stops) until `Fault::Renew`, after which
//!   the application connects again (its outbox was kept).
//!
//! The application resets a room whose document holds refused effects (leave and
//! join again: a fresh document from the hub's state and its own logged entries),
//! and leaves a room it may not enter. A refusal is only accepted by the checkers
//! when the policy ever denied it ([`AccessPolicy::may_refuse_write`],
//! [`AccessPolicy::may_refuse_join`]); a refused delta must not be logged; and at the
//! end no log may hold a delta of a replica in a room its static rule never let it
//! write (`forbidden_write_logged`).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use syncwire_proto::client::{ClientEvent, ClientState};
use syncwire_proto::hub::{Access, OpId, StorageAction, StorageCompletion};
use syncwire_proto::wire::{ErrorCode, ReplicaId, RoomId};

use super::faults::Fault;
use super::world::{Ev, World};
use crate::check::{self, FinalState, Violation};

/// The access rules of a world, shared by every hub incarnation's authorizer.
#[derive(Clone, Debug, Default)]
pub struct AccessPolicy {
    inner: Arc<Mutex<PolicyState>>,
}

#[derive(Debug, Default)]
struct PolicyState {
    /// Static rules on; otherwise everyone may read and write everything.
    restricted: bool,
    /// Replicas whose write grant is revoked now.
    revoked: BTreeSet<u64>,
    /// Replicas whose write grant was ever revoked.
    ever_revoked: BTreeSet<u64>,
    /// Replicas whose token is refused now.
    expired: BTreeSet<u64>,
}

/// The access `replica` has to `room` under the static rules.
pub fn static_access(replica: u64, room: &RoomId) -> Access {
    let name: u64 = room.as_str().bytes().map(u64::from).sum();
    match replica.wrapping_mul(31).wrapping_add(name) % 10 {
        0 => Access::None,
        1 | 2 => Access::Read,
        _ => Access::ReadWrite,
    }
}

impl AccessPolicy {
    /// A policy; `restricted` turns the static rules on.
    pub fn new(restricted: bool) -> AccessPolicy {
        let state = PolicyState {
            restricted,
            ..PolicyState::default()
        };
        AccessPolicy {
            inner: Arc::new(Mutex::new(state)),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut PolicyState) -> T) -> T {
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }

    /// Whether `replica`'s token is accepted now.
    pub fn token_valid(&self, replica: u64) -> bool {
        self.with(|p| !p.expired.contains(&replica))
    }

    /// The access rule of an identity authorized now: static rules, read-only
    /// everywhere while the write grant is revoked. Fixed for the session.
    pub fn rule(&self, replica: u64) -> impl Fn(&RoomId) -> Access + Send + Sync + 'static {
        let (restricted, revoked) = self.with(|p| (p.restricted, p.revoked.contains(&replica)));
        move |room: &RoomId| {
            let access = if restricted {
                static_access(replica, room)
            } else {
                Access::ReadWrite
            };
            match access {
                Access::ReadWrite if revoked => Access::Read,
                other => other,
            }
        }
    }

    /// Revokes (`true`) or restores `replica`'s write grant.
    pub fn set_revoked(&self, replica: u64, revoked: bool) {
        self.with(|p| {
            if revoked {
                p.revoked.insert(replica);
                p.ever_revoked.insert(replica);
            } else {
                p.revoked.remove(&replica);
            }
        });
    }

    /// Expires (`true`) or renews `replica`'s token.
    pub fn set_expired(&self, replica: u64, expired: bool) {
        self.with(|p| {
            if expired {
                p.expired.insert(replica);
            } else {
                p.expired.remove(&replica);
            }
        });
    }

    /// Whether the policy ever denied `replica` writing to `room`.
    pub fn may_refuse_write(&self, replica: u64, room: &RoomId) -> bool {
        self.with(|p| {
            p.ever_revoked.contains(&replica)
                || (p.restricted && static_access(replica, room) != Access::ReadWrite)
        })
    }

    /// Whether the policy may refuse `replica` joining `room` (no access, or a
    /// read-only join that would create the room).
    pub fn may_refuse_join(&self, replica: u64, room: &RoomId) -> bool {
        self.may_refuse_write(replica, room)
    }
}

impl World {
    /// Applies a change of the policy to client `i` (revoke / regrant, expire /
    /// renew): its connection is dropped so the next handshake sees the change; a
    /// renewed client's application connects again.
    pub(crate) fn policy_fault(&mut self, i: usize, fault: &Fault) {
        let replica = self.clients[i].replica.0;
        match fault {
            Fault::Revoke(_) => self.policy.set_revoked(replica, true),
            Fault::Regrant(_) => self.policy.set_revoked(replica, false),
            Fault::Expire(_) => self.policy.set_expired(replica, true),
            Fault::Renew(_) => self.policy.set_expired(replica, false),
            _ => return,
        }
        if let Some(conn) = self.clients[i].conn {
            self.break_conn(conn);
        }
        let failed = self.clients[i].app.client().state() == ClientState::Failed;
        if matches!(fault, Fault::Renew(_)) && failed {
            let now = self.clients[i].local(self.now);
            self.clients[i].app.connect(now);
            self.drain_client(i);
        }
    }

    /// Whether a refusal client `i` saw is one the policy explains; if so the
    /// application's answer is scheduled (a room it may not enter is left, a room
    /// whose document holds withdrawn deltas is reset), and a withdrawn delta is
    /// checked not to be in durable storage.
    pub(crate) fn refusal_expected(&mut self, i: usize, ev: &ClientEvent) -> bool {
        let replica = self.clients[i].replica;
        match ev {
            ClientEvent::DeltaRejected {
                room, seq, code, ..
            } if *code == ErrorCode::FORBIDDEN && self.policy.may_refuse_write(replica.0, room) => {
                let durable = self.durable_seq(room, replica);
                let logged =
                    check::check_withdrawn_not_logged(self.now, room, replica, *seq, durable);
                self.report(logged);
                self.schedule(self.now, Ev::AppReset(i, room.clone(), true));
                true
            }
            ClientEvent::JoinRejected { room, code, .. }
                if *code == ErrorCode::FORBIDDEN
                    && self.policy.may_refuse_join(replica.0, room) =>
            {
                self.schedule(self.now, Ev::AppReset(i, room.clone(), false));
                true
            }
            _ => false,
        }
    }

    /// The highest durable sequence of `replica` in `room` (0 if none).
    fn durable_seq(&mut self, room: &RoomId, replica: ReplicaId) -> u64 {
        let load = StorageAction::Load {
            op: OpId(u64::MAX),
            room: room.clone(),
            tail_limit: 0,
        };
        match self.storage.execute(load) {
            StorageCompletion::Loaded {
                result: Ok(Some(rec)),
                ..
            } => rec
                .seqs
                .iter()
                .find(|(r, _)| *r == replica)
                .map_or(0, |(_, s)| *s),
            _ => 0,
        }
    }

    /// The application of client `i` drops `room`'s document (leaving the room) and,
    /// if `rejoin`, joins it again with a fresh one.
    pub(crate) fn app_reset(&mut self, i: usize, room: RoomId, rejoin: bool) {
        let now = self.clients[i].local(self.now);
        let Some(tag) = self.clients[i].app.document(&room).map(|d| d.tag()) else {
            return;
        };
        self.transcript.note(self.now, &Self::who(i), || {
            format!("reset {room:?} ({rejoin})")
        });
        if let Err(e) = self.clients[i].app.leave(now, &room) {
            self.violate("client_error", format!("c{i} leave {room:?}: {e}"));
        }
        if rejoin {
            self.join(i, room, tag);
        }
        self.drain_client(i);
    }
}

/// No durable log may hold a delta of a replica in a room its static rule never let
/// it write (read-only or no access for the whole run): the hub enforced the rule.
pub(crate) fn check_no_forbidden_writes(
    policy: &AccessPolicy,
    fin: &FinalState,
    rogue_from: u64,
) -> Vec<Violation> {
    let restricted = policy.with(|p| p.restricted);
    if !restricted {
        return Vec::new();
    }
    let mut found = Vec::new();
    for (room, r) in &fin.rooms {
        for (replica, seq) in &r.seqs {
            if replica.0 < rogue_from && static_access(replica.0, room) != Access::ReadWrite {
                let detail = format!(
                    "{room:?}: replica {} may not write there, storage holds its seq {seq}",
                    replica.0
                );
                found.push(Violation::new("forbidden_write_logged", None, detail));
            }
        }
    }
    found
}
