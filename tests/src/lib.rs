//! syncwire-tests: a deterministic simulation of the hub and many clients under
//! faults, in the spirit of FoundationDB's simulation testing, and cross-driver
//! end-to-end tests.
//!
//! The simulator drives the real proto state machines (no mocks of them) over a
//! virtual network with a virtual clock; every random choice comes from one seed,
//! so a seed replays exactly. See docs/TESTING.md for what a seed covers, how to
//! run and replay seeds, and how to add a scenario.
//!
//! * [`scenario`]: named parameter sets;
//! * [`sim`]: the world, network, fault plan and workload;
//! * [`check`]: the history recorder types and the invariant checkers;
//! * [`run`]: running seeds and printing replay commands;
//! * [`transcript`]: the per-seed event transcript.
//!
//! This crate also doc-tests the Rust examples of the top-level README.md, so the
//! README cannot drift from the API.

pub use syncwire_proto as proto;

pub mod check;
pub mod fault_rates;
pub mod path;
pub mod run;
pub mod scenario;
pub mod sim;
pub mod transcript;

/// The README's Rust code blocks, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
