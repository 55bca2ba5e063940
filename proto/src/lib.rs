//! # syncwire-proto
//!
//! The Sans-IO core of syncwire: everything about the protocol, nothing about I/O.
//! The crate performs no I/O, reads no clock and uses no global randomness: time is
//! an argument on every input, randomness comes from a generator seeded by config,
//! and the same seed with the same inputs yields byte-identical outputs. Drivers
//! (one per async runtime, and the browser), the simulator and the fuzzers feed
//! inputs and drain outputs through the same two types.
//!
//! # The public API, in one place
//!
//! **A replica** (what a client driver runs): [`replica::Replica`].
//! * Construct: [`Replica::new`](replica::Replica::new) with a
//!   [`client::ClientConfig`], or [`Replica::restore`](replica::Replica::restore) from
//!   a [`replica::SavedSession`] (its counterpart: [`Replica::export`](replica::Replica::export)).
//! * Commands: `connect`, `join::<C>` / `join_tag`, `apply::<C>` / `apply_any`
//!   (a local operation: checked, queued for the hub and applied, or held behind
//!   the join gate: [`replica::Applied`]), `set_presence`, `leave`, `close`. A
//!   refused command returns a [`replica::ReplicaError`] and changes nothing.
//! * Inputs: `handle_transport_open`, `handle_frame`, `handle_transport_closed`,
//!   `handle_timeout`, each with `now`.
//! * The one way out: [`Replica::poll_output`](replica::Replica::poll_output) until
//!   `None` — [`replica::Output`]: frames, transport commands
//!   ([`client::TransportCommand`]), events ([`client::ClientEvent`], already applied
//!   to the documents) — then [`Replica::poll_timeout`](replica::Replica::poll_timeout).
//! * Read: `read::<C>`, `document`, `documents`, and [`client::Client`]'s getters
//!   (state, rooms, outbox, [`client::ClientMetrics`]) through `client()`.
//!
//! **A hub** (what a server runs): [`hub::Hub`].
//! * Construct: [`Hub::new`](hub::Hub::new) with a [`hub::HubConfig`] (defaults in
//!   [`hub::defaults`], the numbers docs/PROTOCOL.md §7 states), an
//!   [`hub::Authorizer`] and a [`crdt::DeltaMerger`] (usually a [`crdt::Registry`]).
//! * Inputs: `handle_session_opened`, `handle_frame`, `handle_flushed`,
//!   `handle_session_closed`, `handle_timeout`, `handle_auth`, `handle_storage`.
//! * The one way out: [`Hub::poll_output`](hub::Hub::poll_output) until `None` —
//!   [`hub::HubOutput`]: frames per session, closes, storage actions
//!   ([`hub::StorageAction`], answered with a [`hub::StorageCompletion`]; an
//!   in-memory backend: [`hub::MemoryStorage`]), authorization requests, operator
//!   events ([`hub::HubEvent`]) — then [`Hub::poll_timeout`](hub::Hub::poll_timeout).
//! * Read: [`hub::HubMetrics`] and a few per-room and per-session getters.
//!
//! **CRDT types** ([`crdt`]): the built-in [`crdt::GCounter`], [`crdt::PnCounter`],
//! [`crdt::LwwRegister`], [`crdt::MvRegister`], [`crdt::OrSet`], [`crdt::OrMap`] and
//! [`crdt::AnyCrdt`]; a type of one's own implements [`crdt::DeltaCrdt`] and is
//! registered in a [`crdt::Registry`] (docs/CRDTS.md).
//!
//! **The wire** ([`wire`]): [`wire::Frame`] with `encode` and bounded `decode` /
//! `decode_with_limit` ([`wire::DecodeError`]), the frame structs, ids, and the
//! reason and close codes (docs/PROTOCOL.md is normative).
//!
//! **Time**: [`Instant`], the core's monotonic time; wall-clock milliseconds
//! ([`time::WallClockMillis`]) only where an LWW register records them.
//!
//! With the `test-hooks` feature (the simulator, fuzzers and tests), also
//! `Hub::check_invariants`, `Client::check_invariants` and the seeded `rng` module;
//! with `fuzzing`, the fuzz bodies.
//!
//! # Modules
//!
//! * [`wire`]: frame types, CBOR encoding and bounded decoding.
//! * [`crdt`]: delta-state CRDTs, the type registry and the replica-side document.
//! * [`client`]: the client session state machine under the replica.
//! * [`replica`]: the client session with its rooms' documents and the join gate.
//! * [`hub`]: the hub state machine and its storage interface.
//! * [`time`]: the core's own monotonic time type.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(not(test), warn(unreachable_pub))]

mod cbor_head;
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
mod vecmap;
pub mod wire;

pub use time::Instant;
