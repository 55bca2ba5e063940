//! # syncwire-wasm
//!
//! The syncwire client in the browser (`wasm32-unknown-unknown`): the proto client
//! (through [`syncwire_driver_core`]) on a web-sys `WebSocket` (binary type
//! `arraybuffer`), browser timers and `wasm-bindgen-futures`, with
//! `performance.now()` as monotonic time and `Date.now()` as wall-clock time.
//!
//! * [`SyncClient`] — for Rust front ends; the same shape as the native clients
//!   (`connect`, `join::<C>`, `events`, `state`, `close`), plus
//!   [`SyncClient::connect_persistent`], which keeps the outbox, each room's offset
//!   and document in `localStorage` so a reload loses nothing and resumes.
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
//! # fn demo() -> Result<(), syncwire_wasm::DriverError> {
//! // A fresh random replica id, saved with the state under the key.
//! let client = SyncClient::connect_persistent(
//!     "ws://127.0.0.1:8080/sync", ClientConfig::default(), "syncwire")?;
//! let counter = client.join::<PnCounter>("counter")?;
//! counter.apply(PnCounterOp::Increment(1))?; // applied at once, queued and saved
//! # Ok(()) }
//! ```

mod browser;
mod client;
mod clock;
pub mod js;
mod js_types;
mod js_value;
pub mod persist;
mod socket;
mod store;
mod task;
mod timer;
mod token;

pub use client::SyncClient;
pub use clock::BrowserClock;
pub use syncwire_driver_core::{Applied, Changes, Doc, DriverError, EventStream};
pub use syncwire_proto as proto;
pub use syncwire_proto::client::{ClientConfig, ClientEvent};
pub use token::GET_TOKEN_TIMEOUT_MS;
