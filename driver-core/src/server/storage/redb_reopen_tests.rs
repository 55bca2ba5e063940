//! The redb backend after a disk fault: a disk that refuses writes for a while
//! ([`FullDisk`], "no space left on device") and then recovers.
//!
//! redb latches a failed write: every later operation on that `Database`, reads
//! included, fails with `PreviousIo`. The worker must reopen it, with backoff, so
//! that once the disk recovers the batches succeed again; the batch that failed is
//! answered with failures (nothing acked), and what was committed before is all there.
//! Meanwhile `/health` reports storage as failing.
//!
//! Checked to fail: on the backend without the reopen (ac5da9e), the append after
//! the disk recovered failed with "Previous I/O error occurred. Please close and
//! re-open the database." (tried on 2026-11-27).

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};

use redb::StorageBackend;
use syncwire_proto::hub::{OpId, StorageAction as A, StorageCompletion as C};
use syncwire_proto::wire::RoomId;

use super::Backend;
use super::fixtures::{Concat, entry};
use super::power_loss::PowerLossDisk;
use super::redb_backend::RedbBackend;
use super::worker::{self, Worker};
use crate::server::{ConnContext, ServerCounters, ServerRuntime};

/// An in-memory disk ([`PowerLossDisk`], power always on) whose writes, resizes and
/// syncs fail while it is full, changing nothing. Clones share the disk.
#[derive(Clone, Debug, Default)]
struct FullDisk {
    disk: PowerLossDisk,
    full: Arc<AtomicBool>,
}

impl FullDisk {
    fn fill(&self, full: bool) {
        self.full.store(full, Relaxed);
    }

    fn room_left(&self) -> io::Result<()> {
        if self.full.load(Relaxed) {
            return Err(io::Error::new(
                io::ErrorKind::StorageFull,
                "no space left on device",
            ));
        }
        Ok(())
    }
}

impl StorageBackend for FullDisk {
    fn len(&self) -> io::Result<u64> {
        self.disk.len()
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
        self.disk.read(offset, out)
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.room_left()?;
        self.disk.set_len(len)
    }

    fn sync_data(&self) -> io::Result<()> {
        self.room_left()?;
        self.disk.sync_data()
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.room_left()?;
        self.disk.write(offset, data)
    }
}

fn room() -> RoomId {
    RoomId::new("disk/1")
}

fn create(op: u64) -> A {
    A::Create {
        op: OpId(op),
        room: room(),
        crdt: "gcounter".into(),
        epoch: 1,
    }
}

fn append(op: u64, offset: u64) -> A {
    A::Append {
        op: OpId(op),
        room: room(),
        epoch: 1,
        entries: vec![entry(offset, 1, offset + 1)],
    }
}

fn load(op: u64) -> A {
    A::Load {
        op: OpId(op),
        room: room(),
        tail_limit: usize::MAX,
    }
}

/// Runs one action through the worker and waits for its completion.
fn run(worker: &Worker, action: A) -> C {
    worker.actions.send(action).expect("worker running");
    worker.completions.recv_blocking().expect("a completion")
}

fn succeeded(done: &C) -> bool {
    match done {
        C::Created { result, .. } | C::Appended { result, .. } => result.is_ok(),
        C::Loaded { result, .. } => result.is_ok(),
        other => panic!("unexpected completion {other:?}"),
    }
}

/// The offsets of the room's entries, as a load finds them (`None`: the load failed).
fn offsets(done: &C) -> Option<Vec<u64>> {
    match done {
        C::Loaded {
            result: Ok(Some(record)),
            ..
        } => Some(record.tail.iter().map(|e| e.offset).collect()),
        C::Loaded { result: Err(_), .. } => None,
        other => panic!("unexpected completion {other:?}"),
    }
}

/// Loads the room until a load succeeds (the database reopened), for at most `limit`.
fn until_loaded(worker: &Worker, limit: Duration) -> Option<Vec<u64>> {
    let start = Instant::now();
    let mut op = 1000;
    while start.elapsed() < limit {
        op += 1;
        if let Some(found) = offsets(&run(worker, load(op))) {
            return Some(found);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// One failed write (disk full) used to make every later batch fail until a restart.
/// Now the worker reopens the database: once the disk has room again, loads and
/// appends succeed, with everything committed before the failure, and the batch that
/// failed was answered with a failure. `/health` reports the failed state.
#[test]
fn the_backend_reopens_the_database_after_the_disk_recovers() {
    let disk = FullDisk::default();
    let backend = RedbBackend::on_backend(disk.clone()).expect("open");
    let counters = Arc::new(ServerCounters::default());
    let worker = worker::spawn(Box::new(backend), 64, 16, counters.clone()).expect("spawn");
    assert!(succeeded(&run(&worker, create(1))));
    for offset in 0..3 {
        assert!(succeeded(&run(&worker, append(10 + offset, offset))));
    }
    let health = context(counters.clone());
    assert!(health.storage_reachable());

    disk.fill(true);
    let failed = run(&worker, append(20, 3));
    assert!(!succeeded(&failed), "a write on a full disk is not acked");
    assert!(counters.storage_failed(), "{failed:?}");
    assert!(!health.storage_reachable(), "/health 503");
    // While the disk is full every batch fails (reopening fails too, with backoff).
    for op in 21..24 {
        assert!(!succeeded(&run(&worker, append(op, 3))));
        std::thread::sleep(Duration::from_millis(60));
    }
    assert!(!health.storage_reachable());

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
    assert!(health.storage_reachable(), "/health 200 again");
    assert!(counters.storage_reopens() >= 1);
}

/// A refused action (an append at another epoch) is no disk fault: the database
/// stays open and no reopen is scheduled.
#[test]
fn a_refusal_does_not_reopen() {
    let mut backend = RedbBackend::on_backend(FullDisk::default()).expect("open");
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
    let disk = FullDisk::default();
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

/// A runtime that runs nothing: enough for [`ConnContext::storage_reachable`].
#[derive(Clone)]
struct NoRuntime;

impl ServerRuntime for NoRuntime {
    type Sleep = std::future::Pending<()>;

    fn spawn<F>(&self, _: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
    }

    fn sleep(&self, _: Duration) -> Self::Sleep {
        std::future::pending()
    }
}

/// What `/health` asks of storage (`ConnContext::storage_reachable`), on `counters`.
fn context(counters: Arc<ServerCounters>) -> ConnContext<NoRuntime> {
    ConnContext {
        hub: async_channel::bounded(1).0,
        outbound_capacity: 1,
        write_timeout: Duration::from_secs(1),
        counters,
        rt: NoRuntime,
        feed: None,
        _alive: async_channel::bounded(1).0,
    }
}
