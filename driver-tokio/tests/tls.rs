//! TLS end to end on 127.0.0.1, with certificates generated here (rcgen): a tokio
//! client trusting the test CA syncs through a TLS-terminating server (in process and
//! the `syncwire` binary with `--tls-cert`/`--tls-key`); a client that cannot verify
//! the hub gets a typed TLS failure in its events at every attempt, never silence.
//! Every wait is bounded; nothing sleeps to synchronize.
#![cfg(all(feature = "client", feature = "cli"))]

mod common;

use std::path::{Path, PathBuf};

use common::WAIT;
use common::binary::Binary;
use common::sync::{fast_fresh_config, until, until_acked_within};
use futures_util::StreamExt;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use syncwire_tokio::client::{ClientEvent, ClientTls, SyncClient, TlsFailure, Tokio};
use syncwire_tokio::proto::client::ClientState;
use syncwire_tokio::proto::crdt::{GCounter, GCounterOp};
use syncwire_tokio::server::{Server, ServerConfig, ServerError, TlsFiles};

/// A test CA and a hub certificate it signed, as PEM files in a temporary directory.
struct Pki {
    dir: tempfile::TempDir,
    ca_pem: String,
}

impl Pki {
    /// A CA called `ca_name`, and a leaf certificate for `names` signed by it.
    fn new(ca_name: &str, names: &[&str]) -> Pki {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params
            .distinguished_name
            .push(DnType::CommonName, ca_name);
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let leaf_key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(names)
            .unwrap()
            .signed_by(&leaf_key, &ca)
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("chain.pem"), leaf.pem() + &ca.pem()).unwrap();
        std::fs::write(dir.path().join("key.pem"), leaf_key.serialize_pem()).unwrap();
        Pki {
            dir,
            ca_pem: ca.pem(),
        }
    }

    fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }

    fn files(&self) -> TlsFiles {
        TlsFiles {
            cert_chain: self.path("chain.pem"),
            private_key: self.path("key.pem"),
        }
    }

    /// The tokio runtime adapter trusting this CA only.
    fn client_tls(&self) -> Tokio {
        Tokio::with_tls(ClientTls::from_root_pem(self.ca_pem.as_bytes()).unwrap())
    }
}

/// A TLS server on 127.0.0.1 (memory storage) until the returned sender is dropped.
async fn tls_server(
    tls: Option<TlsFiles>,
) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.set_tls(tls);
    let server = Server::bind(config).await.expect("bind");
    let addr = server.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.run_until(async move {
        let _ = stopped.await;
    }));
    (addr, stop)
}

/// One delta from `a` reaches `b` in `room` through the hub at `url`, trusting `pki`'s CA.
async fn a_delta_travels(url: &str, room: &str, pki: &Pki) {
    let a = SyncClient::connect_with(url, fast_fresh_config(), pki.client_tls()).unwrap();
    let b = SyncClient::connect_with(url, fast_fresh_config(), pki.client_tls()).unwrap();
    let (ca, cb) = (
        a.join::<GCounter>(room).unwrap(),
        b.join::<GCounter>(room).unwrap(),
    );
    ca.apply(GCounterOp::Increment(5)).unwrap();
    until(&cb, |c| c.value() == 5).await;
    until_acked_within(&a, WAIT).await;
    assert_eq!(a.state(), ClientState::Connected);
    assert_eq!(a.close(WAIT).await, 0);
    assert_eq!(b.close(WAIT).await, 0);
}

#[tokio::test]
async fn a_client_trusting_the_ca_syncs_through_a_tls_server() {
    let pki = Pki::new("test CA", &["localhost", "127.0.0.1"]);
    let (addr, _stop) = tls_server(Some(pki.files())).await;
    a_delta_travels(&format!("wss://{addr}/sync"), "by-ip", &pki).await;
    // Host names are checked too: `localhost` is in the certificate.
    let url = format!("wss://localhost:{}/sync", addr.port());
    a_delta_travels(&url, "by-name", &pki).await;
}

/// Connects to `url` and returns the TLS failures of the first two attempts (each
/// reported on its own), then closes the client.
async fn tls_failures(url: &str, rt: Tokio) -> Vec<TlsFailure> {
    let client = SyncClient::connect_with(url, fast_fresh_config(), rt).unwrap();
    let mut events = client.events();
    let mut seen = Vec::new();
    let wait = async {
        while seen.len() < 2 {
            match events.next().await.expect("events until closed") {
                ClientEvent::StateChanged {
                    to: ClientState::Backoff,
                    reason: Some(r),
                    ..
                } => {
                    seen.push(r.tls_failure().unwrap_or_else(|| panic!("not TLS: {r:?}")));
                }
                ClientEvent::StateChanged {
                    to: ClientState::Connected,
                    ..
                } => {
                    panic!("connected although the certificate is not trusted")
                }
                _ => {}
            }
        }
    };
    tokio::time::timeout(WAIT, wait)
        .await
        .expect("failures are reported");
    client.close(WAIT).await;
    seen
}

#[tokio::test]
async fn an_untrusted_certificate_is_reported_at_every_attempt() {
    let pki = Pki::new("hub CA", &["127.0.0.1"]);
    let (addr, _stop) = tls_server(Some(pki.files())).await;
    // A CA of another name: the hub's chain leads to no root the client trusts.
    let other_ca = Pki::new("another CA", &["127.0.0.1"]);
    let url = format!("wss://{addr}/sync");
    let seen = tls_failures(&url, other_ca.client_tls()).await;
    assert_eq!(seen, [TlsFailure::UnknownIssuer; 2]);
}

#[tokio::test]
async fn the_platform_roots_do_not_trust_a_private_ca() {
    let pki = Pki::new("private CA", &["127.0.0.1"]);
    let (addr, _stop) = tls_server(Some(pki.files())).await;
    let seen = tls_failures(&format!("wss://{addr}/sync"), Tokio::default()).await;
    // A machine without a trust store says so instead.
    let expected = [TlsFailure::UnknownIssuer, TlsFailure::NoRootCertificates];
    assert!(seen.iter().all(|f| expected.contains(f)), "{seen:?}");
}

#[tokio::test]
async fn a_certificate_for_another_name_is_reported() {
    let pki = Pki::new("test CA", &["hub.example.invalid"]);
    let (addr, _stop) = tls_server(Some(pki.files())).await;
    let seen = tls_failures(&format!("wss://{addr}/sync"), pki.client_tls()).await;
    assert_eq!(seen, [TlsFailure::NotValidForName; 2]);
}

#[tokio::test]
async fn wss_to_a_plain_server_is_a_handshake_failure() {
    let pki = Pki::new("test CA", &["127.0.0.1"]);
    let (addr, _stop) = tls_server(None).await;
    let seen = tls_failures(&format!("wss://{addr}/sync"), pki.client_tls()).await;
    assert_eq!(seen, [TlsFailure::Handshake; 2]);
}

#[tokio::test]
async fn unusable_certificate_files_stop_bind_with_a_tls_error() {
    let pki = Pki::new("test CA", &["127.0.0.1"]);
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.set_tls(Some(TlsFiles {
        cert_chain: pki.path("chain.pem"),
        private_key: pki.path("chain.pem"), // a certificate where the key should be
    }));
    let err = Server::bind(config).await.unwrap_err();
    assert!(matches!(err, ServerError::Tls(_)), "{err:?}");
}

fn arg(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

#[tokio::test]
async fn the_binary_serves_tls_with_its_flags() {
    let pki = Pki::new("test CA", &["127.0.0.1"]);
    let data = tempfile::tempdir().unwrap();
    let (cert, key) = (pki.path("chain.pem"), pki.path("key.pem"));
    let extra = ["--memory", "--tls-cert", arg(&cert), "--tls-key", arg(&key)];
    let server = Binary::start(data.path(), &extra).await;
    a_delta_travels(&format!("wss://{}/sync", server.addr), "c", &pki).await;
}
