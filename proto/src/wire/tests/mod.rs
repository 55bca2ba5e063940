//! Codec tests: property tests, every rejection path, and the hex examples of docs/PROTOCOL.md.

mod arbitrary;
mod borrowed;
mod diag;
mod reader_parity;
mod rejections;
mod roundtrip;
mod spec_codes;
mod spec_examples;
