//! Connections that do not reach their WebSocket upgrade are closed by the async-std
//! server: a client that connects and sends nothing, and one that trickles an
//! incomplete request, are each closed within the bound (the hub's
//! `handshake_timeout`, short here); an upgraded connection is not subject to it. At
//! the cap in number (`max_pending_upgrades`) a further connection waits in the
//! backlog, and is served once a slot frees. Shutdown closes a connection that has
//! not upgraded and waits for it, however long `handshake_timeout` is. Every wait is
//! bounded; nothing sleeps to synchronize (one test
//! lets time pass on purpose, to outlive the bound; one waits a bounded time for a
//! handshake that must not complete).
#![cfg(all(feature = "client", feature = "server"))]

mod common;

use std::pin::pin;
use std::time::{Duration, Instant};

use async_std::io::{ReadExt, WriteExt};
use async_std::net::TcpStream;
use async_tungstenite::WebSocketStream;
use async_tungstenite::tungstenite::Message;
use common::{AsyncStdServer, bounded};
use futures_channel::oneshot;
use futures_util::StreamExt;
use futures_util::future::{Either, select};
use syncwire_async_std::proto::wire::{Frame, Hello, ReplicaId};
use syncwire_async_std::server::{Server, ServerConfig, ServerError};

/// The bound configured here: from accept to upgrade.
const BOUND: Duration = Duration::from_millis(300);

/// Scheduling slack on a busy machine; well below [`WAIT`](common::WAIT), so that "never" and
/// "late" are told apart.
const SLACK: Duration = Duration::from_secs(4);

fn config() -> ServerConfig {
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.hub_mut().handshake_timeout = BOUND;
    config
}

async fn server() -> AsyncStdServer {
    AsyncStdServer::start_with(config()).await
}

/// Reads `tcp` until the server closes it, dropping whatever it sends first.
async fn closed_by_server(tcp: &mut TcpStream) {
    let mut buf = [0u8; 1024];
    // A read error (reset) is a close too.
    while let Ok(n @ 1..) = tcp.read(&mut buf).await {
        let _ = n;
    }
}

/// Waits (at most [`WAIT`](common::WAIT)) for the server to close `tcp`, reading and dropping
/// whatever it sends first; asserts that it did so within the bound of `since`.
async fn closed_within_the_bound(tcp: &mut TcpStream, since: Instant) {
    bounded(
        "the server closes a connection that does not upgrade",
        closed_by_server(tcp),
    )
    .await;
    let elapsed = since.elapsed();
    assert!(
        elapsed >= BOUND,
        "closed after {elapsed:?}, before the bound"
    );
    assert!(elapsed < BOUND + SLACK, "closed only after {elapsed:?}");
}

#[async_std::test]
async fn a_silent_connection_is_closed_within_the_bound() {
    let server = server().await;
    let since = Instant::now();
    let mut tcp = bounded("connect", TcpStream::connect(server.addr))
        .await
        .unwrap();
    closed_within_the_bound(&mut tcp, since).await;
    server.stop().await;
}

#[async_std::test]
async fn a_trickled_incomplete_request_is_closed_within_the_bound() {
    let server = server().await;
    let since = Instant::now();
    let mut tcp = bounded("connect", TcpStream::connect(server.addr))
        .await
        .unwrap();
    // The request line and one header; the blank line that ends the head never comes.
    let head = format!("GET /sync HTTP/1.1\r\nHost: {}\r\n", server.addr);
    tcp.write_all(head.as_bytes()).await.unwrap();
    closed_within_the_bound(&mut tcp, since).await;
    server.stop().await;
}

/// The next binary frame on `ws`, decoded.
async fn next_frame<S>(ws: &mut async_tungstenite::WebSocketStream<S>) -> Frame
where
    S: async_std::io::Read + async_std::io::Write + Unpin,
{
    match bounded("next frame", ws.next()).await {
        Some(Ok(Message::Binary(b))) => Frame::decode(&b).expect("a frame"),
        other => panic!("expected a frame, got {other:?}"),
    }
}

/// Sends `Hello` on `ws` and expects `Welcome`: the session is open.
async fn hello(ws: &mut WebSocketStream<TcpStream>, replica: u64) {
    let hello = Frame::Hello(Hello {
        versions: syncwire_proto::wire::SUPPORTED_VERSIONS.to_vec(),
        replica: ReplicaId(replica),
        token: None,
        user_info: None,
    });
    let send = ws.send(Message::Binary(hello.encode().into()));
    bounded("send hello", send).await.expect("send hello");
    assert!(matches!(next_frame(ws).await, Frame::Welcome(_)));
}

/// A WebSocket client's connection and handshake at `/sync` (within
/// [`WAIT`](common::WAIT) each).
async fn upgrade(addr: std::net::SocketAddr) -> WebSocketStream<TcpStream> {
    let tcp = bounded("connect", TcpStream::connect(addr)).await.unwrap();
    let connect = async_tungstenite::client_async(format!("ws://{addr}/sync"), tcp);
    bounded("upgrade", connect).await.expect("upgrade").0
}

#[async_std::test]
async fn an_upgraded_connection_outlives_the_bound() {
    let server = server().await;
    let mut ws = upgrade(server.addr).await;
    hello(&mut ws, 1).await;
    // Time passes on purpose: the bound is over for this connection, it upgraded.
    async_std::task::sleep(BOUND * 3).await;
    let ping = Frame::Ping { nonce: 7 }.encode();
    let send = ws.send(Message::Binary(ping.into()));
    bounded("send ping", send).await.expect("send ping");
    assert!(matches!(
        next_frame(&mut ws).await,
        Frame::Pong { nonce: 7 }
    ));
    server.stop().await;
}

/// The bound of the cap test: long enough that none of its connections is closed for
/// it while the test runs.
const LONG_BOUND: Duration = Duration::from_secs(30);

/// How long a handshake that the cap holds back is watched not completing: a
/// handshake nothing holds back takes milliseconds, and this is far below
/// [`LONG_BOUND`].
const NOT_YET: Duration = Duration::from_secs(2);

#[async_std::test]
async fn at_the_cap_a_connection_waits_in_the_backlog_until_a_slot_frees() {
    let mut config = config();
    config.hub_mut().handshake_timeout = LONG_BOUND;
    config.set_max_pending_upgrades(2);
    let server = AsyncStdServer::start_with(config).await;
    // Two silent connections take both slots: the server accepts connections in the
    // order they were made, so these before the client below.
    let connect = || bounded("connect", TcpStream::connect(server.addr));
    let first = connect().await.unwrap();
    let second = connect().await.unwrap();
    let tcp = connect().await.unwrap();
    let url = format!("ws://{}/sync", server.addr);
    let mut upgrade = pin!(async_tungstenite::client_async(url, tcp));
    let early = async_std::future::timeout(NOT_YET, upgrade.as_mut()).await;
    assert!(
        early.is_err(),
        "the WebSocket handshake completed while both slots were held"
    );
    // One silent connection ends: its slot frees and the waiting client is served,
    // the same handshake, neither refused nor lost.
    drop(first);
    let upgraded = bounded("the handshake completes once a slot is free", upgrade);
    let (mut ws, _) = upgraded.await.expect("upgrade");
    hello(&mut ws, 1).await;
    drop(second);
    server.stop().await;
}

/// The bound of the shutdown test, and its shutdown grace: far shorter, so that a
/// shutdown that did not wait for the connection would end long before the bound.
const SHUTDOWN_BOUND: Duration = Duration::from_secs(2);
const SHUTDOWN_GRACE: Duration = Duration::from_millis(100);

/// A server with `handshake_timeout` and [`SHUTDOWN_GRACE`] running until `stop` is
/// sent, and a connection to it that sent nothing yet has been accepted (a later
/// connection upgraded, and the server accepts in order).
async fn silent_connection(
    handshake_timeout: Duration,
) -> (
    TcpStream,
    oneshot::Sender<()>,
    async_std::task::JoinHandle<Result<(), ServerError>>,
) {
    let mut config = config();
    config.hub_mut().handshake_timeout = handshake_timeout;
    config.set_shutdown_grace(SHUTDOWN_GRACE);
    let server = Server::bind(config).await.expect("bind");
    let addr = server.local_addr();
    let (stop, stopped) = oneshot::channel::<()>();
    let run = async_std::task::spawn(server.run_until(async move {
        let _ = stopped.await;
    }));
    let silent = bounded("connect", TcpStream::connect(addr)).await.unwrap();
    drop(upgrade(addr).await);
    (silent, stop, run)
}

#[async_std::test]
async fn shutdown_waits_for_a_connection_that_has_not_upgraded() {
    let (mut silent, stop, mut run) = silent_connection(SHUTDOWN_BOUND).await;
    let _ = stop.send(());
    // The close is polled first: when the server has closed the connection before
    // `run_until` ended, the close is what is seen.
    let closed = pin!(closed_by_server(&mut silent));
    match bounded(
        "the close or the end of run_until",
        select(closed, &mut run),
    )
    .await
    {
        Either::Left(((), _)) => {}
        Either::Right((ended, _)) => {
            panic!("run_until ended ({ended:?}) before the connection not upgraded was closed")
        }
    }
    bounded("run_until ends", run).await.expect("run_until");
}

/// A `handshake_timeout` longer than any test: only shutdown can end a silent
/// connection before it.
const A_DAY: Duration = Duration::from_secs(24 * 3600);

#[async_std::test]
async fn shutdown_closes_a_silent_connection_however_long_the_handshake_timeout() {
    let (mut silent, stop, run) = silent_connection(A_DAY).await;
    let since = Instant::now();
    let _ = stop.send(());
    bounded("run_until ends after the stop signal", run)
        .await
        .expect("run_until");
    let elapsed = since.elapsed();
    assert!(elapsed < SLACK, "run_until ended only after {elapsed:?}");
    // The server closed it: end of stream, nothing sent before.
    let mut buf = [0u8; 64];
    let read = bounded("the silent client's read", silent.read(&mut buf)).await;
    assert_eq!(read.ok(), Some(0), "the silent client sees EOF");
}
