//! Connections that do not reach their WebSocket upgrade are closed by the async-std
//! server: a client that connects and sends nothing, and one that trickles an
//! incomplete request, are each closed within the bound (the hub's
//! `handshake_timeout`, short here); an upgraded connection is not subject to it.
//! Every wait is bounded; nothing sleeps to synchronize (one test lets time pass on
//! purpose, to outlive the bound).
#![cfg(all(feature = "client", feature = "server"))]

mod common;

use std::time::{Duration, Instant};

use async_std::io::{ReadExt, WriteExt};
use async_std::net::TcpStream;
use async_tungstenite::tungstenite::Message;
use common::{AsyncStdServer, bounded};
use futures_util::StreamExt;
use syncwire_async_std::proto::wire::{Frame, Hello, ReplicaId};
use syncwire_async_std::server::ServerConfig;

/// The bound configured here: from accept to upgrade.
const BOUND: Duration = Duration::from_millis(300);

/// Scheduling slack on a busy machine; well below [`WAIT`](common::WAIT), so that "never" and
/// "late" are told apart.
const SLACK: Duration = Duration::from_secs(4);

async fn server() -> AsyncStdServer {
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.hub_mut().handshake_timeout = BOUND;
    AsyncStdServer::start_with(config).await
}

/// Waits (at most [`WAIT`](common::WAIT)) for the server to close `tcp`, reading and dropping
/// whatever it sends first; asserts that it did so within the bound of `since`.
async fn closed_within_the_bound(tcp: &mut TcpStream, since: Instant) {
    let mut buf = [0u8; 1024];
    let closed = async {
        // A read error (reset) is a close too.
        while let Ok(n @ 1..) = tcp.read(&mut buf).await {
            let _ = n;
        }
    };
    bounded(
        "the server closes a connection that does not upgrade",
        closed,
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

#[async_std::test]
async fn an_upgraded_connection_outlives_the_bound() {
    let server = server().await;
    let tcp = bounded("connect", TcpStream::connect(server.addr))
        .await
        .unwrap();
    let url = format!("ws://{}/sync", server.addr);
    let connect = async_tungstenite::client_async(url, tcp);
    let (mut ws, _) = bounded("upgrade", connect).await.expect("upgrade");
    let hello = Frame::Hello(Hello {
        versions: syncwire_proto::wire::SUPPORTED_VERSIONS.to_vec(),
        replica: ReplicaId(1),
        token: None,
        user_info: None,
    });
    let send = ws.send(Message::Binary(hello.encode().into()));
    bounded("send hello", send).await.expect("send hello");
    assert!(matches!(next_frame(&mut ws).await, Frame::Welcome(_)));
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
