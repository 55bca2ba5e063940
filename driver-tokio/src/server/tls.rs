//! TLS termination for the tokio server: the certificate chain and key of
//! [`ServerConfig::tls`](syncwire_driver_core::server::ServerConfig::tls) loaded into a
//! rustls acceptor (ring provider, TLS 1.2 and 1.3, ALPN `http/1.1`), and
//! [`TlsListener`], the listener axum serves on.
//!
//! Handshakes run in their own tasks, so a slow or silent client never holds up the
//! accept loop; each is bounded in time (the hub's handshake timeout) and in number
//! ([`MAX_HANDSHAKES`] at once; further connections wait in the kernel's backlog).
//! The accept task ends when the listener is dropped (graceful shutdown).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use syncwire_driver_core::server::{ServerError, TlsFiles};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// TLS handshakes in progress at most; more connections wait to be accepted.
pub const MAX_HANDSHAKES: usize = 1024;

/// Handshaken connections waiting for axum to take them.
const READY_QUEUE: usize = 64;

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

/// A TCP listener whose connections come out of a TLS handshake (axum's
/// [`Listener`](axum::serve::Listener)). Nagle is off on every connection.
#[derive(Debug)]
pub(super) struct TlsListener {
    local: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
}

impl TlsListener {
    /// Starts accepting on `tcp`; handshakes not done within `timeout` are dropped.
    pub(super) fn new(tcp: TcpListener, acceptor: TlsAcceptor, timeout: Duration) -> Self {
        let local = tcp
            .local_addr()
            .unwrap_or_else(|_| ([0, 0, 0, 0], 0).into());
        let (tx, ready) = mpsc::channel(READY_QUEUE);
        tokio::spawn(accept_loop(tcp, acceptor, timeout, tx));
        TlsListener { local, ready }
    }
}

async fn accept_loop(
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    timeout: Duration,
    tx: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    let slots = Arc::new(Semaphore::new(MAX_HANDSHAKES));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let (stream, peer) = tokio::select! {
            () = tx.closed() => return,
            accepted = tcp.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: let the system recover
                    // (axum's own listener does the same).
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let (acceptor, tx) = (acceptor.clone(), tx.clone());
        tokio::spawn(async move {
            match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => {
                    drop(slot);
                    let _ = tx.send((tls, peer)).await;
                }
                Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        });
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(accepted) => accepted,
            // The accept task holds a sender as long as the listener exists.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.local)
    }
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
