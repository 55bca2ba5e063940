//! # syncwire-leptos
//!
//! [Leptos](https://leptos.dev) (0.8) bindings for the syncwire browser client
//! ([`syncwire_wasm`]): a client provided to a component tree, documents as read
//! signals, the connection state and presence as signals.
//!
//! ```ignore
//! use leptos::prelude::*;
//! use syncwire_leptos::{provide_persistent_sync_client, use_sync_doc, use_connection, ClientConfig};
//! use syncwire_leptos::proto::crdt::{PnCounter, PnCounterOp};
//!
//! #[component]
//! fn App() -> impl IntoView {
//!     // One client for the tree below, saved in IndexedDB under "my-app" and
//!     // restored before connecting; closed when this component is dropped.
//!     provide_persistent_sync_client("ws://127.0.0.1:8080/sync", ClientConfig::default(), "my-app")
//!         .expect("a ws:// URL");
//!     let counter = use_sync_doc::<PnCounter>("counter").expect("joined");
//!     let connection = use_connection();
//!     view! {
//!         <p>{move || format!("{:?}", connection.get().state)}</p>
//!         <button on:click=move |_| { let _ = counter.apply(PnCounterOp::Increment(1)); }>
//!             {move || counter.doc().with(|c| c.value())}
//!         </button>
//!     }
//! }
//! ```
//!
//! * [`provide_sync_client`] / [`provide_persistent_sync_client`] start a
//!   [`SyncClient`] and put a [`SyncContext`] into the current Leptos context;
//!   [`use_sync_client`] finds it again. The persistent one saves the session in
//!   IndexedDB ([`SyncClient::open`]: every room's document and position and every
//!   unsent change, restored before connecting, under a replica id of the tab's
//!   own); it opens on the event loop, and until then documents hold their empty
//!   state and operations wait ([`SyncContext::is_open`]).
//! * [`use_sync_doc`] joins a room: a [`SyncDoc`] with a read signal of the document
//!   (updated on every local or remote change) and [`SyncDoc::apply`].
//! * [`use_connection`]: a signal of [`Connection`] — connecting, connected, offline
//!   or reconnecting, with the last error.
//! * [`use_presence`]: a signal of a room's other members ([`RoomPresence`]).
//!
//! ## Client-side rendering, SSR and hydration
//!
//! The crate is built for the browser (`wasm32-unknown-unknown`) with Leptos'
//! `csr` feature; on other targets it is empty, so it opens no socket on a server.
//! In an SSR application, call these functions from client-only code — the
//! `hydrate` entry point, or an `Effect` (which never runs on the server) — and
//! render placeholders on the server: the session starts when the page hydrates,
//! and the document signals fill in once the client has joined (at once from
//! saved state with [`provide_persistent_sync_client`], otherwise after the hub's
//! replay).
//!
//! Every signal is updated from tasks on the page's event loop
//! (`wasm_bindgen_futures::spawn_local`), so an update shows in the DOM on a later
//! tick, never inside [`SyncDoc::apply`]'s caller. The tasks end when the client or
//! the component that joined the room is dropped.

#[cfg(target_arch = "wasm32")]
mod connection;
#[cfg(target_arch = "wasm32")]
mod context;
#[cfg(target_arch = "wasm32")]
mod doc;
#[cfg(target_arch = "wasm32")]
mod presence;

#[cfg(target_arch = "wasm32")]
pub use connection::{Connection, ConnectionState, use_connection};
#[cfg(target_arch = "wasm32")]
pub use context::{
    SyncContext, provide_persistent_sync_client, provide_sync_client, use_sync_client,
};
#[cfg(target_arch = "wasm32")]
pub use doc::{SyncDoc, use_sync_doc};
#[cfg(target_arch = "wasm32")]
pub use presence::{Peer, RoomPresence, use_presence};
#[cfg(target_arch = "wasm32")]
pub use syncwire_wasm::{Applied, ClientConfig, DriverError, HubUrls, SyncClient, proto};
