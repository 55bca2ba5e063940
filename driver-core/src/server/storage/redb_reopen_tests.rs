//! The redb backend after a disk fault: a disk that refuses writes for a while
//! ([`FaultDisk`], "no space left on device") and then recovers.
//!
//! redb latches a failed write: every later operation on that `Database`, reads
//! included, fails with `PreviousIo`. The worker must reopen it, with backoff, so
//! that once the disk recovers the batches succeed again; the batch that failed is
//! answered with failures (nothing acked), and what was committed before is all there.
//! Meanwhile `/health` reports storage as failing. (A full disk on a write is the one
//! fault that reopens: a failed sync does not, `redb_sync_fault_tests.rs`; a fold's
//! failure does too, `redb_fold_fault_tests.rs`.)
//!
//! Checked to fail: on the backend without the reopen (ac5da9e), the append after
//! the disk recovered failed with "Previous I/O error occurred. Please close and
//! re-open the database." (tried on 2026-11-27).

use std::sync::Arc;
use std::time::Duration;

use syncwire_proto::hub::{OpId, StorageAction as A, StorageCompletion as C};

use super::Backend;
use super::fault_disk::{
    FaultDisk, append, context, create, load, offsets, room, run, succeeded, until_loaded,
};
use super::fixtures::{Concat, entry};
use super::redb_backend::RedbBackend;
use super::worker;
use crate::server::{ServerCounters, StorageTrouble};

/// One failed write (disk full) used to make every later batch fail until a restart.
/// Now the worker reopens the database: once the disk has room again, loads and
/// appends succeed, with everything committed before the failure, and the batch that
/// failed was answered with a failure. `/health` reports the failed state.
#[test]
fn the_backend_reopens_the_database_after_the_disk_recovers() {
    let disk = FaultDisk::default();
    let backend = RedbBackend::on_backend(disk.clone()).expect("open");
    let counters = Arc::new(ServerCounters::default());
    let worker = worker::spawn(Box::new(backend), 64, 16, counters.clone()).expect("spawn");
    assert!(succeeded(&run(&worker, create(1))));
    for offset in 0..3 {
        assert!(succeeded(&run(&worker, append(10 + offset, offset))));
    }
    let health = context(counters.clone());
    assert!(health.storage_trouble().is_none());

    disk.fill(true);
    let failed = run(&worker, append(20, 3));
    assert!(!succeeded(&failed), "a write on a full disk is not acked");
    assert!(counters.storage_failed(), "{failed:?}");
    assert_eq!(
        health.storage_trouble(),
        Some(StorageTrouble::Failed),
        "/health 503 storage failed"
    );
    // While the disk is full every batch fails (reopening fails too, with backoff).
    for op in 21..24 {
        assert!(!succeeded(&run(&worker, append(op, 3))));
        std::thread::sleep(Duration::from_millis(60));
    }
    assert!(health.storage_trouble().is_some());

    disk.fill(false);
    let found = until_loaded(&worker, Duration::from_secs(15))
        .expect("the database is reopened once the disk has room");
    assert_eq!(found, vec![0, 1, 2], "exactly what was committed");
    let again = run(&worker, append(30, 3));
    assert!(
        succeeded(&again),
        "appends work again: {again:?} (the failure: {failed:?})"
    );
    let after = offsets(&run(&worker, load(31)));
    assert_eq!(after, Some(vec![0, 1, 2, 3]));
    assert!(health.storage_trouble().is_none(), "/health 200 again");
    assert!(counters.storage_reopens() >= 1);
}

/// A refused action (an append at another epoch) is no disk fault: the database
/// stays open and no reopen is scheduled.
#[test]
fn a_refusal_does_not_reopen() {
    let mut backend = RedbBackend::on_backend(FaultDisk::default()).expect("open");
    assert!(succeeded(&backend.execute_batch(vec![create(1)])[0]));
    let wrong = A::Append {
        op: OpId(2),
        room: room(),
        epoch: 2,
        entries: vec![entry(0, 1, 1)],
    };
    assert!(!succeeded(&backend.execute_batch(vec![wrong])[0]));
    assert_eq!(backend.retry_at(), None);
    assert!(succeeded(&backend.execute_batch(vec![append(3, 0)])[0]));
}

/// The backend alone: after the fault a batch fails at once, without touching the
/// disk; `recover` reopens the database once the disk has room, not before.
#[test]
fn a_closed_database_fails_batches_until_recovered() {
    let disk = FaultDisk::default();
    let mut backend = RedbBackend::on_backend(disk.clone()).expect("open");
    disk.fill(true);
    assert!(!succeeded(&backend.execute_batch(vec![create(1)])[0]));
    assert!(backend.retry_at().is_some(), "a reopen is scheduled");
    assert!(!backend.recover(), "not while the disk is full");
    let done = backend.execute_batch(vec![load(2)]);
    assert!(offsets(&done[0]).is_none(), "{done:?}");
    disk.fill(false);
    assert!(backend.recover());
    assert_eq!(backend.retry_at(), None);
    let absent = backend.execute_batch(vec![load(3)]);
    let none = matches!(
        absent[..],
        [C::Loaded {
            result: Ok(None),
            ..
        }]
    );
    assert!(none, "the failed create did not commit: {absent:?}");
    assert!(succeeded(&backend.execute_batch(vec![create(4)])[0]));
    let empty = offsets(&backend.execute_batch(vec![load(5)])[0]);
    assert_eq!(empty, Some(vec![]));
}

/// On a file: the failed database is closed — its fold thread ended first, which
/// held it too — so that opening the file again is not refused as already open,
/// and the reopened database holds what was committed.
#[test]
fn the_file_is_closed_before_it_is_reopened() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut backend = RedbBackend::open(dir.path(), Arc::new(Concat)).expect("open");
    let (deferred, _folds) = async_channel::bounded(8);
    backend.attach(deferred).expect("fold thread");
    assert!(succeeded(
        &backend.execute_batch(vec![create(1), append(2, 0)])[1]
    ));
    backend.close_failed("simulated".into());
    assert!(backend.recover(), "reopened");
    assert_eq!(
        offsets(&backend.execute_batch(vec![load(3)])[0]),
        Some(vec![0])
    );
    assert!(succeeded(&backend.execute_batch(vec![append(4, 1)])[0]));
}
