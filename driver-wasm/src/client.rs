//! [`SyncClient`]: the browser client for Rust front ends (Leptos, Yew, plain
//! wasm-bindgen), with the same shape as the native drivers' clients.

use std::rc::Rc;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use futures_util::StreamExt;
use syncwire_driver_core::{HubUrls, Session, SharedSession};
use syncwire_proto::client::{ClientMetrics, ClientState, RoomInfo};
use syncwire_proto::crdt::{DeltaCrdt, Registry};
use syncwire_proto::wire::{ReplicaId, RoomId};

use crate::clock::BrowserClock;
use crate::storage_events::{StorageError, StorageEvents};
use crate::store::{LocalStore, Store};
use crate::timer::Sleep;
use crate::token::TokenGetter;
use crate::{ClientConfig, Doc, DriverError, EventStream};

/// A connection to a syncwire hub that keeps itself alive: it reconnects with
/// backoff (at once when the browser comes back online or the page becomes
/// visible), resumes every room, and keeps local changes in an outbox until the
/// hub acknowledges them. With [`SyncClient::open`] (IndexedDB) or
/// [`SyncClient::connect_persistent`] (`localStorage`) the outbox, positions and
/// documents survive a page reload. Dropping it closes the session.
#[derive(Debug)]
pub struct SyncClient {
    shared: SharedSession,
    store: Option<Rc<Store>>,
    tokens: TokenGetter,
}

impl SyncClient {
    /// Starts a session with the hub at `url` (`ws://host:port/sync`). Returns at
    /// once; the connection is made by a task spawned on the page's event loop.
    pub fn connect(url: &str, config: ClientConfig) -> Result<SyncClient, DriverError> {
        SyncClient::connect_to(url, config)
    }

    /// Like [`connect`](Self::connect), with one or more hub URLs ([`HubUrls`]):
    /// the first attempt goes to the first URL, every new attempt after a failed
    /// or lost connection to the next one, round-robin.
    pub fn connect_to(
        urls: impl Into<HubUrls>,
        config: ClientConfig,
    ) -> Result<SyncClient, DriverError> {
        SyncClient::connect_urls(urls.into(), config)
    }

    /// [`connect_to`](Self::connect_to), once (not per URL argument type).
    fn connect_urls(urls: HubUrls, config: ClientConfig) -> Result<SyncClient, DriverError> {
        let urls = check_urls(urls)?;
        let (shared, wake) = Session::new(config, Arc::new(BrowserClock))?;
        Ok(SyncClient::start(urls, shared, wake, None))
    }

    /// Like [`connect`](Self::connect), but saves the session in `localStorage`
    /// (one entry, rewritten whole on every change: prefer [`open`](Self::open),
    /// which saves in IndexedDB incrementally and gives each tab its own replica)
    /// under `storage_key` after every change, and starts from what is saved there
    /// for the same replica: rooms joined before the reload are resumed, and their
    /// unacknowledged local changes are sent. Call [`join`](Self::join) for each
    /// room as usual; a restored room keeps its saved document. The replica id is
    /// saved with the state: with [`ClientConfig::default`] (no id) a page continues
    /// as the saved replica, or starts with a fresh random id when nothing is saved.
    /// Saved state that cannot be used (corrupt, another replica than a configured
    /// id) is discarded. Local operations waiting for a room to catch up
    /// ([`Applied::Waiting`](syncwire_driver_core::Applied::Waiting)) are not saved.
    ///
    /// Deprecated: [`open`](Self::open) saves in IndexedDB (a record per room and
    /// per unsent delta) with a replica of the tab's own, and migrates a save of
    /// this form once.
    #[deprecated(note = "use `SyncClient::open` (IndexedDB; it migrates this save once)")]
    pub fn connect_persistent(
        url: &str,
        config: ClientConfig,
        storage_key: &str,
    ) -> Result<SyncClient, DriverError> {
        let urls = check_urls(url.into())?;
        let store = LocalStore::new(storage_key.to_owned(), config.replica);
        let saved = store.load().ok().flatten();
        let clock = Arc::new(BrowserClock);
        let (shared, wake) = match saved {
            Some(saved) => Session::restore(config, clock, saved, &Registry::with_builtin())
                .map_err(|e| crate::open::unrestorable(storage_key, e))?,
            None => Session::new(config, clock)?,
        };
        // Saved at once, so a fresh id drawn now is the one the next load continues.
        store.save_if_changed(&Session::lock(&shared));
        let store = Rc::new(Store::Local(store));
        Ok(SyncClient::start(urls, shared, wake, Some(store)))
    }

    pub(crate) fn start(
        urls: HubUrls,
        shared: SharedSession,
        wake: syncwire_driver_core::WakeReceiver,
        store: Option<Rc<Store>>,
    ) -> SyncClient {
        Session::lock(&shared).connect();
        let tokens = TokenGetter::default();
        // The task runs from the next turn of the event loop: a getter set right
        // after `connect` is asked before the first attempt.
        wasm_bindgen_futures::spawn_local(crate::task::run(
            shared.clone(),
            wake,
            urls,
            store.clone(),
            tokens.clone(),
        ));
        SyncClient {
            shared,
            store,
            tokens,
        }
    }

    /// Sets the function asked for the token before each connection attempt (see
    /// `token`: a string or a promise of one; anything else keeps the current token,
    /// initially `ClientConfig::token`; a throw, a rejection or no answer within
    /// 10 s skips that attempt and backs off). Set right after `connect`, it is asked
    /// before the first attempt too.
    pub fn set_token_getter(&self, getter: Option<js_sys::Function>) {
        *self.tokens.borrow_mut() = getter;
    }

    /// Joins `room` as a document of type `C` (or attaches to it, if it was restored).
    pub fn join<C: DeltaCrdt>(&self, room: &str) -> Result<Doc<C>, DriverError> {
        let doc = Session::join::<C>(&self.shared, RoomId::new(room))?;
        self.save();
        Ok(doc)
    }

    /// Saves the session now (if persistent and changed). The I/O task saves after
    /// every change anyway; call this right after local operations that must
    /// survive an immediate reload.
    pub fn save(&self) {
        if let Some(store) = &self.store {
            store.save_if_changed(&Session::lock(&self.shared));
        }
    }

    /// Saves the browser refused (quota exceeded or storage disabled); with
    /// [`open`](Self::open), failed IndexedDB writes (each is retried).
    pub fn save_failures(&self) -> u64 {
        self.store.as_ref().map_or(0, |s| s.failures())
    }

    /// Events of saving in IndexedDB ([`open`](Self::open)): a write failed (with
    /// a typed [`StorageError`], quota included) and is retried, or writes work
    /// again. For a client without IndexedDB store the stream ends at once.
    pub fn storage_events(&self) -> StorageEvents {
        match self.store.as_deref() {
            Some(Store::Idb(s)) => s.subscribe(),
            _ => crate::storage_events::Subscribers::default().subscribe(),
        }
    }

    /// IndexedDB saving so far ([`open`](Self::open)): `(transactions committed,
    /// saves coalesced into a later write because one was pending)`, and whether
    /// everything saved is committed.
    pub fn storage_stats(&self) -> (u64, u64, bool) {
        match self.store.as_deref() {
            Some(Store::Idb(s)) => {
                let (writes, coalesced) = s.stats();
                (writes, coalesced, s.is_flushed())
            }
            _ => (0, 0, false),
        }
    }

    /// For tests: the next `count` IndexedDB writes fail with `error` (then are
    /// retried as real failures are).
    #[doc(hidden)]
    pub fn inject_storage_failures(&self, count: u32, error: StorageError) {
        if let Some(Store::Idb(s)) = self.store.as_deref() {
            s.inject_failures(count, error);
        }
    }

    /// Forgets the saved session (the page starts afresh after a reload).
    pub fn clear_saved(&self) {
        if let Some(store) = &self.store {
            store.clear();
        }
    }

    /// A stream of session events (state changes, deltas, acks, presence, errors).
    pub fn events(&self) -> EventStream {
        Session::lock(&self.shared).subscribe()
    }

    /// The lifecycle state.
    pub fn state(&self) -> ClientState {
        Session::lock(&self.shared).client().state()
    }

    /// The session's counters (frames, bytes, deltas, RTT, reconnects, errors).
    pub fn metrics(&self) -> ClientMetrics {
        Session::lock(&self.shared).client().metrics()
    }

    /// A room's membership status and log position, if joined.
    pub fn room(&self, room: &str) -> Option<RoomInfo> {
        Session::lock(&self.shared)
            .client()
            .room(&RoomId::new(room))
    }

    /// Local deltas not yet acknowledged by the hub.
    pub fn outbox_len(&self) -> usize {
        Session::lock(&self.shared).client().outbox_len()
    }

    /// The replica id this session speaks for (fresh and random unless the
    /// configuration chose one or the saved state had one).
    pub fn replica(&self) -> ReplicaId {
        Session::lock(&self.shared).client().replica()
    }

    /// Local changes not yet acknowledged: deltas in the outbox plus operations
    /// waiting for their room to catch up.
    pub fn unacknowledged(&self) -> usize {
        Session::lock(&self.shared).unacknowledged()
    }

    /// Reconnects at once if the session is waiting to retry.
    pub fn reconnect_now(&self) {
        let mut s = Session::lock(&self.shared);
        if s.client().state() == ClientState::Backoff {
            s.connect();
        }
    }

    /// Closes the session gracefully: waits up to `flush_timeout` for the hub to
    /// acknowledge the outbox (and to submit operations waiting for their room),
    /// then closes the connection. Returns the number of local changes left
    /// unacknowledged (the outbox's are still saved, if persistent).
    pub async fn close(self, flush_timeout: Duration) -> usize {
        let mut events = self.events();
        let mut timeout = Sleep::new(flush_timeout.as_secs_f64() * 1000.0);
        while self.unacknowledged() > 0 && !self.state().is_stopped() {
            // Every ack or state change is an event; wait for the next one.
            let timed_out = std::future::poll_fn(|cx| {
                if std::future::Future::poll(std::pin::Pin::new(&mut timeout), cx).is_ready() {
                    return Poll::Ready(true);
                }
                events.poll_next_unpin(cx).map(|e| e.is_none())
            })
            .await;
            if timed_out {
                break;
            }
        }
        self.unacknowledged()
    }
}

impl Drop for SyncClient {
    fn drop(&mut self) {
        self.save();
        Session::lock(&self.shared).close();
    }
}

pub(crate) fn check_urls(urls: HubUrls) -> Result<HubUrls, DriverError> {
    for url in urls.as_slice() {
        if !(url.starts_with("ws://") || url.starts_with("wss://")) {
            return Err(DriverError::Config(format!("not a WebSocket URL: {url}")));
        }
    }
    Ok(urls)
}
