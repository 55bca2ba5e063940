//! Shim over `syncwire_proto::fuzzing::crdt_merge` (the body lives in the crate).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| syncwire_proto::fuzzing::crdt_merge(data));
