//! Where a join starts: the resume rules.
//!
//! Given the room's epoch, durable head `H`, the first offset still available as an
//! entry (in memory or storage) `F`, and the snapshot (covering `0..S`, `S = 0`
//! without one):
//!
//! | join                                              | resync | start | snapshot          |
//! |---------------------------------------------------|--------|-------|-------------------|
//! | no `resume` (fresh member), no snapshot           | false  | 0     | none              |
//! | no `resume` (fresh member), snapshot              | true   | `S`   | the snapshot      |
//! | `resume` with the room's epoch and `F ≤ offset ≤ H` | false  | offset | none             |
//! | any other `resume` (epoch differs, offset > H, or offset < F) | true | `S` | the snapshot, if any |
//!
//! A fresh member that gets a snapshot is told `resync` because it must take the
//! snapshot as its state before applying the deltas from `S` (a client rejects a
//! first join starting after offset 0 without it).
//!
//! The entries `start..H` follow `Joined` in `DeltaBatch` frames, then live deltas.

use bytes::Bytes;

use super::storage::StoredSnapshot;
use crate::wire::Position;

/// How a join is served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct JoinPlan {
    pub(crate) start: u64,
    pub(crate) resync: bool,
    pub(crate) snapshot: Option<Bytes>,
}

/// Applies the resume rules of the module docs.
pub(crate) fn plan(
    resume: Option<Position>,
    epoch: u64,
    head: u64,
    available_from: u64,
    snapshot: Option<&StoredSnapshot>,
) -> JoinPlan {
    let from_snapshot = |resync| JoinPlan {
        start: snapshot.map_or(0, |s| s.offset),
        resync,
        snapshot: snapshot.map(|s| s.state.clone()),
    };
    match resume {
        None => from_snapshot(snapshot.is_some()),
        Some(p) if p.epoch == epoch && p.offset <= head && p.offset >= available_from => JoinPlan {
            start: p.offset,
            resync: false,
            snapshot: None,
        },
        Some(_) => from_snapshot(true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(offset: u64) -> StoredSnapshot {
        StoredSnapshot {
            offset,
            state: Bytes::from_static(b"S"),
            seqs: vec![],
        }
    }

    fn pos(epoch: u64, offset: u64) -> Option<Position> {
        Some(Position { epoch, offset })
    }

    #[test]
    fn fresh_join_starts_at_the_snapshot() {
        let p = plan(None, 7, 10, 0, None);
        assert_eq!((p.start, p.resync, p.snapshot), (0, false, None));
        let s = snap(4);
        let p = plan(None, 7, 10, 4, Some(&s));
        assert_eq!((p.start, p.resync), (4, true));
        assert_eq!(p.snapshot.as_deref(), Some(&b"S"[..]));
    }

    #[test]
    fn resume_within_the_available_log_gets_exactly_the_gap() {
        let s = snap(4);
        for off in [4, 7, 10] {
            let p = plan(pos(7, off), 7, 10, 4, Some(&s));
            assert_eq!((p.start, p.resync, p.snapshot), (off, false, None));
        }
    }

    #[test]
    fn unservable_resume_resyncs_from_the_snapshot() {
        let s = snap(4);
        for resume in [pos(8, 5), pos(7, 11), pos(7, 3)] {
            let p = plan(resume, 7, 10, 4, Some(&s));
            assert_eq!((p.start, p.resync), (4, true));
            assert!(p.snapshot.is_some());
        }
        let p = plan(pos(1, 0), 7, 0, 0, None);
        assert_eq!((p.start, p.resync, p.snapshot), (0, true, None));
    }
}
