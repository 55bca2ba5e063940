//! [`Storage`]: where a server's room logs live (memory, a shared in-process
//! [`MemoryStore`], redb, or Redis), as chosen in the settings.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use syncwire_proto::hub::MemoryStorage;

/// Room logs in process memory (proto's `MemoryStorage`) that outlive a server:
/// clones share the same logs, so a server restarted with a clone of the store
/// ([`Storage::Shared`]) resumes every room (within the process; nothing survives
/// the process). Two stores are equal when they share the same logs.
#[derive(Clone, Debug, Default)]
pub struct MemoryStore(pub(crate) Arc<Mutex<MemoryStorage>>);

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStore::default()
    }
}

impl PartialEq for MemoryStore {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for MemoryStore {}

/// Where the hub's room logs live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Storage {
    /// In process memory (proto's `MemoryStorage`): lost on exit. For tests and demos.
    Memory,
    /// In a [`MemoryStore`] the caller keeps, so a restarted server (in the same
    /// process) finds the rooms again. For tests and demos.
    Shared(MemoryStore),
    /// An embedded crash-safe redb database in this directory (created if missing).
    /// Every append is fsynced before the hub acks it.
    Redb {
        /// The data directory; the database file is `syncwire.redb` inside it.
        dir: PathBuf,
    },
    /// A Redis server (driver-core feature `redis`; see docs/DEPLOYMENT.md, "Redis"):
    /// every room's log, snapshot and sequence table under keys `{sw:<hex room>}:*`.
    /// Writes are acked once Redis replied, which means durable only with
    /// `appendonly yes` and `appendfsync always`: the server refuses to start
    /// otherwise, unless `allow_unsafe_durability`. The hub runs in shared-log mode
    /// (`HubConfig::shared_log`) with a tail feed following the rooms it loaded, so
    /// any number of servers may serve the same rooms on one Redis.
    Redis {
        /// `redis://[user:password@]host:port/db`.
        url: String,
        /// Replicas that must acknowledge every write (`WAIT`) before it is acked; 0: none.
        wait_replicas: u32,
        /// Start even if Redis does not fsync every write before replying (acked
        /// writes may then be lost in a crash).
        allow_unsafe_durability: bool,
    },
}
