//! The storage settings of [`ServerConfig`]: the backend, the hub → storage queue and
//! the group commit.

use super::ServerConfig;
use crate::server::storage_choice::Storage;

impl ServerConfig {
    /// Storage backend (default [`Storage::Memory`]).
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// Sets [`storage`](Self::storage).
    pub fn set_storage(&mut self, storage: Storage) -> &mut Self {
        self.storage = storage;
        self
    }

    /// Capacity of the hub → storage queue, in actions; overflow fails the action.
    pub fn storage_capacity(&self) -> usize {
        self.storage_capacity
    }

    /// Sets [`storage_capacity`](Self::storage_capacity).
    pub fn set_storage_capacity(&mut self, storage_capacity: usize) -> &mut Self {
        self.storage_capacity = storage_capacity;
        self
    }

    /// Most actions the storage worker executes in one transaction (group commit).
    pub fn storage_batch(&self) -> usize {
        self.storage_batch
    }

    /// Sets [`storage_batch`](Self::storage_batch).
    pub fn set_storage_batch(&mut self, storage_batch: usize) -> &mut Self {
        self.storage_batch = storage_batch;
        self
    }
}
