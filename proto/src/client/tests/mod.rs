//! Tests of the client state machine.
