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
//!   So does an I/O failure of the database, before it is closed (its folds then
//!   fail); the reopen starts a new thread ([`redb_reopen`](super::redb_reopen)).

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};

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
/// completion.
pub(crate) fn run_job(db: &Database, merger: &dyn DeltaMerger, job: FoldJob) -> StorageCompletion {
    let FoldJob { op, room, input } = job;
    let result = match input.fold(merger) {
        None => Ok(input.base),
        Some(folded) => RedbBackend::write_with(db, |t| t.commit_fold(&room, &input, folded))
            .map_err(|e| StorageError(e.message())),
    };
    StorageCompletion::Folded { op, result }
}

/// The fold thread's queue, and the thread (joined on drop).
pub(crate) struct Folder {
    jobs: Option<SyncSender<Box<FoldJob>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Folder {
    /// Starts the fold thread: it runs jobs on `db` and sends their completions on `done`.
    pub(crate) fn spawn(
        db: Arc<Database>,
        merger: Arc<dyn DeltaMerger>,
        done: async_channel::Sender<StorageCompletion>,
    ) -> std::io::Result<Folder> {
        let (jobs, rx): (_, Receiver<Box<FoldJob>>) = mpsc::sync_channel(FOLD_QUEUE);
        let thread = std::thread::Builder::new()
            .name("syncwire-fold".to_owned())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    if done
                        .send_blocking(run_job(&db, merger.as_ref(), *job))
                        .is_err()
                    {
                        break;
                    }
                }
            })?;
        Ok(Folder {
            jobs: Some(jobs),
            thread: Some(thread),
        })
    }

    /// A folder whose queue is `jobs` and that has no thread (tests hold the other end).
    #[cfg(test)]
    pub(crate) fn queue_only(jobs: SyncSender<Box<FoldJob>>) -> Folder {
        Folder {
            jobs: Some(jobs),
            thread: None,
        }
    }

    /// Queues `job`; gives it back when the queue is full (or the thread ended).
    pub(crate) fn offer(&self, job: Box<FoldJob>) -> Result<(), Box<FoldJob>> {
        match self.jobs.as_ref() {
            Some(jobs) => jobs.try_send(job).map_err(|e| match e {
                TrySendError::Full(j) | TrySendError::Disconnected(j) => j,
            }),
            None => Err(job),
        }
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
