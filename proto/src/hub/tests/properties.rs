//! Property tests over arbitrary multi-session input sequences: no panic, invariants
//! after every step, every acked delta in the log exactly once, every member receives
//! the log in order without gaps (other than its own live deltas) or duplicates.

use std::collections::BTreeMap;
use std::sync::Arc;

use quickcheck::{Gen, QuickCheck, TestResult};

use super::harness::*;
use super::model::*;
use crate::crdt::{DeltaMerger, NoMerge};
use crate::hub::*;
use crate::wire::*;

fn run(ops: Vec<Op>, merger: Arc<dyn DeltaMerger>) -> TestResult {
    let cfg = HubConfig {
        merger,
        max_backlog_bytes: 300,
        max_tail_entries: 2,
        batch_max_entries: 2,
        max_pending_appends: 6,
        max_rooms_per_session: 2,
        ..config()
    };
    let mut h = Harness::with(cfg);
    h.hold_storage = true;
    let mut w = World {
        h,
        sessions: BTreeMap::new(),
        seqs: BTreeMap::new(),
        views: BTreeMap::new(),
        acked: vec![],
        positions: BTreeMap::new(),
    };
    for op in ops {
        w.step(op);
        if let Err(e) = w.absorb() {
            return TestResult::error(e);
        }
    }
    w.h.stalled.clear();
    w.h.release_storage();
    if let Err(e) = w.absorb() {
        return TestResult::error(e);
    }
    // Every acked delta is in the log exactly once; no (replica, seq) is logged twice.
    for room in ROOMS {
        let room = RoomId::new(room);
        let action = StorageAction::Load {
            op: OpId(0),
            room: room.clone(),
            tail_limit: usize::MAX,
        };
        let StorageCompletion::Loaded {
            result: Ok(rec), ..
        } = w.h.storage.execute(action)
        else {
            return TestResult::error("load failed");
        };
        let (entries, snap) = match rec {
            Some(r) => (r.tail, r.snapshot),
            None => (Vec::new(), None),
        };
        let snap_offset = snap.as_ref().map_or(0, |s| s.offset);
        let snap_seqs: BTreeMap<u64, u64> = snap
            .iter()
            .flat_map(|s| s.seqs.iter().map(|(r, q)| (r.0, *q)))
            .collect();
        // Per replica, sequences strictly increase along the log (so none is logged twice).
        let mut last = snap_seqs.clone();
        let mut seen = BTreeMap::new();
        for e in &entries {
            let prev = last.insert(e.replica.0, e.seq).unwrap_or(0);
            if e.seq <= prev {
                return TestResult::error(format!(
                    "{room}: {:?}/{} logged twice",
                    e.replica, e.seq
                ));
            }
            seen.insert((e.replica.0, e.seq), e.offset);
        }
        for (r, replica, seq) in &w.acked {
            let folded = snap_seqs.get(replica).is_some_and(|s| seq <= s);
            if *r == room && *seq > 0 && !folded && !seen.contains_key(&(*replica, *seq)) {
                return TestResult::error(format!("{room}: ack {replica}/{seq} not in the log"));
            }
        }
        // Gaps a member saw are only its own deltas.
        for ((s, vr), v) in &w.views {
            if *vr != room {
                continue;
            }
            let Some(replica) = w
                .sessions
                .iter()
                .find(|(_, x)| *x == s)
                .map(|(c, _)| u64::from(*c) + 1)
            else {
                continue;
            };
            for off in v.skipped.iter().filter(|o| **o >= snap_offset) {
                let own = entries
                    .iter()
                    .any(|e| e.offset == *off && e.replica.0 == replica);
                if !own {
                    return TestResult::error(format!("{s:?} {room}: gap at {off}"));
                }
            }
        }
    }
    TestResult::passed()
}

#[test]
fn arbitrary_multi_session_sequences_keep_the_log_promises() {
    fn prop(ops: Vec<Op>) -> TestResult {
        run(ops, Arc::new(NoMerge))
    }
    QuickCheck::new()
        .tests(500)
        .max_tests(1000)
        .rng(Gen::new(100))
        .quickcheck(prop as fn(Vec<Op>) -> TestResult);
}

#[test]
fn arbitrary_sequences_with_compaction_keep_the_log_promises() {
    fn prop(ops: Vec<Op>) -> TestResult {
        run(ops, Arc::new(SumMerger))
    }
    QuickCheck::new()
        .tests(500)
        .max_tests(1000)
        .rng(Gen::new(100))
        .quickcheck(prop as fn(Vec<Op>) -> TestResult);
}

#[test]
fn regression_resume_after_stall_and_close() {
    use Op::*;
    let ops = vec![
        Connect(0),
        Connect(1),
        Release(5),
        Join(0, 0, false),
        Join(1, 0, false),
        Release(5),
        Stall(1),
        Delta(0, 0, false),
        Delta(0, 0, false),
        Release(7),
        Delta(0, 0, true),
        Release(7),
        Stall(1),
        Close(1),
        Connect(1),
        Join(1, 0, true),
        Release(7),
    ];
    assert!(!run(ops.clone(), Arc::new(NoMerge)).is_failure());
    assert!(!run(ops, Arc::new(SumMerger)).is_failure());
}

#[test]
fn regression_live_delta_must_not_overtake_a_pending_catch_up() {
    use Op::*;
    let ops = vec![
        Connect(3),
        Join(3, 1, false),
        Release(9),
        Delta(3, 1, true),
        Connect(0),
        Delta(3, 1, false),
        Join(0, 1, true),
        Delta(0, 1, false),
        Delta(3, 1, false),
        Delta(3, 1, false),
        Connect(1),
        Release(11),
        Delta(0, 1, false),
        Join(1, 1, true),
    ];
    assert!(!run(ops.clone(), Arc::new(NoMerge)).is_failure());
    assert!(!run(ops, Arc::new(SumMerger)).is_failure());
}
