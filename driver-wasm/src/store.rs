//! [`Store`]: where a session is saved in the browser — IndexedDB
//! ([`IdbStore`], [`SyncClient::open`](crate::SyncClient::open)), or the single
//! `localStorage` entry of [`SyncClient::connect_persistent`](crate::SyncClient::connect_persistent)
//! ([`LocalStore`]).

use std::cell::Cell;

use syncwire_driver_core::{SavedSession, Session};
use syncwire_proto::wire::ReplicaId;

use crate::idb_store::IdbStore;
use crate::persist::{self, LoadError};

/// Where a client's session is saved.
#[derive(Debug)]
pub(crate) enum Store {
    /// One `localStorage` entry, rewritten whole on every change.
    Local(LocalStore),
    /// IndexedDB records, written incrementally.
    Idb(IdbStore),
}

impl Store {
    /// Saves (or queues) the session if it changed since the last save.
    pub(crate) fn save_if_changed(&self, session: &Session) {
        match self {
            Store::Local(s) => s.save_if_changed(session),
            Store::Idb(s) => s.save_if_changed(session),
        }
    }

    /// Writes the browser refused.
    pub(crate) fn failures(&self) -> u64 {
        match self {
            Store::Local(s) => s.failures.get(),
            Store::Idb(s) => s.failures(),
        }
    }

    /// Forgets the saved session.
    pub(crate) fn clear(&self) {
        match self {
            Store::Local(s) => s.clear(),
            Store::Idb(s) => s.clear(),
        }
    }
}

/// One `localStorage` entry holding a replica's session (the replica id is saved
/// with it, see [`crate::persist`]).
#[derive(Debug)]
pub(crate) struct LocalStore {
    key: String,
    /// The replica id the client was configured with, if any: entries of another
    /// replica are not loaded.
    expected: Option<ReplicaId>,
    /// Saves the browser refused (quota exceeded, storage disabled).
    pub(crate) failures: Cell<u64>,
    /// The session's change count at the last save.
    saved_at: Cell<Option<u64>>,
}

impl LocalStore {
    pub(crate) fn new(key: String, expected: Option<ReplicaId>) -> LocalStore {
        LocalStore {
            key,
            expected,
            failures: Cell::new(0),
            saved_at: Cell::new(None),
        }
    }

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok()?
    }

    /// The saved session, if any.
    pub(crate) fn load(&self) -> Result<Option<SavedSession>, LoadError> {
        let Some(text) = LocalStore::storage().and_then(|s| s.get_item(&self.key).ok().flatten())
        else {
            return Ok(None);
        };
        persist::decode(self.expected, &text).map(Some)
    }

    /// Saves `saved`; a refused write is counted, the previous entry kept, and
    /// `false` returned.
    pub(crate) fn save(&self, saved: &SavedSession) -> bool {
        let text = persist::encode(saved);
        let ok = LocalStore::storage().is_some_and(|s| s.set_item(&self.key, &text).is_ok());
        if !ok {
            self.failures.set(self.failures.get().saturating_add(1));
        }
        ok
    }

    /// Saves the session if it changed since the last save that succeeded: a refused
    /// write (quota exceeded, storage disabled) is tried again at the next call, which
    /// the I/O task makes at its next turn (at the latest, the next heartbeat).
    pub(crate) fn save_if_changed(&self, session: &Session) {
        let count = session.change_count();
        if self.saved_at.get() != Some(count) && self.save(&session.export()) {
            self.saved_at.set(Some(count));
        }
    }

    /// Removes the entry.
    pub(crate) fn clear(&self) {
        if let Some(s) = LocalStore::storage() {
            let _ = s.remove_item(&self.key);
        }
    }
}
