//! [`RedbBackend`]: the durable backend on an embedded redb database.
//!
//! One batch of actions runs in one redb transaction: a write transaction (committed
//! with [`ACK_DURABILITY`], `Durability::Immediate`, set explicitly on every write
//! transaction: fsynced before `commit` returns) when the batch writes anything, a
//! read transaction otherwise. Completions are only
//! handed back after the commit returned, so an `Appended` completion — and thus every
//! ack the hub sends — refers to data on disk. If the commit fails, every completion
//! of the batch becomes a failure. An action the backend contract refuses (wrong
//! epoch, append not at head, unknown room) fails alone, before it modifies anything.
//! A fold ([`StorageAction::Fold`]) reads the snapshot and the entries after it in
//! the batch's transaction; the merge (O(state)) and the write of its result happen
//! on the fold thread, in a transaction of their own ([`redb_fold`](super::redb_fold)),
//! so a big room's fold does not hold back the appends of the batches after it.
//! Without the thread (or with its queue full) the fold runs in the batch.
//! Table layouts are in [`redb_codec`](super::redb_codec). The power-loss test
//! (`storage/power_loss.rs`) shows that an acked append survives losing every write
//! not followed by a sync, and fails with `Durability::None`.
//!
//! An I/O error ([`Fault::Io`], [`redb_fault`](super::redb_fault): a full disk, a
//! failed sync), in a batch or in a fold, latches redb's database: every later
//! operation on it fails. The backend then closes it and the worker reopens it, with
//! backoff, if what the disk reported makes that safe (only a full disk:
//! [`redb_disk`](super::redb_disk)) — else never ([`redb_reopen`](super::redb_reopen)).
//! Until then [`Backend::failed`] holds, [`Backend::retry_at`] says when to try, and
//! every batch fails at once.

use std::sync::Arc;
use std::time::Instant;

use redb::{Database, Durability, ReadableDatabase, TableDefinition};
use syncwire_proto::crdt::DeltaMerger;
use syncwire_proto::hub::StorageError;
use syncwire_proto::hub::{StorageAction, StorageCompletion};

use super::redb_disk::DiskLog;
use super::redb_fault::Fault;
use super::redb_fold::{FOLD_WATCH, FoldJob, Folder, Latch, fold_unless_latched};
use super::redb_reopen::{Backoff, Opener};
use super::redb_tables::{Tables, WriteTables};
use super::{Backend, as_failure, failed};

/// Keys and values stored as byte strings.
pub(crate) type Bin = &'static [u8];
pub(super) const ROOMS: TableDefinition<Bin, Bin> = TableDefinition::new("rooms");
pub(super) const ENTRIES: TableDefinition<Bin, Bin> = TableDefinition::new("entries");
pub(super) const SEQS: TableDefinition<Bin, u64> = TableDefinition::new("seqs");
pub(super) const SNAPSHOTS: TableDefinition<Bin, Bin> = TableDefinition::new("snapshots");

/// The durability of every write transaction. Completions — and so the hub's acks —
/// follow the commit, so it must be on disk when `commit` returns: `Immediate`
/// (redb's default, stated here so that no change of default weakens an ack).
pub(crate) const ACK_DURABILITY: Durability = Durability::Immediate;

/// A redb database holding every room's log.
pub(crate) struct RedbBackend {
    /// The database; `None` after an I/O failure, until reopened.
    pub(super) db: Option<Arc<Database>>,
    pub(super) merger: Arc<dyn DeltaMerger>,
    /// The fold thread, once attached (and while the database is open).
    pub(super) folder: Option<Folder>,
    /// Where the fold thread sends its completions (to start it again on a reopen).
    pub(super) deferred: Option<async_channel::Sender<StorageCompletion>>,
    /// Opens the database again after an I/O failure.
    pub(super) opener: Opener,
    /// When to try that.
    pub(super) backoff: Backoff,
    /// What the database's file reported since it was opened.
    pub(super) disk: DiskLog,
    /// Set by a fold that latched the database (shared with the fold thread).
    pub(super) latch: Arc<Latch>,
}

/// One action's outcome in a write batch: now, or a fold for the fold thread.
enum Slot {
    Now(StorageCompletion),
    Later(Box<FoldJob>),
}

impl RedbBackend {
    /// Runs `f` on the tables of one write transaction and commits it.
    pub(crate) fn write_with<T>(
        db: &Database,
        f: impl FnOnce(&mut WriteTables<'_>) -> Result<T, Fault>,
    ) -> Result<T, Fault> {
        let mut txn = db.begin_write()?;
        // Explicit: every completion of the batch (acks included) waits for this commit.
        txn.set_durability(ACK_DURABILITY)?;
        let out = {
            let mut t = Tables {
                rooms: txn.open_table(ROOMS)?,
                entries: txn.open_table(ENTRIES)?,
                seqs: txn.open_table(SEQS)?,
                snapshots: txn.open_table(SNAPSHOTS)?,
            };
            f(&mut t)?
        };
        txn.commit()?;
        Ok(out)
    }

    /// Starts the fold thread on `db`, once the worker attached the backend.
    pub(super) fn start_folder(&mut self, db: &Arc<Database>) -> std::io::Result<()> {
        if let Some(deferred) = &self.deferred {
            let (merger, latch) = (self.merger.clone(), self.latch.clone());
            let folder = Folder::spawn(db.clone(), merger, latch, deferred.clone())?;
            self.folder = Some(folder);
        }
        Ok(())
    }

    /// The database (tests run fold jobs on it).
    #[cfg(test)]
    pub(crate) fn db(&self) -> &Database {
        self.db.as_ref().expect("the database is open")
    }

    /// Uses `folder` for folds from now on (tests: a queue without a thread).
    #[cfg(test)]
    pub(crate) fn set_folder(&mut self, folder: Folder) {
        self.folder = Some(folder);
    }

    fn write_batch(
        &self,
        db: &Database,
        actions: Vec<StorageAction>,
    ) -> Result<Vec<StorageCompletion>, Fault> {
        let merger = self.merger.as_ref();
        let deferring = self.folder.is_some();
        let slots = Self::write_with(db, |t| {
            let mut slots = Vec::with_capacity(actions.len());
            for action in actions {
                slots.push(match action {
                    StorageAction::Fold {
                        op,
                        room,
                        epoch,
                        to,
                        ..
                    } if deferring => match t.fold_input(&room, epoch, to) {
                        Ok(input) => Slot::Later(Box::new(FoldJob { op, room, input })),
                        Err(Fault::Refused(m)) => Slot::Now(StorageCompletion::Folded {
                            op,
                            result: Err(StorageError(m)),
                        }),
                        Err(db) => return Err(db),
                    },
                    other => Slot::Now(t.write(other, merger)?),
                });
            }
            Ok(slots)
        })?;
        // Committed: the folds go to the fold thread, or run here if its queue is full
        // (an I/O error there sets the latch: the database is closed after the batch).
        let mut done = Vec::with_capacity(slots.len());
        for slot in slots {
            match slot {
                Slot::Now(c) => done.push(c),
                Slot::Later(job) => {
                    let offered = self.folder.as_ref().map(|f| f.offer(job));
                    if let Some(Err(job)) = offered {
                        done.push(fold_unless_latched(db, merger, &self.latch, *job));
                    }
                }
            }
        }
        Ok(done)
    }

    fn read_batch(
        db: &Database,
        actions: Vec<StorageAction>,
    ) -> Result<Vec<StorageCompletion>, Fault> {
        let txn = db.begin_read()?;
        let t = Tables {
            rooms: txn.open_table(ROOMS)?,
            entries: txn.open_table(ENTRIES)?,
            seqs: txn.open_table(SEQS)?,
            snapshots: txn.open_table(SNAPSHOTS)?,
        };
        actions.into_iter().map(|a| t.read(a)).collect()
    }
}

fn is_read(action: &StorageAction) -> bool {
    matches!(
        action,
        StorageAction::Load { .. } | StorageAction::LoadRange { .. }
    )
}

impl Backend for RedbBackend {
    fn attach(
        &mut self,
        deferred: async_channel::Sender<StorageCompletion>,
    ) -> std::io::Result<()> {
        self.deferred = Some(deferred);
        match self.db.clone() {
            Some(db) => self.start_folder(&db),
            None => Ok(()),
        }
    }

    fn execute_batch(&mut self, actions: Vec<StorageAction>) -> Vec<StorageCompletion> {
        // A fold latched the database: closed before it fails this batch.
        self.close_if_latched();
        let ids: Vec<StorageCompletion> = actions.iter().map(|a| failed(a, "")).collect();
        let Some(db) = self.db.clone() else {
            let msg = self.backoff.refusal();
            return ids.iter().map(|c| as_failure(c, &msg)).collect();
        };
        let outcome = if actions.iter().all(is_read) {
            Self::read_batch(&db, actions)
        } else {
            self.write_batch(&db, actions)
        };
        drop(db);
        match outcome {
            Ok(done) => {
                if !self.close_if_latched() {
                    self.backoff.worked();
                }
                done
            }
            Err(fault) => {
                let latched = fault.is_io();
                let msg = fault.message();
                if latched {
                    self.close_failed(msg.clone());
                }
                ids.iter().map(|c| as_failure(c, &msg)).collect()
            }
        }
    }

    fn failed(&self) -> bool {
        self.db.is_none() || self.latch.is_set()
    }

    fn retry_at(&self) -> Option<Instant> {
        if self.db.is_some() && self.latch.is_set() {
            return Some(Instant::now());
        }
        // While the fold thread holds folds, look at the latch now and then.
        let watch = self.folder.as_ref().filter(|f| f.busy());
        watch
            .map(|_| Instant::now() + FOLD_WATCH)
            .or(self.backoff.next())
    }

    fn recover(&mut self) -> bool {
        if self.close_if_latched() {
            return false;
        }
        self.reopen()
    }
}
