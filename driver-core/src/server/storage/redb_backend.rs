//! [`RedbBackend`]: the durable backend on an embedded redb database.
//!
//! One batch of actions runs in one redb transaction: a write transaction (committed
//! with redb's default `Durability::Immediate`, i.e. fsynced before `commit` returns)
//! when the batch writes anything, a read transaction otherwise. Completions are only
//! handed back after the commit returned, so an `Appended` completion — and thus every
//! ack the hub sends — refers to data on disk. If the commit fails, every completion
//! of the batch becomes a failure. An action the backend contract refuses (wrong
//! epoch, append not at head, unknown room) fails alone, before it modifies anything.
//! A fold ([`StorageAction::Fold`]) reads the snapshot and the entries after it,
//! merges them with the hub's [`DeltaMerger`] and writes the result, all in the
//! batch's write transaction: it takes effect with the batch or not at all.
//! Table layouts are in [`redb_codec`](super::redb_codec).

use std::path::Path;
use std::sync::Arc;

use redb::{Database, ReadableDatabase, TableDefinition};
use syncwire_proto::crdt::DeltaMerger;
use syncwire_proto::hub::{StorageAction, StorageCompletion};

use super::redb_tables::Tables;
use super::{Backend, as_failure, failed};
use crate::server::ServerError;

/// Keys and values stored as byte strings.
pub(crate) type Bin = &'static [u8];
const ROOMS: TableDefinition<Bin, Bin> = TableDefinition::new("rooms");
const ENTRIES: TableDefinition<Bin, Bin> = TableDefinition::new("entries");
const SEQS: TableDefinition<Bin, u64> = TableDefinition::new("seqs");
const SNAPSHOTS: TableDefinition<Bin, Bin> = TableDefinition::new("snapshots");

/// Why one action did not complete.
pub(crate) enum Fault {
    /// The action was refused; the transaction is intact.
    Refused(String),
    /// The database failed; the transaction must not commit.
    Db(String),
}

macro_rules! db_errors {
    ($($t:ty),*) => {$(
        impl From<$t> for Fault {
            fn from(e: $t) -> Self { Fault::Db(e.to_string()) }
        }
    )*};
}
db_errors!(
    redb::StorageError,
    redb::TableError,
    redb::TransactionError,
    redb::CommitError
);

pub(crate) fn refused<T>(msg: &str) -> Result<T, Fault> {
    Err(Fault::Refused(msg.to_owned()))
}

pub(crate) fn corrupt() -> Fault {
    Fault::Refused("corrupt record".to_owned())
}

/// A redb database holding every room's log.
pub(crate) struct RedbBackend {
    db: Database,
    merger: Arc<dyn DeltaMerger>,
}

impl RedbBackend {
    /// Opens (or creates) `dir/syncwire.redb`. redb repairs the file if the previous
    /// process died mid-write. Folds merge with `merger`.
    pub(crate) fn open(dir: &Path, merger: Arc<dyn DeltaMerger>) -> Result<Self, ServerError> {
        let err =
            |e: &dyn std::fmt::Display| ServerError::Storage(format!("{}: {e}", dir.display()));
        std::fs::create_dir_all(dir).map_err(|e| err(&e))?;
        let db = Database::create(dir.join("syncwire.redb")).map_err(|e| err(&e))?;
        let txn = db.begin_write().map_err(|e| err(&e))?;
        {
            txn.open_table(ROOMS).map_err(|e| err(&e))?;
            txn.open_table(ENTRIES).map_err(|e| err(&e))?;
            txn.open_table(SEQS).map_err(|e| err(&e))?;
            txn.open_table(SNAPSHOTS).map_err(|e| err(&e))?;
        }
        txn.commit().map_err(|e| err(&e))?;
        Ok(RedbBackend { db, merger })
    }

    fn write_batch(&self, actions: Vec<StorageAction>) -> Result<Vec<StorageCompletion>, Fault> {
        let txn = self.db.begin_write()?;
        let mut done = Vec::with_capacity(actions.len());
        {
            let mut t = Tables {
                rooms: txn.open_table(ROOMS)?,
                entries: txn.open_table(ENTRIES)?,
                seqs: txn.open_table(SEQS)?,
                snapshots: txn.open_table(SNAPSHOTS)?,
            };
            for action in actions {
                done.push(t.write(action, self.merger.as_ref())?);
            }
        }
        txn.commit()?;
        Ok(done)
    }

    fn read_batch(&self, actions: Vec<StorageAction>) -> Result<Vec<StorageCompletion>, Fault> {
        let txn = self.db.begin_read()?;
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
    fn execute_batch(&mut self, actions: Vec<StorageAction>) -> Vec<StorageCompletion> {
        let ids: Vec<StorageCompletion> = actions.iter().map(|a| failed(a, "")).collect();
        let outcome = if actions.iter().all(is_read) {
            self.read_batch(actions)
        } else {
            self.write_batch(actions)
        };
        match outcome {
            Ok(done) => done,
            Err(Fault::Db(msg) | Fault::Refused(msg)) => {
                ids.iter().map(|c| as_failure(c, &msg)).collect()
            }
        }
    }
}
