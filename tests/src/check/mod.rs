//! The history recorder and the invariant checkers.
//!
//! The world records what the applications saw ([`History`]) and, at quiescence,
//! what the hub's durable storage and every replica hold ([`FinalState`]). The
//! checkers are pure functions over those records, so tests can feed them
//! fabricated histories and show that each violation is reported:
//! * [`check_deliveries`]: no remote delta delivered twice, per-origin order, log order;
//! * [`check_acked`]: every acknowledged delta is durable and its effect is in the hub's state;
//! * [`check_convergence`]: every replica of a room holds the hub's state;
//! * [`check_no_gap_rejoins`]: without faults, no client re-joins a room after a gap;
//! * [`check_no_foreign_deltas`]: nothing of a misbehaving connection is logged or delivered.
//!
//! Bounds and liveness are checked by the world while it runs (see `sim::world`).

mod delivery;
mod durability;
mod protocol;

pub use delivery::check_deliveries;
pub use durability::{canonical, check_acked, check_convergence};
pub use protocol::{
    check_internal_refusal, check_no_foreign_deltas, check_no_gap_rejoins,
    check_withdrawn_not_logged,
};

use std::collections::BTreeMap;

use bytes::Bytes;
use core::fmt;
use syncwire_proto::Instant;
use syncwire_proto::wire::{ReplicaId, RoomId};

/// A broken invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Which invariant (`duplicate_delivery`, `per_origin_order`, `acked_lost`, ...).
    pub invariant: &'static str,
    /// Virtual time at which it was observed, if it is tied to a moment.
    pub at: Option<Instant>,
    /// What exactly went wrong.
    pub detail: String,
}

impl Violation {
    /// A violation of `invariant`.
    pub fn new(invariant: &'static str, at: Option<Instant>, detail: String) -> Violation {
        Violation {
            invariant,
            at,
            detail,
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.at {
            Some(t) => write!(f, "[{}] at {:?}: {}", self.invariant, t, self.detail),
            None => write!(f, "[{}] {}", self.invariant, self.detail),
        }
    }
}

/// One logged delta handed to an application (remote, or own after a reset).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// When.
    pub at: Instant,
    /// The receiving replica.
    pub replica: ReplicaId,
    /// The room.
    pub room: RoomId,
    /// The receiver's document generation (bumped by every reset: resync, fresh join).
    pub generation: u64,
    /// The originating replica.
    pub origin: ReplicaId,
    /// The origin's sequence number.
    pub seq: u64,
    /// The room's epoch.
    pub epoch: u64,
    /// The log offset.
    pub offset: u64,
}

/// One local delta its replica saw acknowledged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Acked {
    /// When the acknowledgement arrived.
    pub at: Instant,
    /// The room.
    pub room: RoomId,
    /// The submitting replica.
    pub replica: ReplicaId,
    /// The sequence number `submit` returned.
    pub seq: u64,
    /// The cumulative sequence of the acknowledgement that covered it.
    pub ack_seq: u64,
    /// The delta as submitted.
    pub payload: Bytes,
}

/// What the applications observed during a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct History {
    /// Deltas delivered, in delivery order.
    pub deliveries: Vec<Delivery>,
    /// Local deltas acknowledged, in acknowledgement order.
    pub acked: Vec<Acked>,
}

/// The hub's durable view of one room.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HubRoom {
    /// The room's CRDT type tag.
    pub crdt: String,
    /// The durable state: snapshot and every stored entry, folded.
    pub state: Bytes,
    /// Highest durable sequence per replica.
    pub seqs: BTreeMap<ReplicaId, u64>,
}

/// One replica's document of one room at quiescence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplicaRoom {
    /// The replica.
    pub replica: ReplicaId,
    /// The room.
    pub room: RoomId,
    /// Its encoded document state.
    pub state: Bytes,
}

/// Everything the end-of-run checkers compare.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FinalState {
    /// Durable room states.
    pub rooms: BTreeMap<RoomId, HubRoom>,
    /// Replica documents of rooms still joined.
    pub replicas: Vec<ReplicaRoom>,
}
