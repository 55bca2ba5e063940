//! # syncwire-async-std
//!
//! The async-std driver of syncwire, with the same public API shape as
//! `syncwire-tokio` (switching runtime changes imports, not code):
//!
//! * [`client::SyncClient`] — a self-healing session with typed CRDT documents.
//! * [`server::Server`] — the hub served over WebSocket at `/sync`, with memory or
//!   durable redb storage (`/health` and `/metrics` are tokio-only).
//!
//! Both are thin: the client's I/O loop is [`syncwire_driver_core::run_client`] and
//! the server half is [`syncwire_driver_core::server`], both shared with the tokio
//! driver; this crate only supplies async-std sockets, timers and tasks, with
//! async-tungstenite for the WebSocket protocol.
//!
//! # smol
//!
//! async-std is deprecated upstream in favour of smol. This driver works unchanged
//! from smol applications: async-std is built on the same foundations (`async-io`'s
//! reactor and timers, `async-global-executor`), so its sockets, timers and spawned
//! tasks run under `smol::block_on` too (the driver's background tasks run on
//! async-std's global executor threads). The test suite includes a client run
//! entirely under `smol::block_on`.
//!
//! Cargo features: `client` and `server`, both by default; a client-only build
//! (`default-features = false, features = ["client"]`) builds no redb and no server
//! half.
//!
//! Re-exports the protocol core so that applications depend on one crate.
#![forbid(unsafe_code)]

pub use syncwire_proto as proto;

#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "server")]
pub mod server;
