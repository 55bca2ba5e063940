//! TLS termination for the tokio server: the certificate chain and key of
//! [`ServerConfig::tls`](syncwire_driver_core::server::ServerConfig::tls) loaded into a
//! rustls acceptor (ring provider, TLS 1.2 and 1.3, ALPN `http/1.1`). The handshakes
//! themselves run in each connection's task, within the bounds of the pre-upgrade
//! phase ([`accept`](super::accept)).

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use syncwire_driver_core::server::{ServerError, TlsFiles};
use tokio_rustls::TlsAcceptor;

/// Reads the PEM files and builds the acceptor; every problem is a
/// [`ServerError::Tls`] naming the file.
pub(super) fn acceptor(files: &TlsFiles) -> Result<TlsAcceptor, ServerError> {
    let cert_path = files.cert_chain.display();
    let key_path = files.private_key.display();
    let certs = CertificateDer::pem_file_iter(&files.cert_chain)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| ServerError::Tls(format!("certificate chain {cert_path}: {e}")))?;
    if certs.is_empty() {
        let why = format!("certificate chain {cert_path}: no CERTIFICATE block");
        return Err(ServerError::Tls(why));
    }
    let key = PrivateKeyDer::from_pem_file(&files.private_key)
        .map_err(|e| ServerError::Tls(format!("private key {key_path}: {e}")))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
        .map_err(|e| ServerError::Tls(format!("{cert_path} with {key_path}: {e}")))?;
    // The WebSocket upgrade is an HTTP/1.1 request; this server speaks no HTTP/2.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_or_empty_files_are_tls_errors() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        for (cert, key) in [
            (dir.path().join("absent.pem"), empty.clone()),
            (empty.clone(), empty),
        ] {
            let files = TlsFiles {
                cert_chain: cert,
                private_key: key,
            };
            assert!(matches!(acceptor(&files), Err(ServerError::Tls(_))));
        }
    }
}
