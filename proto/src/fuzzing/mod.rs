//! Fuzz bodies (feature `fuzzing`). The cargo-fuzz targets in `fuzz/` are thin shims
//! over these functions, so a normal `cargo test --features fuzzing` build compiles
//! them and replays the committed seed corpus (`fuzz/seeds/<target>/`) on stable.
//!
//! Each body takes arbitrary bytes, interprets them as a program of operations
//! with a tiny byte reader, runs the real state machine and panics when an
//! invariant breaks (not only when the code under test panics).

mod cbor;
mod client;
mod client_check;
mod client_frames;
mod client_liveness;
mod crdt;
mod decode;
mod hub;
mod hub_check;
mod hub_confirm;
mod hub_frames;
mod hub_nodes;
mod reader;
mod ydoc;

pub use client::client_session;
pub use crdt::crdt_merge;
pub use decode::decode_frame;
pub use hub::hub_sessions;
pub use ydoc::ydoc_update;
