//! TLS for `wss://` URLs: which roots the tokio client trusts ([`ClientTls`]) and how a
//! failed TLS handshake is told to the session (a [`TlsFailure`] in the
//! [`TransportClosed`] report, so the application sees it in its events).
//!
//! rustls (with the ring provider) does the TLS, through tokio-tungstenite's rustls
//! support; the platform's trust store is read with rustls-native-certs, once per
//! process. A refused certificate is not fatal to the session: it backs off and tries
//! again like after any failed attempt (a hub that gets a valid certificate is reached
//! without a restart), and every attempt's failure is reported: a
//! `ClientEvent::StateChanged` into `Backoff` whose reason names the [`TlsFailure`]
//! (`DisconnectReason::tls_failure`), and a `tracing` warning.

use std::sync::{Arc, OnceLock};

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls::{CertificateError, ClientConfig, RootCertStore};
use syncwire_driver_core::DriverError;
use syncwire_proto::client::{TlsFailure, TransportClosed};
use tokio_tungstenite::tungstenite;

/// Which certificates the client trusts for `wss://` URLs. The default is the
/// platform's trust store.
#[derive(Clone, Debug, Default)]
pub struct ClientTls(Roots);

#[derive(Clone, Debug, Default)]
enum Roots {
    #[default]
    Platform,
    Config(Arc<ClientConfig>),
}

impl ClientTls {
    /// Trusts the platform's root certificates (the default).
    pub fn platform_roots() -> Self {
        ClientTls(Roots::Platform)
    }

    /// Trusts only the certificates in `pem` (one or more PEM `CERTIFICATE` blocks:
    /// a private CA, or the hub's own self-signed certificate), not the platform's.
    pub fn from_root_pem(pem: &[u8]) -> Result<Self, DriverError> {
        let bad = |e: String| DriverError::Config(format!("root certificates: {e}"));
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(pem) {
            roots
                .add(cert.map_err(|e| bad(e.to_string()))?)
                .map_err(|e| bad(e.to_string()))?;
        }
        if roots.is_empty() {
            return Err(bad("no certificate in the PEM data".to_owned()));
        }
        let config = config_with_roots(roots).map_err(|e| bad(e.to_string()))?;
        Ok(ClientTls(Roots::Config(Arc::new(config))))
    }

    /// Uses a rustls configuration of the application's own (client certificates,
    /// another verifier, ALPN...).
    pub fn from_rustls(config: Arc<ClientConfig>) -> Self {
        ClientTls(Roots::Config(config))
    }

    /// The rustls configuration for a connect attempt: the application's, or the
    /// platform's roots (read once per process, off the async threads).
    pub(crate) async fn config(&self) -> Result<Arc<ClientConfig>, TransportClosed> {
        match &self.0 {
            Roots::Config(config) => Ok(config.clone()),
            Roots::Platform => {
                static PLATFORM: OnceLock<Result<Arc<ClientConfig>, String>> = OnceLock::new();
                let loaded = match PLATFORM.get() {
                    Some(loaded) => loaded.clone(),
                    None => tokio::task::spawn_blocking(|| PLATFORM.get_or_init(platform).clone())
                        .await
                        .unwrap_or_else(|e| Err(e.to_string())),
                };
                loaded.map_err(|e| TransportClosed::tls_failed(TlsFailure::NoRootCertificates, e))
            }
        }
    }
}

/// A client configuration with the ring provider and these roots.
fn config_with_roots(roots: RootCertStore) -> Result<ClientConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// The platform's trust store as a client configuration.
fn platform() -> Result<Arc<ClientConfig>, String> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        return Err(format!(
            "no usable root certificate in the platform's trust store ({} errors)",
            found.errors.len()
        ));
    }
    config_with_roots(roots)
        .map(Arc::new)
        .map_err(|e| e.to_string())
}

/// A failed connect attempt as the session is told of it: TLS failures with their
/// [`TlsFailure`] (and a warning in the log), anything else as a plain failure.
pub(crate) fn connect_failure(e: tungstenite::Error) -> TransportClosed {
    let kind = match &e {
        tungstenite::Error::Tls(tungstenite::error::TlsError::Rustls(r)) => Some(kind_of(r)),
        tungstenite::Error::Tls(_) => Some(TlsFailure::NotValidForName),
        tungstenite::Error::Io(io) => io
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            .map(kind_of),
        _ => None,
    };
    match kind {
        Some(kind) => {
            tracing::warn!(%kind, error = %e, "TLS connection to the hub failed");
            TransportClosed::tls_failed(kind, format!("{kind}: {e}"))
        }
        None => TransportClosed::failed(e.to_string()),
    }
}

/// The [`TlsFailure`] a rustls error stands for.
fn kind_of(e: &rustls::Error) -> TlsFailure {
    match e {
        rustls::Error::InvalidCertificate(cert) => match cert {
            CertificateError::UnknownIssuer => TlsFailure::UnknownIssuer,
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                TlsFailure::NotValidForName
            }
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => TlsFailure::Expired,
            _ => TlsFailure::BadCertificate,
        },
        _ => TlsFailure::Handshake,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rustls_errors_map_to_their_kind() {
        let cert = |c| rustls::Error::InvalidCertificate(c);
        assert_eq!(
            kind_of(&cert(CertificateError::UnknownIssuer)),
            TlsFailure::UnknownIssuer
        );
        assert_eq!(
            kind_of(&cert(CertificateError::NotValidForName)),
            TlsFailure::NotValidForName
        );
        assert_eq!(
            kind_of(&cert(CertificateError::Expired)),
            TlsFailure::Expired
        );
        assert_eq!(
            kind_of(&cert(CertificateError::Revoked)),
            TlsFailure::BadCertificate
        );
        let alert = rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure);
        assert_eq!(kind_of(&alert), TlsFailure::Handshake);
    }

    #[test]
    fn a_rustls_error_inside_an_io_error_is_a_tls_failure() {
        let inner = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, inner);
        let closed = connect_failure(tungstenite::Error::Io(io));
        assert_eq!(closed.tls, Some(TlsFailure::UnknownIssuer));
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(connect_failure(tungstenite::Error::Io(refused)).tls, None);
    }

    #[test]
    fn pem_without_a_certificate_is_refused() {
        assert!(matches!(
            ClientTls::from_root_pem(b"nothing"),
            Err(DriverError::Config(_))
        ));
    }
}
