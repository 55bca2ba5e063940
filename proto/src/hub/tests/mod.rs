//! Hub tests: a small harness that plays sessions by hand, one file per behaviour,
//! and property tests over arbitrary multi-session input sequences.

mod harness;
mod model;
mod nodes;

mod acks;
mod authority;
mod big_joined;
mod compaction;
mod deltas;
mod fold_failures;
mod handshake;
mod identity;
mod invariants;
mod live_batches;
mod peers;
mod presence;
mod properties;
mod protection;
mod remote_peers;
mod resume;
mod rooms;
mod seq_rule;
mod shared_log;
mod slow_consumer;
mod spec_behaviour;
mod spec_defaults;
mod storage;
mod transmit_batches;
