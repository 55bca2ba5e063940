//! syncwire browser driver on web-sys WebSocket (in progress).
//!
//! Re-exports the protocol core so that applications depend on one crate.

pub use syncwire_proto as proto;

#[cfg(test)]
mod tests {
    #[test]
    fn links_the_protocol_core() {
        assert!(crate::proto::wire::SUPPORTED_VERSIONS.contains(&1));
    }
}
