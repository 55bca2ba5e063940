//! # syncwire-tokio
//!
//! The tokio driver of syncwire: [`client::SyncClient`] (a self-healing session with
//! typed CRDT documents) and, in [`server`], the hub served over WebSocket with durable
//! storage, which the `syncwire` binary runs.

pub mod client;

pub use syncwire_proto as proto;
