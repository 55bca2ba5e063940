//! # syncwire-proto
//!
//! The Sans-IO core of syncwire: everything about the protocol, nothing about I/O.
//!
//! * [`wire`]: frame types, CBOR encoding and bounded decoding (docs/PROTOCOL.md).
//! * [`crdt`]: delta-state CRDTs, the type registry and the replica-side document.
//! * [`client`]: the client session state machine.
//! * [`replica`]: the client session with its rooms' documents, the join gate and
//!   the one output queue every driver, the simulator and the fuzzers drive.
//! * [`hub`]: the hub state machine and its storage interface.
//! * [`time`]: the core's own monotonic time type. Seeded randomness lives in module
//!   `rng` (public only with the `test-hooks` feature, for the simulator).
//!
//! The crate performs no I/O, reads no clock and uses no global randomness: time is
//! an argument on every input, randomness comes from a generator seeded by config,
//! and the same seed with the same inputs yields byte-identical outputs. Drivers
//! (one per async runtime, and the browser) feed inputs and drain outputs; the
//! client side's output order is documented once, at [`replica::Output`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(not(test), warn(unreachable_pub))]

pub mod client;
pub mod crdt;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod hub;
pub mod replica;
#[cfg(feature = "test-hooks")]
pub mod rng;
#[cfg(not(feature = "test-hooks"))]
#[allow(unreachable_pub)] // public only with `test-hooks`
mod rng;
pub mod time;
pub mod wire;

pub use time::Instant;
