//! The client in a component tree: [`provide_sync_client`] starts a [`SyncClient`]
//! and provides a [`SyncContext`] (the client and its connection and presence
//! signals), which [`use_sync_client`] finds. [`provide_persistent_sync_client`]
//! provides the context at once and opens the client ([`SyncClient::open`],
//! IndexedDB) on the page's event loop; what needs the client meanwhile waits for
//! it ([`SyncContext::when_open`]). One task per client follows the session's events
//! and feeds the signals.

use std::cell::RefCell;
use std::rc::Rc;

use futures_util::StreamExt;
use leptos::prelude::*;
use syncwire_wasm::proto::client::ClientState;
use syncwire_wasm::{ClientConfig, ClientEvent, DriverError, HubUrls, SyncClient};

use crate::connection::{Connection, Tracker, browser_online};
use crate::presence::{self, AllPresence};

/// Work waiting for a client that is still opening.
type Waiting = Vec<Box<dyn FnOnce(&SyncClient)>>;

/// The client provided to a component tree, with its signals. A cheap `Copy`
/// handle (the client itself lives in the reactive owner that provided it, and is
/// closed when that owner is disposed).
#[derive(Debug)]
pub struct SyncContext {
    /// `None` while [`provide_persistent_sync_client`]'s client opens.
    client: StoredValue<Option<SyncClient>, LocalStorage>,
    waiting: StoredValue<Waiting, LocalStorage>,
    open: ReadSignal<bool>,
    /// How many operations a document may queue while the client opens (the
    /// configuration's `outbox_max_deltas`).
    waiting_limit: usize,
    connection: ReadSignal<Connection>,
    presence: ReadSignal<AllPresence>,
    set_connection: WriteSignal<Connection>,
    set_presence: WriteSignal<AllPresence>,
    set_open: WriteSignal<bool>,
}

impl Clone for SyncContext {
    fn clone(&self) -> Self {
        *self
    }
}

impl Copy for SyncContext {}

impl SyncContext {
    /// A signal of the connection state and the last error.
    pub fn connection(&self) -> ReadSignal<Connection> {
        self.connection
    }

    /// Whether the client is there: at once for [`provide_sync_client`]; for
    /// [`provide_persistent_sync_client`] once the saved session is restored (until
    /// then documents show their empty state and local operations wait).
    pub fn is_open(&self) -> ReadSignal<bool> {
        self.open
    }

    /// Runs `f` on the client (`None` once the owner that provided it is gone, and
    /// while a persistent client is still opening).
    pub fn with_client<R>(&self, f: impl FnOnce(&SyncClient) -> R) -> Option<R> {
        self.client.try_with_value(|c| c.as_ref().map(f)).flatten()
    }

    /// Runs `f` on the client now if it is open, or as soon as it is (never if the
    /// owner that provided it is disposed first).
    pub fn when_open(&self, f: impl FnOnce(&SyncClient) + 'static) {
        let mut f = Some(f);
        let ran = self
            .client
            .try_with_value(|c| c.as_ref().map(|c| (f.take().expect("once"))(c)))
            .flatten()
            .is_some();
        if !ran && let Some(f) = f {
            self.waiting.try_update_value(|w| w.push(Box::new(f)));
        }
    }

    pub(crate) fn waiting_limit(&self) -> usize {
        self.waiting_limit
    }

    pub(crate) fn all_presence(&self) -> ReadSignal<AllPresence> {
        self.presence
    }
}

/// Connects to the hub at `url` (`ws://host:port/sync`) and provides the client to
/// the current component and its descendants (see [`use_sync_client`]). The
/// session is kept in memory only (see [`provide_persistent_sync_client`]) and
/// closed when the current reactive owner (the component) is disposed. Fails only
/// for an invalid URL or configuration; a hub that cannot be reached shows in
/// [`SyncContext::connection`] instead.
pub fn provide_sync_client(url: &str, config: ClientConfig) -> Result<SyncContext, DriverError> {
    let client = SyncClient::connect(url, config)?;
    let ctx = provide_pending(client.state(), 0);
    attach(ctx, client);
    Ok(ctx)
}

/// Like [`provide_sync_client`], with the session saved in IndexedDB (database
/// `syncwire:<storage_key>`) and restored from it before connecting
/// ([`SyncClient::open`]): every room's document and position and every unsent
/// change survive a reload, under a replica id of this tab's own (a reload
/// continues it; a duplicated tab or another window gets another one). `urls` is
/// one hub URL or several ([`HubUrls`], tried round-robin).
///
/// The context is provided at once and the client opens on the page's event loop
/// (a few milliseconds: the database, the tab's replica, its records). Meanwhile
/// [`use_sync_doc`](crate::use_sync_doc) signals hold the empty document and
/// [`SyncDoc::apply`](crate::SyncDoc::apply) queues operations (returning
/// [`Applied::Waiting`](crate::Applied::Waiting)), applied in order once the saved
/// session is restored; [`SyncContext::is_open`] tells when. If IndexedDB cannot be
/// opened (or `config.replica` is held by another tab), the error shows in
/// [`Connection::last_error`] and the client connects without persistence
/// ([`SyncClient::connect_to`]). A `localStorage` save of the older
/// `SyncClient::connect_persistent` under the same key is migrated once. Fails only
/// for an invalid URL; an invalid configuration shows in
/// [`Connection::last_error`] (and nothing connects).
pub fn provide_persistent_sync_client(
    urls: impl Into<HubUrls>,
    config: ClientConfig,
    storage_key: &str,
) -> Result<SyncContext, DriverError> {
    let urls: HubUrls = urls.into();
    for url in urls.as_slice() {
        if !(url.starts_with("ws://") || url.starts_with("wss://")) {
            return Err(DriverError::Config(format!("not a WebSocket URL: {url}")));
        }
    }
    let ctx = provide_pending(ClientState::Connecting, config.outbox_max_deltas);
    let key = storage_key.to_owned();
    // The client is attached in the providing owner, so its listeners end with it.
    let owner = Owner::current();
    wasm_bindgen_futures::spawn_local(async move {
        let client = match SyncClient::open(urls.clone(), config.clone(), &key).await {
            Ok(client) => client,
            Err(e) => {
                let error = format!("not saved in this browser: {e}");
                leptos::logging::error!("syncwire: {error}");
                ctx.set_connection
                    .try_update(|c| c.last_error = Some(error));
                match SyncClient::connect_to(urls, config) {
                    Ok(client) => client,
                    Err(e) => {
                        let error = Some(format!("cannot connect: {e}"));
                        ctx.set_connection.try_update(|c| c.last_error = error);
                        return;
                    }
                }
            }
        };
        match owner {
            Some(owner) => owner.with(|| attach(ctx, client)),
            None => attach(ctx, client),
        }
    });
    Ok(ctx)
}

/// The client provided above (by [`provide_sync_client`] or
/// [`provide_persistent_sync_client`]).
///
/// # Panics
/// When no client was provided to this component or an ancestor.
#[track_caller]
pub fn use_sync_client() -> SyncContext {
    expect_context::<SyncContext>()
}

/// Provides a context without a client yet, its connection shown as `state`;
/// documents may queue `waiting_limit` operations until the client is attached.
fn provide_pending(state: ClientState, waiting_limit: usize) -> SyncContext {
    let (connection, set_connection) = signal(Tracker::new(state).connection(browser_online()));
    let (presence, set_presence) = signal(AllPresence::default());
    let (open, set_open) = signal(false);
    let ctx = SyncContext {
        client: StoredValue::new_local(None),
        waiting: StoredValue::new_local(Vec::new()),
        open,
        waiting_limit,
        connection,
        presence,
        set_connection,
        set_presence,
        set_open,
    };
    provide_context(ctx);
    ctx
}

/// Puts `client` into `ctx`, runs what waited for it, and follows its events
/// (and the browser's online status) into the signals. Called in the owner that
/// provided `ctx` (whose disposal removes the listeners).
fn attach(ctx: SyncContext, client: SyncClient) {
    let mut events = client.events();
    let tracker = Rc::new(RefCell::new(Tracker::new(client.state())));
    let SyncContext {
        set_connection,
        set_presence,
        ..
    } = ctx;
    if ctx.client.try_set_value(Some(client)).is_some() {
        return; // the owner is gone: the client is dropped (closed) here
    }
    let waiting = ctx
        .waiting
        .try_update_value(std::mem::take)
        .unwrap_or_default();
    for f in waiting {
        ctx.when_open(f);
    }
    ctx.set_open.try_set(true);
    let error = ctx
        .connection
        .try_get_untracked()
        .and_then(|c| c.last_error);
    if let Some(error) = error {
        tracker.borrow_mut().error(error);
    }
    set_connection.try_set(tracker.borrow().connection(browser_online()));

    // The browser's online status is part of the state (the client itself reacts
    // to these events too).
    let listen = |name: &str| {
        let tracker = tracker.clone();
        window_event_listener_untyped(name, move |_| {
            set_connection.try_set(tracker.borrow().connection(browser_online()));
        })
    };
    let (online, offline) = (listen("online"), listen("offline"));
    if Owner::current().is_some() {
        on_cleanup(move || {
            online.remove();
            offline.remove();
        });
    }

    // Ends when the session closes (the client was dropped with its owner).
    wasm_bindgen_futures::spawn_local(async move {
        while let Some(event) = events.next().await {
            match &event {
                ClientEvent::StateChanged { from, to, reason } => {
                    tracker.borrow_mut().changed(*to, reason.as_ref());
                    if *from == ClientState::Connected {
                        // The hub announces the members again after a rejoin.
                        set_presence.try_update(|rooms| {
                            rooms.values_mut().for_each(|r| *r = Default::default())
                        });
                    }
                }
                ClientEvent::Error(e) => tracker.borrow_mut().error(e.to_string()),
                other => {
                    set_presence.try_maybe_update(|rooms| (presence::apply(rooms, other), ()));
                    continue;
                }
            }
            let now = tracker.borrow().connection(browser_online());
            if set_connection.try_set(now).is_some() {
                break; // the signal was disposed: nobody is listening
            }
        }
    });
}
