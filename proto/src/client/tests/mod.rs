//! Tests of the client state machine, written against [`harness`], which plays
//! the hub by hand.

mod caught_up;
mod config;
mod delivery;
mod faults;
mod frames;
mod harness;
mod heartbeat;
mod identity;
mod liveness;
mod outbox;
mod own_entries;
mod pacing;
mod prop_ops;
mod prop_run;
mod props;
mod rooms;
mod transitions;
