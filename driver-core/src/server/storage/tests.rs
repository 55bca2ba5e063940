//! Every backend follows the backend contract exactly as proto's `MemoryStorage`
//! (the reference) does: each runs the same actions and must give the same
//! completions ([`matches_the_reference`], [`keeps_everything_across_reopen`]; the
//! redb backend here, the Redis backend in `redis_tests`). The script keeps every
//! replica's seqs consecutive (the Redis backend enforces that rule).

use std::sync::Arc;

use bytes::Bytes;
use syncwire_proto::hub::{
    MemoryStorage, OpId, StorageAction as A, StorageCompletion, StoredSnapshot,
};
use syncwire_proto::wire::{ReplicaId, RoomId};

use super::Backend;
use super::fixtures::{Concat, entry, redb};

fn memory() -> MemoryStorage {
    let mut m = MemoryStorage::new();
    m.set_merger(Arc::new(Concat));
    m
}

fn script() -> Vec<Vec<A>> {
    let r = || RoomId::new("room/1");
    let s = || RoomId::new("room/10");
    let op = OpId;
    vec![
        vec![A::Load {
            op: op(1),
            room: r(),
            tail_limit: 10,
        }],
        // One batch mixing rooms and reads after writes (group commit).
        vec![
            A::Create {
                op: op(2),
                room: r(),
                crdt: "gcounter".into(),
                epoch: 7,
            },
            A::Create {
                op: op(3),
                room: s(),
                crdt: "orset".into(),
                epoch: 9,
            },
            A::Append {
                op: op(4),
                room: r(),
                epoch: 7,
                entries: vec![entry(0, 1, 1), entry(1, 1, 2)],
            },
            A::Append {
                op: op(5),
                room: s(),
                epoch: 9,
                entries: vec![entry(0, 2, 1)],
            },
            A::Load {
                op: op(6),
                room: r(),
                tail_limit: 1,
            },
        ],
        vec![A::Append {
            op: op(7),
            room: r(),
            epoch: 7,
            entries: vec![entry(5, 1, 3)],
        }],
        vec![A::Append {
            op: op(8),
            room: r(),
            epoch: 8,
            entries: vec![entry(2, 1, 3)],
        }],
        vec![A::Append {
            op: op(9),
            room: RoomId::new("nope"),
            epoch: 1,
            entries: vec![entry(0, 1, 1)],
        }],
        vec![A::Append {
            op: op(10),
            room: r(),
            epoch: 7,
            entries: vec![entry(2, 3, 1), entry(3, 1, 3)],
        }],
        vec![A::LoadRange {
            op: op(11),
            room: r(),
            epoch: 7,
            from: 1,
            max_entries: 2,
        }],
        vec![A::LoadRange {
            op: op(12),
            room: r(),
            epoch: 6,
            from: 1,
            max_entries: 2,
        }],
        vec![A::Fold {
            op: op(13),
            room: r(),
            epoch: 7,
            to: 2,
        }],
        vec![
            A::Load {
                op: op(14),
                room: r(),
                tail_limit: 100,
            },
            A::LoadRange {
                op: op(15),
                room: r(),
                epoch: 7,
                from: 0,
                max_entries: 10,
            },
            A::LoadRange {
                op: op(16),
                room: r(),
                epoch: 7,
                from: 3,
                max_entries: 10,
            },
        ],
        vec![
            A::Fold {
                op: op(17),
                room: r(),
                epoch: 6,
                to: 4,
            },
            // Nothing to fold: the snapshot is returned as it is.
            A::Fold {
                op: op(20),
                room: r(),
                epoch: 7,
                to: 1,
            },
            // One entry and no snapshot: a first snapshot needs two.
            A::Fold {
                op: op(21),
                room: s(),
                epoch: 9,
                to: 99,
            },
        ],
        vec![A::Create {
            op: op(18),
            room: s(),
            crdt: "orset".into(),
            epoch: 10,
        }],
        vec![A::Load {
            op: op(19),
            room: s(),
            tail_limit: 10,
        }],
    ]
}

fn run(backend: &mut dyn Backend) -> Vec<StorageCompletion> {
    script()
        .into_iter()
        .flat_map(|b| backend.execute_batch(b))
        .collect()
}

#[test]
fn redb_matches_the_reference_backend() {
    let dir = tempfile::tempdir().unwrap();
    matches_the_reference(&mut redb(dir.path()));
}

/// `backend` (empty, folding with [`Concat`]) gives the reference's completions.
pub(super) fn matches_the_reference(backend: &mut dyn Backend) {
    let expected = run(&mut memory());
    let got = run(backend);
    for (g, e) in got.iter().zip(&expected) {
        assert_eq!(g, e);
    }
    assert_eq!(got.len(), expected.len());
    assert!(matches!(
        &expected[1..4],
        [
            StorageCompletion::Created { result: Ok(()), .. },
            _,
            StorageCompletion::Appended { result: Ok(()), .. }
        ]
    ));
    let folded = expected.iter().find(|c| c.op() == OpId(13));
    let want = StoredSnapshot {
        offset: 2,
        state: Bytes::from_static(b"p0p1"),
        seqs: vec![(ReplicaId(1), 2)],
    };
    assert_eq!(
        folded,
        Some(&StorageCompletion::Folded {
            op: OpId(13),
            result: Ok(Some(want.clone()))
        })
    );
    let unchanged = expected.iter().find(|c| c.op() == OpId(20));
    assert!(
        matches!(unchanged, Some(StorageCompletion::Folded { result: Ok(Some(s)), .. }) if *s == want)
    );
    let first = expected.iter().find(|c| c.op() == OpId(21));
    assert!(matches!(
        first,
        Some(StorageCompletion::Folded {
            result: Ok(None),
            ..
        })
    ));
}

#[test]
fn redb_keeps_everything_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    keeps_everything_across_reopen(&mut || Box::new(redb(dir.path())));
}

/// What one backend from `open` stored, the next one from `open` (same store) finds.
pub(super) fn keeps_everything_across_reopen(open: &mut dyn FnMut() -> Box<dyn Backend>) {
    let load = || A::Load {
        op: OpId(100),
        room: RoomId::new("room/1"),
        tail_limit: 100,
    };
    let before = {
        let mut first = open();
        run(first.as_mut());
        first.execute_batch(vec![load()])
    };
    let mut reopened = open();
    let after = reopened.execute_batch(vec![load()]);
    assert_eq!(before, after);
    let StorageCompletion::Loaded {
        result: Ok(Some(record)),
        ..
    } = &after[0]
    else {
        panic!("room lost: {after:?}");
    };
    assert_eq!((record.epoch, record.head, record.first_offset), (7, 4, 2));
    assert_eq!(record.seqs, vec![(ReplicaId(1), 3), (ReplicaId(3), 1)]);
}

#[test]
fn failures_answer_the_right_action() {
    let action = A::LoadRange {
        op: OpId(3),
        room: RoomId::new("x"),
        epoch: 1,
        from: 0,
        max_entries: 1,
    };
    let done = super::failed(&action, "full");
    assert!(matches!(
        done,
        StorageCompletion::Range {
            op: OpId(3),
            result: Err(_)
        }
    ));
    let again = super::as_failure(&done, "disk");
    assert!(
        matches!(again, StorageCompletion::Range { op: OpId(3), result: Err(e) } if e.0 == "disk")
    );
}
