//! Fuzz bodies (feature `fuzzing`). The cargo-fuzz targets in `fuzz/` are thin shims
//! over these functions, so a normal `cargo test --features fuzzing` build compiles
//! them and replays the committed seed corpus on stable.

mod decode;

pub use decode::decode_frame;
