//! Frame decoding: never panics; decode → encode → decode is stable.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| syncwire_proto::fuzzing::decode_frame(data));
