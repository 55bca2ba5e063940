//! Connections that do not reach their WebSocket upgrade are closed: a client that
//! connects and sends nothing, one that trickles an incomplete request, and one that
//! finishes the TLS handshake and then falls silent are each closed by the server
//! within the bound (the hub's `handshake_timeout`, short here), plain and TLS; an
//! upgraded connection is not subject to it. At the cap in number
//! (`max_pending_upgrades`) a further connection waits in the backlog, and is served
//! once a slot frees. Every wait is bounded; nothing sleeps to synchronize (one test
//! lets time pass on purpose, to outlive the bound; one waits a bounded time for a
//! handshake that must not complete).
#![cfg(all(feature = "client", feature = "cli"))]

mod common;

use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Client, Running, WAIT};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use syncwire_tokio::proto::wire::Frame;
use syncwire_tokio::server::{ServerConfig, TlsFiles};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The bound configured here: from accept to upgrade.
const BOUND: Duration = Duration::from_millis(300);

/// Scheduling slack on a busy machine; well below [`WAIT`], so that "never" and
/// "late" are told apart.
const SLACK: Duration = Duration::from_secs(4);

fn config() -> ServerConfig {
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.hub_mut().handshake_timeout = BOUND;
    config
}

/// Waits (at most [`WAIT`]) for the server to close `io`, reading and dropping
/// whatever it sends first; panics if it stays open. Returns the time from `since`.
async fn closed_by_server(io: &mut (impl AsyncRead + Unpin), since: Instant) -> Duration {
    let mut buf = [0u8; 1024];
    let closed = async {
        // A read error (reset) is a close too.
        while let Ok(n @ 1..) = io.read(&mut buf).await {
            let _ = n;
        }
    };
    tokio::time::timeout(WAIT, closed)
        .await
        .expect("the server closes a connection that does not upgrade");
    since.elapsed()
}

fn assert_within_bound(elapsed: Duration) {
    assert!(
        elapsed >= BOUND,
        "closed after {elapsed:?}, before the bound"
    );
    assert!(elapsed < BOUND + SLACK, "closed only after {elapsed:?}");
}

#[tokio::test]
async fn a_silent_connection_is_closed_within_the_bound() {
    let server = Running::start(config()).await;
    let since = Instant::now();
    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    assert_within_bound(closed_by_server(&mut tcp, since).await);
    server.stop().await;
}

#[tokio::test]
async fn a_trickled_incomplete_request_is_closed_within_the_bound() {
    let server = Running::start(config()).await;
    let since = Instant::now();
    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    // The request line and one header; the blank line that ends the head never comes.
    let head = format!("GET /sync HTTP/1.1\r\nHost: {}\r\n", server.addr);
    tcp.write_all(head.as_bytes()).await.unwrap();
    assert_within_bound(closed_by_server(&mut tcp, since).await);
    // A shutdown is not held up by it either.
    server.stop().await;
}

#[tokio::test]
async fn an_upgraded_connection_outlives_the_bound() {
    let server = Running::start(config()).await;
    let mut c = Client::connect(server.addr).await;
    c.hello(1, None).await;
    // Time passes on purpose: the bound is over for this connection, it upgraded.
    tokio::time::sleep(BOUND * 3).await;
    c.send(&Frame::Ping { nonce: 7 }).await;
    let pong = c.expect(|f| match f {
        Frame::Pong { nonce } => Some(*nonce),
        _ => None,
    });
    assert_eq!(pong.await, 7);
    server.stop().await;
}

/// The bound of the cap test: long enough that none of its connections is closed for
/// it while the test runs.
const LONG_BOUND: Duration = Duration::from_secs(30);

/// How long a handshake that the cap holds back is watched not completing: a
/// handshake nothing holds back takes milliseconds, and this is far below
/// [`LONG_BOUND`].
const NOT_YET: Duration = Duration::from_secs(2);

#[tokio::test]
async fn at_the_cap_a_connection_waits_in_the_backlog_until_a_slot_frees() {
    let mut config = config();
    config.hub_mut().handshake_timeout = LONG_BOUND;
    config.set_max_pending_upgrades(2);
    let server = Running::start(config).await;
    // Two silent connections take both slots: the server accepts connections in the
    // order they were made, so these before the client below.
    let first = TcpStream::connect(server.addr).await.unwrap();
    let _second = TcpStream::connect(server.addr).await.unwrap();
    let url = format!("ws://{}/sync", server.addr);
    let mut upgrade = pin!(tokio_tungstenite::connect_async(url));
    let early = tokio::time::timeout(NOT_YET, upgrade.as_mut()).await;
    assert!(
        early.is_err(),
        "the WebSocket handshake completed while both slots were held"
    );
    // One silent connection ends: its slot frees and the waiting client is served,
    // the same handshake, neither refused nor lost.
    drop(first);
    let (ws, _) = tokio::time::timeout(WAIT, upgrade)
        .await
        .expect("the handshake completes once a slot is free")
        .expect("upgrade");
    let mut c = Client::from_stream(ws);
    c.hello(1, None).await;
    // The other silent connection is still open: shutdown tells it to finish.
    server.stop().await;
}

/// A test CA and a certificate for `localhost` it signed, as PEM files; and a rustls
/// client config trusting the CA.
struct Pki {
    dir: tempfile::TempDir,
    client: Arc<rustls::ClientConfig>,
}

impl Pki {
    fn new() -> Pki {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "test CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let leaf_key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(vec!["localhost".to_owned()])
            .unwrap()
            .signed_by(&leaf_key, &ca)
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("chain.pem"), leaf.pem() + &ca.pem()).unwrap();
        std::fs::write(dir.path().join("key.pem"), leaf_key.serialize_pem()).unwrap();
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca.der().clone()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let client = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        Pki {
            dir,
            client: Arc::new(client),
        }
    }

    fn files(&self) -> TlsFiles {
        TlsFiles {
            cert_chain: self.dir.path().join("chain.pem"),
            private_key: self.dir.path().join("key.pem"),
        }
    }
}

async fn tls_server(pki: &Pki) -> Running {
    let mut config = config();
    config.set_tls(Some(pki.files()));
    Running::start(config).await
}

/// Connects to `addr` and completes the TLS handshake (within [`WAIT`]).
async fn tls_connect(pki: &Pki, addr: SocketAddr) -> tokio_rustls::client::TlsStream<TcpStream> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let connector = tokio_rustls::TlsConnector::from(pki.client.clone());
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    tokio::time::timeout(WAIT, connector.connect(name, tcp))
        .await
        .expect("TLS handshake in time")
        .expect("TLS handshake")
}

#[tokio::test]
async fn a_connection_silent_after_the_tls_handshake_is_closed_within_the_bound() {
    let pki = Pki::new();
    let server = tls_server(&pki).await;
    let since = Instant::now();
    let mut tls = tls_connect(&pki, server.addr).await;
    assert_within_bound(closed_by_server(&mut tls, since).await);
    server.stop().await;
}

#[tokio::test]
async fn a_connection_silent_before_the_tls_handshake_is_closed_within_the_bound() {
    let pki = Pki::new();
    let server = tls_server(&pki).await;
    let since = Instant::now();
    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    assert_within_bound(closed_by_server(&mut tcp, since).await);
    server.stop().await;
}
