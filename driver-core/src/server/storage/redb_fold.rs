//! Folds of the redb backend, and the fold thread that keeps them off the storage
//! worker.
//!
//! A fold ([`StorageAction::Fold`](syncwire_proto::hub::StorageAction::Fold)) costs
//! O(state): a 100,000-element OR-set takes ~100 ms to decode, merge and encode. Run
//! in the worker's batch, it would hold back every room's appends (and acks) that
//! long. So the worker only reads the fold's input (the snapshot and the entries
//! below `to`, in the batch's transaction) and, once the batch committed, hands it
//! to the fold thread ([`Folder`]), which merges, stores the result in a write
//! transaction of its own and sends the `Folded` completion to the hub directly.
//!
//! * The input is read after the batch's earlier actions and only entries below the
//!   durable head are folded, so it never depends on uncommitted writes; the commit
//!   re-checks that the room is unchanged (same epoch, same snapshot, head not below
//!   the fold), else it stores nothing and reports the snapshot as it is. A crash
//!   before the commit loses the fold, never an entry: the hub asks again.
//! * The thread's queue is bounded (`FOLD_QUEUE` folds): when it is full, the worker
//!   folds inline, as without the thread, so a fold is never dropped.
//! * Its completions go on the worker's completion channel, which has room for them
//!   (see [`worker`](super::worker)); the thread ends when the backend is dropped
//!   (the worker's end), after the folds it holds: dropping the backend joins it.
//!   So does an I/O failure of the database, before it is closed; the reopen starts
//!   a new thread ([`redb_reopen`](super::redb_reopen)).
//! * A fold's write can fail with an I/O error too, which latches the database like a
//!   batch's. The fold thread then sets the backend's [`Latch`]: the worker closes
//!   the database before its next batch, or within [`FOLD_WATCH`] when no action
//!   comes (it looks while the thread holds folds), and the folds queued behind are
//!   answered with failures without merging. A fold on the worker sets it as well.
//!   Closing the database sets it first, so the thread only finishes the merge it is
//!   running before it is joined.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redb::{Database, ReadableTable};
use syncwire_proto::crdt::DeltaMerger;
use syncwire_proto::hub::{
    OpId, StorageCompletion, StorageError, StoredEntry, StoredSnapshot, fold_snapshot,
};
use syncwire_proto::wire::RoomId;

use super::redb_backend::{Bin, RedbBackend};
use super::redb_fault::{Fault, refused};
use super::redb_tables::{Tables, WriteTables};

/// Folds waiting for the fold thread, at most.
pub(crate) const FOLD_QUEUE: usize = 4;

/// While the fold thread holds folds, how often the worker checks the [`Latch`]
/// when no action comes.
pub(crate) const FOLD_WATCH: Duration = Duration::from_millis(50);

/// What a fold merges: the room's type, its snapshot and the entries after it.
#[derive(Debug)]
pub(crate) struct FoldInput {
    crdt: String,
    epoch: u64,
    pub(crate) base: Option<StoredSnapshot>,
    run: Vec<StoredEntry>,
}

impl FoldInput {
    /// The merged snapshot, or `None` when nothing folds.
    pub(crate) fn fold(&self, merger: &dyn DeltaMerger) -> Option<StoredSnapshot> {
        fold_snapshot(merger, &self.crdt, self.base.as_ref(), &self.run)
    }
}

impl<R, E, S, P> Tables<R, E, S, P>
where
    R: ReadableTable<Bin, Bin>,
    E: ReadableTable<Bin, Bin>,
    S: ReadableTable<Bin, u64>,
    P: ReadableTable<Bin, Bin>,
{
    /// Reads the input of a fold of `room` up to `to` (refused: unknown room, other epoch).
    pub(crate) fn fold_input(
        &self,
        room: &RoomId,
        epoch: u64,
        to: u64,
    ) -> Result<FoldInput, Fault> {
        let Some(meta) = self.meta(room)? else {
            return refused("no such room");
        };
        if meta.epoch != epoch {
            return refused("epoch mismatch");
        }
        let base = self.stored_snapshot(room)?;
        let from = base.as_ref().map_or(0, |s| s.offset);
        let to = to.min(meta.head);
        let run = if to > from {
            self.entries_between(room, from, to, usize::MAX)?
        } else {
            Vec::new()
        };
        Ok(FoldInput {
            crdt: meta.crdt,
            epoch,
            base,
            run,
        })
    }
}

impl WriteTables<'_> {
    /// Stores `folded` (computed from `input`) unless the room changed since the
    /// input was read; returns the snapshot stored afterwards.
    fn commit_fold(
        &mut self,
        room: &RoomId,
        input: &FoldInput,
        folded: StoredSnapshot,
    ) -> Result<Option<StoredSnapshot>, Fault> {
        let current = self.stored_snapshot(room)?;
        let unchanged = self.meta(room)?.is_some_and(|m| {
            m.epoch == input.epoch && m.head >= folded.offset && current == input.base
        });
        if !unchanged {
            return Ok(current);
        }
        self.snapshot(room, input.epoch, &folded)?;
        Ok(Some(folded))
    }
}

/// A fold read by the worker, for the fold thread.
#[derive(Debug)]
pub(crate) struct FoldJob {
    pub(crate) op: OpId,
    pub(crate) room: RoomId,
    pub(crate) input: FoldInput,
}

/// Merges `job` and stores the result in a transaction of its own: the `Folded`
/// completion, and the message of the I/O error if the write hit one (the database
/// is latched).
pub(crate) fn run_job(
    db: &Database,
    merger: &dyn DeltaMerger,
    job: FoldJob,
) -> (StorageCompletion, Option<String>) {
    let FoldJob { op, room, input } = job;
    let mut io = None;
    let result = match input.fold(merger) {
        None => Ok(input.base),
        Some(folded) => RedbBackend::write_with(db, |t| t.commit_fold(&room, &input, folded))
            .map_err(|e| {
                let latched = e.is_io();
                let message = e.message();
                if latched {
                    io = Some(message.clone());
                }
                StorageError(message)
            }),
    };
    (StorageCompletion::Folded { op, result }, io)
}

/// Runs `job` unless `latch` is set (then it fails at once), and sets it on an I/O error.
pub(crate) fn fold_unless_latched(
    db: &Database,
    merger: &dyn DeltaMerger,
    latch: &Latch,
    job: FoldJob,
) -> StorageCompletion {
    if let Some(why) = latch.why() {
        let result = Err(StorageError(format!("storage failed: {why}")));
        return StorageCompletion::Folded { op: job.op, result };
    }
    let (done, io) = run_job(db, merger, job);
    if let Some(why) = io {
        latch.set(why);
    }
    done
}

/// An I/O failure of the open database seen off the batch path (a fold's write), or
/// its closing under way: the first one's message. The backend holds it; every fold
/// thread it starts shares it.
#[derive(Debug, Default)]
pub(crate) struct Latch {
    set: AtomicBool,
    why: Mutex<Option<String>>,
}

impl Latch {
    pub(crate) fn set(&self, why: String) {
        let mut first = self.why.lock().unwrap_or_else(|p| p.into_inner());
        first.get_or_insert(why);
        self.set.store(true, Ordering::Release);
    }

    pub(crate) fn is_set(&self) -> bool {
        self.set.load(Ordering::Acquire)
    }

    /// The first failure's message, if set.
    pub(crate) fn why(&self) -> Option<String> {
        if !self.is_set() {
            return None;
        }
        self.why.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Clears it (the database is closed, its fold thread ended).
    pub(crate) fn clear(&self) {
        self.set.store(false, Ordering::Release);
        *self.why.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

/// The fold thread's queue, and the thread (joined on drop).
pub(crate) struct Folder {
    jobs: Option<SyncSender<Box<FoldJob>>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Folds queued or running.
    held: Arc<AtomicUsize>,
}

impl Folder {
    /// Starts the fold thread: it runs jobs on `db` (none once `latch` is set) and sends
    /// their completions on `done`.
    pub(crate) fn spawn(
        db: Arc<Database>,
        merger: Arc<dyn DeltaMerger>,
        latch: Arc<Latch>,
        done: async_channel::Sender<StorageCompletion>,
    ) -> std::io::Result<Folder> {
        let (jobs, rx): (_, Receiver<Box<FoldJob>>) = mpsc::sync_channel(FOLD_QUEUE);
        let held = Arc::new(AtomicUsize::new(0));
        let left = held.clone();
        let thread = std::thread::Builder::new()
            .name("syncwire-fold".to_owned())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    let folded = fold_unless_latched(&db, merger.as_ref(), &latch, *job);
                    let sent = done.send_blocking(folded);
                    left.fetch_sub(1, Ordering::AcqRel);
                    if sent.is_err() {
                        break;
                    }
                }
            })?;
        Ok(Folder {
            jobs: Some(jobs),
            thread: Some(thread),
            held,
        })
    }

    /// A folder whose queue is `jobs` and that has no thread (tests hold the other end).
    #[cfg(test)]
    pub(crate) fn queue_only(jobs: SyncSender<Box<FoldJob>>) -> Folder {
        Folder {
            jobs: Some(jobs),
            thread: None,
            held: Arc::default(),
        }
    }

    /// Queues `job`; gives it back when the queue is full (or the thread ended).
    pub(crate) fn offer(&self, job: Box<FoldJob>) -> Result<(), Box<FoldJob>> {
        let Some(jobs) = self.jobs.as_ref() else {
            return Err(job);
        };
        self.held.fetch_add(1, Ordering::AcqRel);
        jobs.try_send(job).map_err(|e| {
            self.held.fetch_sub(1, Ordering::AcqRel);
            match e {
                TrySendError::Full(j) | TrySendError::Disconnected(j) => j,
            }
        })
    }

    /// Whether the thread holds folds (queued or running).
    pub(crate) fn busy(&self) -> bool {
        self.thread.is_some() && self.held.load(Ordering::Acquire) > 0
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
