//! Tests of the client state machine, written against [`harness`], which plays
//! the hub by hand.

mod harness;
mod transitions;
mod outbox;
mod rooms;
mod config;
mod heartbeat;
