//! Tests of the client state machine, written against [`harness`], which plays
//! the hub by hand.

mod config;
mod delivery;
mod faults;
mod harness;
mod heartbeat;
mod outbox;
mod prop_ops;
mod prop_run;
mod props;
mod rooms;
mod transitions;
