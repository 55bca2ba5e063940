//! # syncwire-wasm
//!
//! The syncwire client in the browser (`wasm32-unknown-unknown`): the proto client
//! (through [`syncwire_driver_core`]) on a web-sys `WebSocket` (binary type
//! `arraybuffer`), browser timers and `wasm-bindgen-futures`, with
//! `performance.now()` as monotonic time and `Date.now()` as wall-clock time.
//!
//! * [`SyncClient`] — for Rust front ends; the same shape as the native clients
//!   (`connect`, `join::<C>`, `events`, `state`, `close`), plus
//!   [`SyncClient::open`], which keeps the outbox, each room's offset and document
//!   in IndexedDB (written incrementally) under a replica id of the tab's own, so a
//!   reload loses nothing and resumes, and a duplicated tab is a replica of its own
//!   ([`SyncClient::connect_persistent`], deprecated: the older single
//!   `localStorage` entry).
//!   Several hub URLs ([`HubUrls`]) are tried round-robin.
//! * [`js`] — a small JavaScript API (`SyncwireClient`, counters and maps) for
//!   plain pages, exported through wasm-bindgen.
//!
//! The client reconnects at once when the browser comes back online or the page
//! becomes visible, and does not try while the browser is offline.
//!
//! ```no_run
//! use syncwire_wasm::{ClientConfig, SyncClient};
//! use syncwire_wasm::proto::crdt::{PnCounter, PnCounterOp};
//!
//! # async fn demo() -> Result<(), syncwire_wasm::DriverError> {
//! // Saved in IndexedDB under a replica id of this tab's own, restored before connecting.
//! let client = SyncClient::open(
//!     "ws://127.0.0.1:8080/sync", ClientConfig::default(), "syncwire").await?;
//! let counter = client.join::<PnCounter>("counter")?;
//! counter.apply(PnCounterOp::Increment(1))?; // applied at once, queued and saved
//! # Ok(()) }
//! ```

mod browser;
mod cbor;
mod client;
mod clock;
mod idb;
mod idb_store;
pub mod js;
mod js_open;
mod js_synced;
mod js_types;
mod js_value;
#[cfg(feature = "ydoc")]
mod js_ydoc;
mod open;
pub mod persist;
mod record;
mod socket;
mod storage_events;
mod store;
mod tab;
mod task;
mod timer;
mod token;

pub use client::SyncClient;
pub use clock::BrowserClock;
pub use idb_store::WRITE_QUEUE;
pub use storage_events::{STORAGE_EVENT_QUEUE, StorageError, StorageEvent, StorageEvents};
pub use syncwire_driver_core::{Applied, Changes, Doc, DriverError, EventStream, HubUrls};
#[cfg(feature = "ydoc")]
pub use syncwire_driver_core::{TextChanges, YText, YUpdates};
pub use syncwire_proto as proto;
pub use syncwire_proto::client::{ClientConfig, ClientEvent};
pub use tab::RELOAD_GRACE_MS;
pub use token::GET_TOKEN_TIMEOUT_MS;
