//! The redb backend's folds: off the worker on the fold thread, completed on the
//! hub's channel; on the worker when the fold queue is full; a stale fold stores
//! nothing.

use bytes::Bytes;
use syncwire_proto::hub::{OpId, StorageCompletion, StoredSnapshot};
use syncwire_proto::wire::ReplicaId;

use super::Backend;
use super::fixtures::{Concat, fold_to, redb, room_with, snapshot_of};

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
    let (late, io) = super::redb_fold::run_job(redb.db(), &Concat, *job);
    assert_eq!(io, None);
    assert_eq!(
        late,
        StorageCompletion::Folded {
            op: OpId(5),
            result: Ok(Some(folded_inline.clone()))
        }
    );
    assert_eq!(snapshot_of(&mut redb), Some(folded_inline));
}
