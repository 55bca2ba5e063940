//! # syncwire-tokio
//!
//! The tokio driver of syncwire: [`client::SyncClient`] (a self-healing session with
//! typed CRDT documents) and, in [`server`], the hub served over WebSocket and HTTP on
//! one port with durable storage, which the `syncwire` binary runs.
//!
//! Cargo features: `client` (the client), `server` (the server, and
//! [`server::router`] to mount it in an axum application), `cli` (the `syncwire`
//! binary); all three by default. A client-only build
//! (`default-features = false, features = ["client"]`) builds no axum, tower-http,
//! redb, clap or toml.
//!
//! Re-exports the protocol core so that applications depend on one crate.
#![forbid(unsafe_code)]

pub use syncwire_proto as proto;

#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "server")]
pub mod server;
