//! Shim over `syncwire_proto::fuzzing::ydoc_update` (the body lives in the crate).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| syncwire_proto::fuzzing::ydoc_update(data));
