//! What the disk-fault tests of the redb backend share: a simulated disk that fills up
//! or fails its syncs ([`FaultDisk`]), a merger that fills it in the middle of a fold
//! ([`FillingMerger`]), and helpers that run actions through the real worker.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redb::StorageBackend;
use syncwire_proto::crdt::{CrdtError, DeltaMerger};
use syncwire_proto::hub::{OpId, StorageAction as A, StorageCompletion as C};
use syncwire_proto::wire::RoomId;

use super::fixtures::{Concat, entry};
use super::power_loss::PowerLossDisk;
use super::worker::Worker;
use crate::server::{ConnContext, ServerCounters, ServerRuntime};

/// An in-memory disk ([`PowerLossDisk`], power always on) whose writes and resizes fail
/// with `StorageFull` while it is full, and whose syncs fail with the kind set by
/// [`FaultDisk::fail_syncs`]; a failed operation changes nothing (a failed sync keeps
/// the writes before it readable but not synced, like the page cache after a failed
/// fsync). A full disk's syncs succeed: with nothing new written there is nothing to
/// allocate. Clones share the disk.
#[derive(Clone, Debug, Default)]
pub(super) struct FaultDisk {
    pub(super) disk: PowerLossDisk,
    full: Arc<AtomicBool>,
    sync_error: Arc<Mutex<Option<io::ErrorKind>>>,
}

impl FaultDisk {
    pub(super) fn fill(&self, full: bool) {
        self.full.store(full, Relaxed);
    }

    /// Syncs fail with `kind` from now on (`None`: they work again).
    pub(super) fn fail_syncs(&self, kind: Option<io::ErrorKind>) {
        *self.sync_error.lock().unwrap() = kind;
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

impl StorageBackend for FaultDisk {
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
        if let Some(kind) = *self.sync_error.lock().unwrap() {
            return Err(io::Error::new(kind, "simulated sync failure"));
        }
        self.disk.sync_data()
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.room_left()?;
        self.disk.write(offset, data)
    }
}

/// [`Concat`], but the disk is full once a fold has merged (while `fills`): the
/// fold's own write (on the fold thread, or on the worker when the fold queue is full)
/// is the first to fail. Counts the merges (each as it starts).
pub(super) struct FillingMerger {
    pub(super) disk: FaultDisk,
    pub(super) fills: AtomicBool,
    pub(super) merges: AtomicUsize,
    /// Merges wait here (while the test queues more folds) when set.
    pub(super) gate: Mutex<Option<std::sync::mpsc::Receiver<()>>>,
}

impl FillingMerger {
    pub(super) fn new(disk: &FaultDisk) -> Arc<Self> {
        Arc::new(FillingMerger {
            disk: disk.clone(),
            fills: AtomicBool::new(true),
            merges: AtomicUsize::new(0),
            gate: Mutex::new(None),
        })
    }
}

impl DeltaMerger for FillingMerger {
    fn merge(&self, tag: &str, a: &[u8], b: &[u8]) -> Result<Option<Vec<u8>>, CrdtError> {
        Concat.merge(tag, a, b)
    }

    fn merge_many(
        &self,
        tag: &str,
        base: &[u8],
        deltas: &[&[u8]],
    ) -> Result<Option<Vec<u8>>, CrdtError> {
        self.merges.fetch_add(1, Relaxed);
        if let Some(gate) = self.gate.lock().unwrap().as_ref() {
            let _ = gate.recv();
        }
        let merged = deltas
            .iter()
            .fold(base.to_vec(), |acc, d| [&acc, *d].concat());
        let _ = tag;
        if self.fills.load(Relaxed) {
            self.disk.fill(true);
        }
        Ok(Some(merged))
    }
}

pub(super) fn room() -> RoomId {
    RoomId::new("disk/1")
}

pub(super) fn create(op: u64) -> A {
    A::Create {
        op: OpId(op),
        room: room(),
        crdt: "gcounter".into(),
        epoch: 1,
    }
}

pub(super) fn append(op: u64, offset: u64) -> A {
    A::Append {
        op: OpId(op),
        room: room(),
        epoch: 1,
        entries: vec![entry(offset, 1, offset + 1)],
    }
}

pub(super) fn load(op: u64) -> A {
    A::Load {
        op: OpId(op),
        room: room(),
        tail_limit: usize::MAX,
    }
}

pub(super) fn fold(op: u64, to: u64) -> A {
    A::Fold {
        op: OpId(op),
        room: room(),
        epoch: 1,
        to,
    }
}

/// Runs one action through the worker and waits for its completion.
pub(super) fn run(worker: &Worker, action: A) -> C {
    worker.actions.send(action).expect("worker running");
    worker.completions.recv_blocking().expect("a completion")
}

pub(super) fn succeeded(done: &C) -> bool {
    match done {
        C::Created { result, .. } | C::Appended { result, .. } => result.is_ok(),
        C::Loaded { result, .. } => result.is_ok(),
        C::Folded { result, .. } => result.is_ok(),
        other => panic!("unexpected completion {other:?}"),
    }
}

/// The failure's message (`None`: it succeeded).
pub(super) fn failure(done: &C) -> Option<String> {
    match done {
        C::Created { result, .. } | C::Appended { result, .. } => result.clone().err(),
        C::Loaded { result, .. } => result.clone().err(),
        C::Folded { result, .. } => result.clone().err(),
        other => panic!("unexpected completion {other:?}"),
    }
    .map(|e| e.0)
}

/// The offsets of the room's entries, as a load finds them (`None`: the load failed).
pub(super) fn offsets(done: &C) -> Option<Vec<u64>> {
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
pub(super) fn until_loaded(worker: &Worker, limit: Duration) -> Option<Vec<u64>> {
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

/// Waits (at most `limit`) until `cond` holds.
pub(super) fn eventually(limit: Duration, cond: impl Fn() -> bool) -> bool {
    let start = Instant::now();
    while !cond() {
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    true
}

/// A runtime that runs nothing: enough for [`ConnContext::storage_trouble`].
#[derive(Clone)]
pub(super) struct NoRuntime;

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

/// What `/health` asks of storage (`ConnContext::storage_trouble`), on `counters`.
pub(super) fn context(counters: Arc<ServerCounters>) -> ConnContext<NoRuntime> {
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
