//! syncwire tokio driver: the hub server (WebSocket + HTTP on one port, durable
//! storage, the `syncwire` binary). The tokio client lives here too once written.
//!
//! Re-exports the protocol core so that applications depend on one crate.
#![forbid(unsafe_code)]

pub use syncwire_proto as proto;

pub mod server;

#[cfg(test)]
mod tests {
    #[test]
    fn links_the_protocol_core() {
        assert!(crate::proto::wire::SUPPORTED_VERSIONS.contains(&1));
    }
}
