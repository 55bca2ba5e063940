//! [`SyncClient::open`]: a client whose session is saved in IndexedDB
//! ([`crate::idb_store`]) under a tab identity of its own ([`crate::tab`]). This
//! module owns the start-up order: open the database, migrate a `localStorage`
//! save of the same key (once), claim a replica, read its records, restore the
//! session — all before the first connection attempt, so nothing unsent is lost
//! across a reload.

use std::rc::Rc;
use std::sync::Arc;

use syncwire_driver_core::{HubUrls, Session};
use syncwire_proto::crdt::Registry;
use syncwire_proto::wire::ReplicaId;

use crate::client::check_urls;
use crate::clock::BrowserClock;
use crate::idb_store::IdbStore;
use crate::record::Image;
use crate::store::Store;
use crate::{ClientConfig, DriverError, SyncClient, idb, persist, tab};

fn storage_err(e: impl std::fmt::Display) -> DriverError {
    DriverError::Config(e.to_string())
}

/// The error of a save that cannot be restored; the save is left as it is. (The key
/// is not quoted with `{:?}`: `Debug` of a string pulls Unicode escape tables into
/// the package, 4 KiB gzipped.)
pub(crate) fn unrestorable(storage_key: &str, e: DriverError) -> DriverError {
    DriverError::Config(format!(
        "the session saved under the key {storage_key} cannot be restored ({e}); it is \
         kept: open it with a build that registers its CRDT types, or clear it"
    ))
}

impl SyncClient {
    /// Like [`connect_to`](Self::connect_to), with the session saved in
    /// IndexedDB (database `syncwire:<storage_key>`) and restored from it before
    /// the first connection attempt: rooms joined before a reload resume from
    /// their positions with their documents, and their unacknowledged deltas are
    /// sent. Each change is one small write (the changed room's record, the deltas
    /// added or acknowledged), retried on failure ([`storage_events`](Self::storage_events)).
    ///
    /// Each live tab gets a replica of its own ([`crate::tab`]): a reload continues
    /// the tab's replica, a duplicated tab or a new window takes over a replica no
    /// live tab holds (one a closed tab left, with whatever it left unsent) or a
    /// fresh one. With `config.replica` set, that replica is used, and it is an
    /// error if another tab holds it. A `localStorage` save of
    /// [`connect_persistent`](Self::connect_persistent) under the same key is
    /// moved into IndexedDB once (then removed). Fails if IndexedDB cannot be
    /// opened (the page may then fall back to [`connect_to`](Self::connect_to)), and
    /// if the saved session cannot be restored (a room of a CRDT type this build does
    /// not register, a document that does not decode): the save is then kept as it
    /// is, with its unacknowledged changes, for a build that can read it.
    pub async fn open(
        urls: impl Into<HubUrls>,
        config: ClientConfig,
        storage_key: &str,
    ) -> Result<SyncClient, DriverError> {
        let urls = check_urls(urls.into())?;
        let db = idb::open(storage_key).await.map_err(storage_err)?;
        migrate(&db, storage_key).await;
        let configured = config.replica.map(|r| r.0);
        let claimed = tab::claim(&db, storage_key, configured)
            .await
            .map_err(DriverError::Config)?;
        let clock = Arc::new(BrowserClock);
        let (shared, wake, image, lock) = match claimed {
            Some((id, lock)) => {
                let image = idb::load(&db, id).await.map_err(storage_err)?;
                let config = ClientConfig {
                    replica: Some(ReplicaId(id)),
                    ..config
                };
                let saved = image.clone().into_saved(ReplicaId(id));
                let registry = Registry::with_builtin();
                // A save this build cannot read (a type it does not register, say) is
                // kept, not replaced by an empty session: that would delete its
                // unacknowledged changes.
                let (shared, wake) = Session::restore(config, clock, saved, &registry)
                    .map_err(|e| unrestorable(storage_key, e))?;
                (shared, wake, image, lock)
            }
            None => {
                let (shared, wake) = Session::new(config, clock)?;
                let id = Session::lock(&shared).client().replica().0;
                let lock = tab::try_lock(storage_key, id)
                    .await
                    .ok_or_else(|| DriverError::Config("fresh replica id in use".into()))?;
                (shared, wake, Image::default(), lock)
            }
        };
        let replica = Session::lock(&shared).client().replica().0;
        tab::remember(storage_key, replica);
        let store = IdbStore::start(db, replica, image, lock);
        // Saved at once, so the replica is listed (and restored) from now on.
        store.save_if_changed(&Session::lock(&shared));
        Ok(SyncClient::start(
            urls,
            shared,
            wake,
            Some(Rc::new(Store::Idb(store))),
        ))
    }
}

/// Moves the `localStorage` save of `key` (written by `connect_persistent`) into
/// IndexedDB, then removes it. A save that cannot be read is removed too; one
/// that cannot be written stays for the next start.
async fn migrate(db: &idb::Db, key: &str) {
    let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) else {
        return;
    };
    let Some(text) = storage.get_item(key).ok().flatten() else {
        return;
    };
    if let Ok(saved) = persist::decode(None, &text) {
        let Some(replica) = saved.replica else { return };
        let ops = Image::default().diff(&Image::of(&saved));
        if idb::write(db, replica.0, &ops).await.is_err() {
            return;
        }
    }
    let _ = storage.remove_item(key);
}
