//! Protocol-efficiency and hygiene checkers: no re-joins caused by stream gaps in a
//! fault-free run, nothing of a misbehaving connection's replica ever logged or
//! delivered, no withdrawn delta in storage, no `internal` refusal without a failure.

use syncwire_proto::Instant;
use syncwire_proto::wire::{ErrorCode, ReplicaId, RoomId};

use super::{FinalState, History, Violation};

/// `gaps` is (replica, gaps its client saw in the hub's stream, each a re-join).
/// Without faults, the live stream never has a gap: every one is reported.
pub fn check_no_gap_rejoins(gaps: &[(ReplicaId, u64)]) -> Vec<Violation> {
    gaps.iter()
        .filter(|(_, n)| *n > 0)
        .map(|(r, n)| {
            let detail = format!(
                "replica {} re-joined {n} times after gaps, without faults",
                r.0
            );
            Violation::new("gap_rejoin", None, detail)
        })
        .collect()
}

/// Replicas `>= forbidden_from` belong to misbehaving connections: none of their
/// deltas may be in any room's sequence table or reach any application.
pub fn check_no_foreign_deltas(
    history: &History,
    fin: &FinalState,
    forbidden_from: u64,
) -> Vec<Violation> {
    let mut out = Vec::new();
    for (room, r) in &fin.rooms {
        for (replica, seq) in r.seqs.iter().filter(|(r, _)| r.0 >= forbidden_from) {
            let detail = format!("{room:?} logged seq {seq} of rogue replica {}", replica.0);
            out.push(Violation::new("rogue_delta_logged", None, detail));
        }
    }
    for d in history
        .deliveries
        .iter()
        .filter(|d| d.origin.0 >= forbidden_from)
    {
        let detail = format!(
            "replica {} room {:?} got ({}, seq {}) of a rogue replica",
            d.replica.0, d.room, d.origin.0, d.seq
        );
        out.push(Violation::new("rogue_delta_delivered", Some(d.at), detail));
    }
    out
}

/// A delta the hub refused for good (`DeltaRejected`, the client withdrew it) must
/// not be in durable storage: `durable` is the highest sequence of `replica` that
/// storage holds in `room`. Reported as `refused_logged`.
pub fn check_withdrawn_not_logged(
    at: Instant,
    room: &RoomId,
    replica: ReplicaId,
    withdrawn: u64,
    durable: u64,
) -> Option<Violation> {
    (durable >= withdrawn).then(|| {
        let detail = format!(
            "replica {} room {room:?}: withdrawn seq {withdrawn}, storage holds up to {durable}",
            replica.0
        );
        Violation::new("refused_logged", Some(at), detail)
    })
}

/// `internal` means a hub failure (PROTOCOL.md §5): a refusal with it is reported as
/// `spurious_internal` unless the run injects storage failures.
pub fn check_internal_refusal(
    at: Instant,
    client: usize,
    code: ErrorCode,
    message: &str,
    storage_faults: bool,
) -> Option<Violation> {
    (code == ErrorCode::INTERNAL && !storage_faults).then(|| {
        Violation::new(
            "spurious_internal",
            Some(at),
            format!("c{client}: {message}"),
        )
    })
}
