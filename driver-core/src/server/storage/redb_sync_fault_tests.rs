//! A failed sync of the redb file (fsyncgate): the kernel may have dropped the writes
//! it could not sync while their pages stay in the page cache, clean. Reopening the
//! file in the same process would read them back — a commit reported failed would
//! appear committed, and later acked commits could build on pages that are not on the
//! disk. So after a failed sync the database is not reopened, even once the disk
//! works again: storage stays failed until the operator restarts (reboots) the host.
//! A full disk on a write (`StorageFull`) still reopens
//! (`redb_reopen_tests.rs`).
//!
//! The simulated disk shows the hazard itself: after the failed sync its readable
//! image (the page cache) holds the failed append, the image that survives a power
//! loss does not.
//!
//! Checked to fail without the fix (on 69fc380, 2026-11-28): once the syncs worked
//! again the worker reopened the database and the loads succeeded.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use super::Backend;
use super::fault_disk::{
    FaultDisk, append, context, create, failure, load, offsets, run, succeeded,
};
use super::power_loss::PowerLossDisk;
use super::redb_backend::RedbBackend;
use super::worker;
use crate::server::ServerCounters;

/// The room's offsets in a database opened on `disk`.
fn offsets_on(disk: PowerLossDisk) -> Option<Vec<u64>> {
    let mut db = RedbBackend::on_backend(disk).expect("opens");
    offsets(&db.execute_batch(vec![load(99)])[0])
}

/// A sync fails with `kind`: the batch fails, storage is reported failed, and it stays
/// failed — no reopen, every batch refused at once — after the syncs work again.
fn stays_failed_after_a_sync_error(kind: io::ErrorKind) {
    let disk = FaultDisk::default();
    let backend = RedbBackend::on_backend(disk.clone()).expect("open");
    let counters = Arc::new(ServerCounters::default());
    let worker = worker::spawn(Box::new(backend), 64, 16, counters.clone()).expect("spawn");
    let health = context(counters.clone());
    assert!(succeeded(&run(&worker, create(1))));
    for offset in 0..3 {
        assert!(succeeded(&run(&worker, append(10 + offset, offset))));
    }

    disk.fail_syncs(Some(kind));
    let failed = run(&worker, append(20, 3));
    assert!(!succeeded(&failed), "not acked: {failed:?}");
    assert!(counters.storage_failed(), "{kind:?}");
    assert!(health.storage_trouble().is_some(), "/health 503");

    disk.fail_syncs(None);
    // With a reopen the attempts would have come after 100, 300 and 700 ms.
    std::thread::sleep(Duration::from_millis(800));
    for op in 21..24 {
        let refused = failure(&run(&worker, load(op))).expect("storage stays failed");
        assert!(refused.contains("not be reopened"), "{kind:?}: {refused}");
    }
    assert_eq!(counters.storage_reopens(), 0, "{kind:?}");
    assert!(counters.storage_failed());
    assert!(health.storage_trouble().is_some(), "/health still 503");
    drop(worker);

    // Why: what a reopen would read holds the append reported failed; what the disk
    // holds after a power loss does not.
    let cached = offsets_on(PowerLossDisk::with_bytes(disk.disk.current()));
    let durable = offsets_on(PowerLossDisk::with_bytes(disk.disk.power_loss()));
    assert_eq!(durable, Some(vec![0, 1, 2]), "{kind:?}");
    assert_eq!(cached, Some(vec![0, 1, 2, 3]), "{kind:?}: the page cache");
}

/// A generic I/O error (`ErrorKind::Other`; the kernel's EIO decodes as another kind
/// that is no full disk either): the disk failed.
#[test]
fn a_database_whose_sync_failed_is_not_reopened() {
    stays_failed_after_a_sync_error(io::ErrorKind::Other);
}

/// ENOSPC from the sync (delayed allocation, thin provisioning, NFS): the writes it
/// could not place may be dropped from the page cache just the same, so it is not
/// reopened either — unlike ENOSPC from a write, which left nothing unsynced behind.
#[test]
fn a_database_whose_sync_found_the_disk_full_is_not_reopened() {
    stays_failed_after_a_sync_error(io::ErrorKind::StorageFull);
}
