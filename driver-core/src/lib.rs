//! # syncwire-driver-core
//!
//! The runtime-neutral half of every syncwire client driver (tokio, async-std,
//! browser). A driver owns a socket and a timer; everything else lives here, once:
//!
//! * [`Session`] — the proto [`Replica`](syncwire_proto::replica::Replica) (the
//!   client session, its rooms' documents and the join gate, written once in proto
//!   for drivers, simulator and fuzzers alike) with the clock, the wake-up signal,
//!   event subscribers and change watchers, behind one mutex shared by the
//!   application's handles and the driver's I/O task (the quinn pattern: handles
//!   mutate the state machine directly, then wake the driver to flush).
//! * [`Doc`] — a typed handle on one room's CRDT document: apply local operations,
//!   read the state, await changes.
//! * [`fresh_replica_id`] — a configuration without a replica id
//!   ([`ClientConfig::default`](syncwire_proto::client::ClientConfig::default)) gets a
//!   fresh random one per session, in `1..=2^53−1`; module `fresh`.
//! * The join gate ([`gate`], in proto): a session whose replica id is not fresh
//!   holds local operations on a room until the room caught up with the hub
//!   ([`Applied::Waiting`]), so they never merge into nothing.
//! * [`EventStream`] — application events, fanned out to bounded subscriber queues.
//! * [`Clock`] — how a driver supplies monotonic and wall-clock time.
//! * [`SavedSession`] — the durable state of a session ([`Session::export`] /
//!   [`Session::restore`]), for drivers that persist it (the browser driver).
//!
//! * [`run_client`] — the client's I/O loop, written once: [`Session::drain`] (the
//!   replica's one output queue: frames to send, transport commands, events fanned
//!   out to subscribers; then the next deadline), perform them, then wait for a
//!   socket message, a connect result, the deadline (checking `now >= deadline`
//!   itself), or [`Session`]'s wake signal. A runtime plugs in through the small
//!   [`ClientRuntime`] trait (connect, sleep, background close); the tokio and
//!   async-std drivers are such adapters.
//! * [`SyncClient`] — the native drivers' client handle over a [`ClientExecutor`]
//!   (spawn, URL rules); [`WsAdapter`] — a WebSocket library's socket as the shared
//!   loops see it, given a [`WsCodec`] ([`tungstenite_codec!`] writes tungstenite's).
//! * [`hub::HubCore`] — the runtime-neutral half of a hub server's hub task (drain
//!   the hub into bounded per-connection and storage queues, with their overflow
//!   outcomes), shared by the tokio and async-std servers.
//! * `server` (feature `server`, native targets) — the rest of the hub server, once:
//!   settings, hub task, connection loop, storage (memory and redb) behind the small
//!   `server::ServerRuntime` trait; the tokio and async-std servers are adapters.

mod client_loop;
mod clock;
mod doc;
mod drained;
mod error;
mod events;
mod fresh;
mod handle;
pub mod hub;
mod hub_urls;
mod restore;
mod runtime;
#[cfg(feature = "server")]
pub mod server;
mod session;
#[cfg(not(target_arch = "wasm32"))]
mod sync_client;
mod tokens;
mod ws;
#[cfg(feature = "ydoc")]
mod ydoc;

pub use client_loop::{flush_and_close, run_client};
pub use clock::Clock;
#[cfg(not(target_arch = "wasm32"))]
pub use clock::SystemClock;
pub use doc::{Changes, Doc};
pub use drained::Drained;
pub use error::DriverError;
pub use events::EventStream;
pub use fresh::{fresh_replica_id, random_seed, random_u64};
pub use handle::SessionHandle;
pub use hub_urls::HubUrls;
pub use runtime::{ClientRuntime, ClientSocket, Incoming};
pub use session::{Session, SharedSession, WakeReceiver};
#[cfg(not(target_arch = "wasm32"))]
pub use sync_client::{ClientExecutor, SyncClient};
pub use syncwire_proto as proto;
pub use syncwire_proto::replica::gate;
pub use syncwire_proto::replica::{Applied, ReplicaOrigin, SavedDoc, SavedSession};
pub use tokens::TokenSource;
pub use ws::{Outgoing, WsAdapter, WsCodec};
#[cfg(feature = "ydoc")]
pub use ydoc::{TextChanges, YText, YUpdates};
/// yrs, for the transactions of [`Doc<YDoc>::transact`](Doc) (feature `ydoc`).
#[cfg(feature = "ydoc")]
pub use yrs;
