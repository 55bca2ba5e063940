//! The client in a component tree: [`provide_sync_client`] starts a [`SyncClient`]
//! and provides a [`SyncContext`] (the client and its connection and presence
//! signals), which [`use_sync_client`] finds. One task per client follows the
//! session's events and feeds those signals.

use std::cell::RefCell;
use std::rc::Rc;

use futures_util::StreamExt;
use leptos::prelude::*;
use syncwire_wasm::proto::client::ClientState;
use syncwire_wasm::{ClientConfig, ClientEvent, DriverError, SyncClient};

use crate::connection::{Connection, Tracker, browser_online};
use crate::presence::{self, AllPresence};

/// The client provided to a component tree, with its signals. A cheap `Copy`
/// handle (the client itself lives in the reactive owner that provided it, and is
/// closed when that owner is disposed).
#[derive(Debug)]
pub struct SyncContext {
    client: StoredValue<SyncClient, LocalStorage>,
    connection: ReadSignal<Connection>,
    presence: ReadSignal<AllPresence>,
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

    /// Runs `f` on the client (`None` once the owner that provided it is gone).
    pub fn with_client<R>(&self, f: impl FnOnce(&SyncClient) -> R) -> Option<R> {
        self.client.try_with_value(f)
    }

    pub(crate) fn all_presence(&self) -> ReadSignal<AllPresence> {
        self.presence
    }
}

/// Connects to the hub at `url` (`ws://host:port/sync`) and provides the client to
/// the current component and its descendants (see [`use_sync_client`]). The
/// session is closed when the current reactive owner (the component) is disposed.
/// Fails only for an invalid URL or configuration; a hub that cannot be reached
/// shows in [`SyncContext::connection`] instead.
pub fn provide_sync_client(url: &str, config: ClientConfig) -> Result<SyncContext, DriverError> {
    Ok(provide(SyncClient::connect(url, config)?))
}

/// Like [`provide_sync_client`], with the session saved in the browser under
/// `storage_key` after every change and restored from it
/// ([`SyncClient::connect_persistent`]): a reload keeps unsent changes and the
/// documents, and continues as the same replica.
pub fn provide_persistent_sync_client(
    url: &str,
    config: ClientConfig,
    storage_key: &str,
) -> Result<SyncContext, DriverError> {
    Ok(provide(SyncClient::connect_persistent(
        url,
        config,
        storage_key,
    )?))
}

/// The client provided above (by [`provide_sync_client`]).
///
/// # Panics
/// When no client was provided to this component or an ancestor.
#[track_caller]
pub fn use_sync_client() -> SyncContext {
    expect_context::<SyncContext>()
}

fn provide(client: SyncClient) -> SyncContext {
    let mut events = client.events();
    let tracker = Rc::new(RefCell::new(Tracker::new(client.state())));
    let (connection, set_connection) = signal(tracker.borrow().connection(browser_online()));
    let (presence, set_presence) = signal(AllPresence::default());
    let ctx = SyncContext {
        client: StoredValue::new_local(client),
        connection,
        presence,
    };
    provide_context(ctx);

    // The browser's online status is part of the state (the client itself reacts
    // to these events too).
    let listen = |name: &str| {
        let tracker = tracker.clone();
        window_event_listener_untyped(name, move |_| {
            set_connection.try_set(tracker.borrow().connection(browser_online()));
        })
    };
    let (online, offline) = (listen("online"), listen("offline"));
    on_cleanup(move || {
        online.remove();
        offline.remove();
    });

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
    ctx
}
