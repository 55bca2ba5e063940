//! Tests of the client state machine, written against [`harness`], which plays
//! the hub by hand.

mod config;
mod harness;
mod heartbeat;
mod outbox;
mod rooms;
mod transitions;
