//! TLS termination in [`ServerConfig`]: [`TlsFiles`], the certificate chain and key.

use std::path::PathBuf;

use super::ServerConfig;

/// PEM files of the certificate chain and private key a server terminates TLS with
/// ([`ServerConfig::set_tls`]). The files are read once, when the server binds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain, leaf first (what a CA hands out as `fullchain.pem`).
    pub cert_chain: PathBuf,
    /// The private key of the leaf certificate (PKCS#8, PKCS#1 or SEC1 PEM).
    pub private_key: PathBuf,
}

impl ServerConfig {
    /// TLS termination (default `None`: plain `ws://`, for development or behind a
    /// reverse proxy that terminates TLS; docs/DEPLOYMENT.md). Only the tokio server
    /// terminates TLS; the async-std server refuses a config with it.
    pub fn tls(&self) -> Option<&TlsFiles> {
        self.tls.as_ref()
    }

    /// Sets [`tls`](Self::tls).
    pub fn set_tls(&mut self, tls: Option<TlsFiles>) -> &mut Self {
        self.tls = tls;
        self
    }
}
