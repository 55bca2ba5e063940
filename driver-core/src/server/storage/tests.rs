//! Every backend follows the backend contract exactly as proto's `MemoryStorage`
//! (the reference) does: each runs the same actions and must give the same
//! completions ([`matches_the_reference`], [`keeps_everything_across_reopen`]; the
//! redb backend here, the Redis backend in `redis_tests`). The script keeps every
//! replica's seqs consecutive (the Redis backend enforces that rule).

use std::sync::Arc;

use bytes::Bytes;
use syncwire_proto::crdt::{CrdtError, DeltaMerger};
use syncwire_proto::hub::{
    MemoryStorage, OpId, StorageAction as A, StorageCompletion, StoredEntry, StoredSnapshot,
};
use syncwire_proto::wire::{ReplicaId, RoomId};

use super::Backend;
use super::redb_backend::RedbBackend;

pub(super) fn entry(offset: u64, replica: u64, seq: u64) -> StoredEntry {
    StoredEntry {
        offset,
        replica: ReplicaId(replica),
        seq,
        payload: Bytes::from(format!("p{offset}")),
    }
}

/// Folds by concatenating, so a fold's result shows what it merged, in order.
pub(super) struct Concat;

impl DeltaMerger for Concat {
    fn merge(&self, _: &str, a: &[u8], b: &[u8]) -> Result<Option<Vec<u8>>, CrdtError> {
        Ok(Some([a, b].concat()))
    }
}

fn memory() -> MemoryStorage {
    let mut m = MemoryStorage::new();
    m.set_merger(Arc::new(Concat));
    m
}

fn redb(dir: &std::path::Path) -> RedbBackend {
    RedbBackend::open(dir, Arc::new(Concat)).unwrap()
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

/// A room "f" of type "c" with entries `p0..p{n-1}`, created and appended in one batch.
pub(super) fn room_with(backend: &mut dyn Backend, n: u64) -> Vec<StorageCompletion> {
    let room = RoomId::new("f");
    backend.execute_batch(vec![
        A::Create {
            op: OpId(1),
            room: room.clone(),
            crdt: "c".into(),
            epoch: 3,
        },
        A::Append {
            op: OpId(2),
            room,
            epoch: 3,
            entries: (0..n).map(|o| entry(o, 1, o + 1)).collect(),
        },
    ])
}

pub(super) fn fold_to(op: u64, to: u64) -> A {
    A::Fold {
        op: OpId(op),
        room: RoomId::new("f"),
        epoch: 3,
        to,
    }
}

pub(super) fn snapshot_of(backend: &mut dyn Backend) -> Option<StoredSnapshot> {
    let load = A::Load {
        op: OpId(99),
        room: RoomId::new("f"),
        tail_limit: 100,
    };
    match backend.execute_batch(vec![load]).pop() {
        Some(StorageCompletion::Loaded {
            result: Ok(Some(record)),
            ..
        }) => record.snapshot,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_fold_leaves_the_worker_for_the_fold_thread_and_completes_on_the_hubs_channel() {
    let dir = tempfile::tempdir().unwrap();
    let mut redb = redb(dir.path());
    let (tx, rx) = async_channel::unbounded();
    redb.attach(tx).unwrap();
    room_with(&mut redb, 4);
    let now = redb.execute_batch(vec![fold_to(5, 3)]);
    assert!(now.is_empty(), "the fold completes later: {now:?}");
    let done = rx.recv_blocking().unwrap();
    let want = StoredSnapshot {
        offset: 3,
        state: Bytes::from_static(b"p0p1p2"),
        seqs: vec![(ReplicaId(1), 3)],
    };
    assert_eq!(
        done,
        StorageCompletion::Folded {
            op: OpId(5),
            result: Ok(Some(want.clone()))
        }
    );
    assert_eq!(snapshot_of(&mut redb), Some(want));
    drop(redb); // joins the fold thread
    assert!(rx.recv_blocking().is_err(), "the thread ended");
}

#[test]
fn with_the_fold_queue_full_the_worker_folds_and_a_stale_fold_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut redb = redb(dir.path());
    // A queue of one that nobody reads: the first fold waits in it, the second
    // finds it full.
    let (jobs, waiting) = std::sync::mpsc::sync_channel(1);
    redb.set_folder(super::redb_fold::Folder::queue_only(jobs));
    room_with(&mut redb, 4);
    assert!(redb.execute_batch(vec![fold_to(5, 2)]).is_empty());
    let inline = redb.execute_batch(vec![fold_to(6, 3)]);
    let folded_inline = StoredSnapshot {
        offset: 3,
        state: Bytes::from_static(b"p0p1p2"),
        seqs: vec![(ReplicaId(1), 3)],
    };
    assert_eq!(
        inline,
        vec![StorageCompletion::Folded {
            op: OpId(6),
            result: Ok(Some(folded_inline.clone()))
        }],
        "queue full: folded on the worker"
    );
    // The queued fold was read before the other one stored its snapshot: it finds
    // the room changed and keeps what is stored.
    let job = waiting.try_recv().unwrap();
    let late = super::redb_fold::run_job(redb.db(), &Concat, *job);
    assert_eq!(
        late,
        StorageCompletion::Folded {
            op: OpId(5),
            result: Ok(Some(folded_inline.clone()))
        }
    );
    assert_eq!(snapshot_of(&mut redb), Some(folded_inline));
}
