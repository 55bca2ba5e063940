//! Tests of the CRDT module.
