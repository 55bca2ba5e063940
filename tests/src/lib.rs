//! syncwire-tests: deterministic simulation of hub and clients (in progress) and
//! cross-driver end-to-end tests.
//!
//! This crate also doc-tests the Rust examples of the top-level README.md, so the
//! README cannot drift from the API.

pub use syncwire_proto as proto;

/// The README's Rust code blocks, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

#[cfg(test)]
mod tests {
    #[test]
    fn links_the_protocol_core() {
        assert!(crate::proto::wire::SUPPORTED_VERSIONS.contains(&1));
    }
}
