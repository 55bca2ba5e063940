//! Delivery checker: no remote delta is delivered twice to one document
//! generation, origins' deltas arrive in sequence order, and offsets only grow.

use std::collections::{BTreeMap, BTreeSet};

use syncwire_proto::wire::{ReplicaId, RoomId};

use super::{History, Violation};

#[derive(Default)]
struct Seen {
    last: Option<(u64, u64)>,
    per_origin: BTreeMap<ReplicaId, u64>,
    ids: BTreeSet<(ReplicaId, u64)>,
}

/// Checks every delivery of `history`; returns the violations found.
pub fn check_deliveries(history: &History) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut seen: BTreeMap<(ReplicaId, RoomId, u64), Seen> = BTreeMap::new();
    for d in &history.deliveries {
        let key = (d.replica, d.room.clone(), d.generation);
        let s = seen.entry(key).or_default();
        let who = format!(
            "replica {} room {:?} got ({}, seq {}) at epoch {} offset {}",
            d.replica.0, d.room, d.origin.0, d.seq, d.epoch, d.offset
        );
        if !s.ids.insert((d.origin, d.seq)) {
            out.push(Violation::new("duplicate_delivery", Some(d.at), who));
            continue;
        }
        if let Some(&prev) = s.per_origin.get(&d.origin) {
            if d.seq <= prev {
                let detail = format!("{who} after seq {prev} of the same origin");
                out.push(Violation::new("per_origin_order", Some(d.at), detail));
            }
        }
        s.per_origin.insert(d.origin, d.seq);
        if let Some((epoch, offset)) = s.last {
            if epoch == d.epoch && d.offset <= offset {
                let detail = format!("{who} after offset {offset}");
                out.push(Violation::new("log_order", Some(d.at), detail));
            }
        }
        s.last = Some((d.epoch, d.offset));
    }
    out
}
