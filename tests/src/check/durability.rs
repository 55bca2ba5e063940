//! Durability and convergence checkers: acknowledged deltas are in durable
//! storage (sequence table) and their effect is in the hub's state; every
//! replica's document equals the hub's state of its room.

use bytes::Bytes;
use syncwire_proto::crdt::{DeltaMerger, Registry};

use super::{FinalState, History, Violation};

/// `state` re-encoded through a merge with the empty state of `crdt`, so that two
/// encodings of the same value compare equal; `None` if it does not decode.
pub fn canonical(registry: &Registry, crdt: &str, state: &[u8]) -> Option<Bytes> {
    let empty = registry.empty_state(crdt).ok()?;
    let merged = registry.merge(crdt, &empty, state).ok()??;
    Some(Bytes::from(merged))
}

/// Checks that every acknowledged delta survived: the durable sequence table of
/// its room covers the acknowledgement, and merging the delta into the durable
/// state changes nothing.
pub fn check_acked(registry: &Registry, history: &History, fin: &FinalState) -> Vec<Violation> {
    let mut out = Vec::new();
    for a in &history.acked {
        let what = format!(
            "replica {} room {:?} seq {} (acked up to {})",
            a.replica.0, a.room, a.seq, a.ack_seq
        );
        let Some(room) = fin.rooms.get(&a.room) else {
            let detail = format!("{what}: the room has no durable state");
            out.push(Violation::new("acked_lost", Some(a.at), detail));
            continue;
        };
        let durable = room.seqs.get(&a.replica).copied().unwrap_or(0);
        if durable < a.ack_seq {
            let detail = format!("{what}: durable sequence table has only {durable}");
            out.push(Violation::new("acked_lost", Some(a.at), detail));
            continue;
        }
        let Some(state) = canonical(registry, &room.crdt, &room.state) else {
            let detail = format!("{what}: durable state does not decode");
            out.push(Violation::new("acked_lost", Some(a.at), detail));
            continue;
        };
        let with = registry
            .merge(&room.crdt, &state, &a.payload)
            .ok()
            .flatten();
        if with.as_deref() != Some(&state[..]) {
            let detail = format!("{what}: its effect is missing from the durable state");
            out.push(Violation::new("acked_lost", Some(a.at), detail));
        }
    }
    out
}

/// Checks that every replica's document equals the durable state of its room.
pub fn check_convergence(registry: &Registry, fin: &FinalState) -> Vec<Violation> {
    let mut out = Vec::new();
    for r in &fin.replicas {
        let Some(room) = fin.rooms.get(&r.room) else {
            let detail = format!(
                "replica {} room {:?}: no durable state",
                r.replica.0, r.room
            );
            out.push(Violation::new("divergence", None, detail));
            continue;
        };
        let hub = canonical(registry, &room.crdt, &room.state);
        let mine = canonical(registry, &room.crdt, &r.state);
        if hub.is_none() || hub != mine {
            let detail = format!(
                "replica {} room {:?} ({}): replica state {} bytes != hub state {} bytes",
                r.replica.0,
                r.room,
                room.crdt,
                mine.map_or(0, |b| b.len()),
                hub.map_or(0, |b| b.len())
            );
            out.push(Violation::new("divergence", None, detail));
        }
    }
    out
}
