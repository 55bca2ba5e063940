//! A fold whose write hits a full disk: redb latches the database on the fold thread
//! (or on the worker, when the fold queue is full) as it does on a batch. The worker
//! must close it and schedule the reopen at once — storage reported failed, the next
//! batch failed by the failed state, not by redb's `PreviousIo` — and the fold thread
//! must not merge the folds queued behind the failure.
//!
//! Checked to fail without the fix (on 69fc380, 2026-11-28): the fold thread's failure
//! left `storage_failed` false (and, that assertion skipped, `/health` 200 and the
//! next append failed with "Previous I/O error occurred. Please close and re-open
//! the database."); the inline fold's failure scheduled no reopen; the fold thread
//! ran all four queued merges. Without the latch set by `close_failed` the closing
//! variant ran all four merges as well.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use syncwire_proto::hub::StorageCompletion as C;

use super::Backend;
use super::fault_disk::{
    FaultDisk, FillingMerger, append, context, create, eventually, failure, fold, load, offsets,
    run, succeeded, until_loaded,
};
use super::redb_backend::RedbBackend;
use super::redb_fold::Folder;
use super::worker;
use crate::server::ServerCounters;

/// A backend on `disk` whose folds fill it, with the room holding entries `0..n`.
fn backend_with_room(disk: &FaultDisk, n: u64) -> (RedbBackend, Arc<FillingMerger>) {
    let merger = FillingMerger::new(disk);
    let mut backend = RedbBackend::on_backend_with(disk.clone(), merger.clone()).expect("open");
    assert!(succeeded(&backend.execute_batch(vec![create(1)])[0]));
    for offset in 0..n {
        let done = backend.execute_batch(vec![append(10 + offset, offset)]);
        assert!(succeeded(&done[0]), "{done:?}");
    }
    (backend, merger)
}

/// The fold thread's write fails on the full disk while the worker waits for actions:
/// without another action the worker reports storage failed (`/health` 503); the next append fails because storage is
/// failed, not with redb's raw `PreviousIo`; once the disk has room the database is
/// reopened with every acked entry, and appends work again.
#[test]
fn a_fold_on_a_full_disk_fails_storage_until_the_disk_has_room() {
    let disk = FaultDisk::default();
    let (backend, merger) = backend_with_room(&disk, 4);
    let counters = Arc::new(ServerCounters::default());
    let worker = worker::spawn(Box::new(backend), 64, 16, counters.clone()).expect("spawn");
    let health = context(counters.clone());
    assert!(health.storage_trouble().is_none());

    // The merge waits until the worker is idle, waiting for actions.
    let (release, gate) = std::sync::mpsc::channel::<()>();
    *merger.gate.lock().unwrap() = Some(gate);
    worker.actions.send(fold(20, 3)).expect("worker running");
    std::thread::sleep(Duration::from_millis(100));
    drop(release);
    let folded = worker
        .completions
        .recv_blocking()
        .expect("the fold's completion");
    assert!(matches!(folded, C::Folded { .. }), "{folded:?}");
    assert!(!succeeded(&folded), "the fold's write failed: {folded:?}");
    let reported = eventually(Duration::from_secs(2), || counters.storage_failed());
    assert!(
        reported,
        "storage reported failed after the fold's I/O error"
    );
    assert!(health.storage_trouble().is_some(), "/health 503");

    let refused = failure(&run(&worker, append(21, 4))).expect("the append fails");
    assert!(
        refused.contains("storage failed") && !refused.contains("Previous I/O"),
        "failed by the failed state: {refused}"
    );

    disk.fill(false);
    let found = until_loaded(&worker, Duration::from_secs(15)).expect("reopened");
    assert_eq!(found, vec![0, 1, 2, 3], "every acked entry");
    assert!(succeeded(&run(&worker, append(30, 4))));
    assert_eq!(offsets(&run(&worker, load(31))), Some(vec![0, 1, 2, 3, 4]));
    assert!(health.storage_trouble().is_none(), "/health 200 again");
    assert!(counters.storage_reopens() >= 1);
}

/// The fold queue is full, so the worker folds inline: its failed write closes the
/// database and schedules the reopen, as a failed batch does.
#[test]
fn an_inline_fold_on_a_full_disk_closes_the_database() {
    let disk = FaultDisk::default();
    let (mut backend, _merger) = backend_with_room(&disk, 4);
    // A queue of one that nobody reads: the first fold waits in it, the second
    // finds it full and runs on the worker.
    let (jobs, _waiting) = std::sync::mpsc::sync_channel(1);
    backend.set_folder(Folder::queue_only(jobs));
    assert!(backend.execute_batch(vec![fold(20, 2)]).is_empty());
    let inline = backend.execute_batch(vec![fold(21, 3)]);
    assert!(!succeeded(&inline[0]), "{inline:?}");
    assert!(backend.retry_at().is_some(), "a reopen is scheduled");

    let refused = failure(&backend.execute_batch(vec![load(22)])[0]).expect("fails");
    assert!(!refused.contains("Previous I/O"), "{refused}");
    disk.fill(false);
    assert!(backend.recover(), "reopened");
    let found = offsets(&backend.execute_batch(vec![load(23)])[0]);
    assert_eq!(found, Some(vec![0, 1, 2, 3]));
}

/// Folds queued on the fold thread behind a failed one, or behind the closing of the
/// database (a batch failed), are answered with failures without being merged (each
/// merge costs O(state)); the closing waits only for the merge under way.
#[test]
fn folds_queued_behind_a_failure_are_not_merged() {
    for closed_by_the_worker in [false, true] {
        let disk = FaultDisk::default();
        let (mut backend, merger) = backend_with_room(&disk, 4);
        // Closed by the worker: the folds themselves would succeed.
        merger.fills.store(!closed_by_the_worker, Relaxed);
        let (deferred, folds) = async_channel::unbounded();
        backend.attach(deferred).expect("fold thread");
        // The first merge waits until the other folds are queued.
        let (release, gate) = std::sync::mpsc::channel::<()>();
        *merger.gate.lock().unwrap() = Some(gate);
        for op in 20..24 {
            assert!(backend.execute_batch(vec![fold(op, 3)]).is_empty());
        }
        let started = eventually(Duration::from_secs(2), || merger.merges.load(Relaxed) == 1);
        assert!(started, "the first fold is merging");
        if closed_by_the_worker {
            let releaser = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                drop(release);
            });
            backend.close_failed("a batch failed".into());
            releaser.join().unwrap();
        } else {
            drop(release);
        }
        let done: Vec<C> = (0..4).map(|_| folds.recv_blocking().unwrap()).collect();
        assert!(done[1..].iter().all(|c| !succeeded(c)), "{done:?}");
        assert_eq!(merger.merges.load(Relaxed), 1, "only the first fold merged");
    }
}
