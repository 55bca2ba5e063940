//! Storage backends behind the hub's [`StorageAction`]s, and the worker thread that
//! runs them.
//!
//! * [`Backend`]: executes a batch of actions in order and returns one completion per
//!   action, in the same order. Implemented by proto's `MemoryStorage` (tests) and by
//!   [`redb_backend::RedbBackend`] (durable: one fsynced write transaction per batch).
//!   Both fold snapshots ([`StorageAction::Fold`]) with the hub's merger, so the
//!   O(state) work of compaction runs on the worker thread, not on the hub task.
//!   After an I/O error redb's database fails every operation until reopened:
//!   `redb_reopen` (when, how and whether: only after a full disk;
//!   [`Backend::failed`], [`Backend::retry_at`], [`Backend::recover`]; `redb_fault`:
//!   which errors those are; `redb_disk`: what the disk reported; `redb_open`).
//! * `redis_backend` (feature `redis`): the room logs on a Redis server, one pipelined
//!   round trip of Lua scripts per batch (`redis_keys`: key layout and scripts;
//!   `redis_actions`: actions to script calls and back; `redis_fold`: folds).
//! * `redis_durability` (feature `redis`): the Redis settings every connection of
//!   the backend is checked for (fsync of every write, no eviction of room keys).
//!   While a connection is refused for them the backend is failed, and retries on
//!   its own ([`Backend::retry_at`], [`Backend::recover`]) until one passes.
//! * `redis_news` (feature `redis`): the news bus, members of other nodes (pub/sub).
//! * `redis_tail` (feature `redis`): the tail feed, a thread following the streams of
//!   the rooms the hub has loaded (shared-log mode; `crate::server::tail`).
//! * [`worker`]: a dedicated OS thread that pulls actions from a bounded queue, groups
//!   those already waiting into one batch (group commit) and sends the completions
//!   back to the hub task.

pub(crate) mod redb_backend;
mod redb_codec;
mod redb_disk;
mod redb_fault;
mod redb_fold;
mod redb_open;
mod redb_reopen;
mod redb_tables;
#[cfg(feature = "redis")]
mod redis_actions;
#[cfg(feature = "redis")]
pub(crate) mod redis_backend;
#[cfg(feature = "redis")]
mod redis_codec;
#[cfg(feature = "redis")]
mod redis_durability;
#[cfg(feature = "redis")]
mod redis_fold;
#[cfg(feature = "redis")]
mod redis_keys;
#[cfg(feature = "redis")]
pub(crate) mod redis_news;
#[cfg(feature = "redis")]
pub(crate) mod redis_tail;
pub(crate) mod worker;

use std::sync::Arc;
use std::time::Instant;

use syncwire_proto::crdt::DeltaMerger;
use syncwire_proto::hub::{MemoryStorage, StorageAction, StorageCompletion, StorageError};

use super::config::ServerError;
use super::storage_choice::{MemoryStore, Storage};

/// Executes storage actions. Completions come back in action order, one per action,
/// except the folds a backend defers (see [`Backend::attach`]).
pub(crate) trait Backend: Send + 'static {
    /// Runs `actions` (in order) and reports each outcome, but for deferred folds.
    fn execute_batch(&mut self, actions: Vec<StorageAction>) -> Vec<StorageCompletion>;

    /// Gives the backend the hub's completion channel, for the completions of folds
    /// it finishes off the worker thread (redb: [`redb_fold`]). By default it has
    /// none and completes everything in [`Backend::execute_batch`].
    fn attach(
        &mut self,
        deferred: async_channel::Sender<StorageCompletion>,
    ) -> std::io::Result<()> {
        let _ = deferred;
        Ok(())
    }

    /// Whether the backend has failed: the worker reports storage as failed while it
    /// has. By default while a retry is scheduled ([`Backend::retry_at`]); redb says
    /// it itself (after an I/O error, until its database is reopened — or for good,
    /// when the disk reported more than a full disk; its `retry_at` also schedules
    /// looks at its fold thread).
    fn failed(&self) -> bool {
        self.retry_at().is_some()
    }

    /// When the worker calls [`Backend::recover`] next, even if no action comes: a
    /// failed backend's next attempt, or (redb) a look at the folds its fold thread
    /// runs, whose I/O error fails it too. `None`: only when an action comes.
    fn retry_at(&self) -> Option<Instant> {
        None
    }

    /// Tries to leave the failed state now (redb: closes a database a fold latched,
    /// reopens a closed one); `true` if it recovered (the worker counts it). On
    /// failure [`Backend::retry_at`] says when to try again.
    fn recover(&mut self) -> bool {
        false
    }
}

impl Backend for MemoryStorage {
    fn execute_batch(&mut self, actions: Vec<StorageAction>) -> Vec<StorageCompletion> {
        actions.into_iter().map(|a| self.execute(a)).collect()
    }
}

impl Backend for MemoryStore {
    fn execute_batch(&mut self, actions: Vec<StorageAction>) -> Vec<StorageCompletion> {
        let mut store = self.0.lock().unwrap_or_else(|p| p.into_inner());
        actions.into_iter().map(|a| store.execute(a)).collect()
    }
}

/// Opens the backend the config asks for; it folds snapshots with `merger` (the hub's).
pub(crate) fn open(
    storage: &Storage,
    merger: Arc<dyn DeltaMerger>,
) -> Result<Box<dyn Backend>, ServerError> {
    match storage {
        Storage::Memory => {
            let mut s = MemoryStorage::new();
            s.set_merger(merger);
            Ok(Box::new(s))
        }
        Storage::Shared(store) => {
            let mut s = store.0.lock().unwrap_or_else(|p| p.into_inner());
            s.set_merger(merger);
            drop(s);
            Ok(Box::new(store.clone()))
        }
        Storage::Redb { dir } => Ok(Box::new(redb_backend::RedbBackend::open(dir, merger)?)),
        #[cfg(feature = "redis")]
        Storage::Redis {
            url,
            // Only 0 gets here: `Storage::validate` refuses more (acks cannot wait
            // for replicas yet), and `ServerConfig::open` validates before opening.
            wait_replicas: _,
            allow_unsafe_durability,
        } => {
            let options = redis_backend::RedisOptions {
                url: url.clone(),
                allow_unsafe_durability: *allow_unsafe_durability,
            };
            Ok(Box::new(redis_backend::RedisBackend::open(
                &options, merger,
            )?))
        }
        #[cfg(not(feature = "redis"))]
        Storage::Redis { .. } => Err(ServerError::Storage(
            "this build has no Redis backend (driver-core feature `redis`)".to_owned(),
        )),
    }
}

pub(crate) use crate::hub::failed_completion as failed;

/// The same completion turned into a failure (used when a transaction does not commit).
pub(crate) fn as_failure(done: &StorageCompletion, message: &str) -> StorageCompletion {
    done.clone().into_failure(StorageError(message.to_owned()))
}

#[cfg(test)]
mod fault_disk;
#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod power_loss;
#[cfg(test)]
mod redb_corrupt;
#[cfg(test)]
mod redb_fold_fault_tests;
#[cfg(test)]
mod redb_fold_tests;
#[cfg(test)]
mod redb_reopen_tests;
#[cfg(test)]
mod redb_sync_fault_tests;
#[cfg(all(test, feature = "redis"))]
mod redis_durability_tests;
#[cfg(all(test, feature = "redis"))]
mod redis_failure_tests;
#[cfg(all(test, feature = "redis"))]
mod redis_server;
#[cfg(all(test, feature = "redis"))]
mod redis_shared_tests;
#[cfg(all(test, feature = "redis"))]
mod redis_tail_tests;
#[cfg(all(test, feature = "redis"))]
mod redis_tests;
#[cfg(test)]
mod tests;
