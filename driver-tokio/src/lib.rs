//! # syncwire-tokio
//!
//! The tokio driver of syncwire: [`client::SyncClient`] (a self-healing session with
//! typed CRDT documents) and, in [`server`], the hub served over WebSocket and HTTP on
//! one port with durable storage, which the `syncwire` binary runs.
//!
//! Re-exports the protocol core so that applications depend on one crate.
#![forbid(unsafe_code)]

pub use syncwire_proto as proto;

pub mod client;
pub mod server;
