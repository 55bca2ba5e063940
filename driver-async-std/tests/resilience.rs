//! The async-std driver across failures on 127.0.0.1: reconnect after a server
//! restart and resume with no loss and no duplicates; bad input rejected
//! explicitly by the client (bad URLs) and the server (text messages, wrong paths,
//! undecodable frames). Every wait is bounded; nothing sleeps to synchronize.
#![cfg(all(feature = "client", feature = "server"))]

mod common;

use std::collections::BTreeSet;

use async_tungstenite::tungstenite::{Error as WsError, Message};
use common::{AsyncStdServer, WAIT, bounded, config, until, until_acked, url};
use futures_util::StreamExt;
use syncwire_async_std::client::{ClientEvent, DriverError, SyncClient};
use syncwire_async_std::proto::client::ClientState;
use syncwire_async_std::proto::crdt::{GCounter, GCounterOp};
use syncwire_async_std::proto::wire::CloseCode;
use syncwire_async_std::server::MemoryStore;

#[async_std::test]
async fn a_server_restart_resumes_without_loss_or_duplicates() {
    let store = MemoryStore::new();
    let server = AsyncStdServer::start("127.0.0.1:0".parse().unwrap(), store.clone()).await;
    let addr = server.addr;
    let a = SyncClient::connect(url(addr), config(41)).unwrap();
    let b = SyncClient::connect(url(addr), config(42)).unwrap();
    let mut a_events = a.events();
    let mut b_events = b.events();
    let ca = a.join::<GCounter>("c").unwrap();
    let cb = b.join::<GCounter>("c").unwrap();
    for _ in 0..5 {
        ca.apply(GCounterOp::Increment(1)).unwrap();
    }
    until(&cb, |c| c.value() == 5).await;
    until_acked(|| a.outbox_len(), a.events()).await;

    server.stop().await;
    // While the hub is down both replicas keep working offline.
    for _ in 0..3 {
        ca.apply(GCounterOp::Increment(10)).unwrap();
    }
    cb.apply(GCounterOp::Increment(100)).unwrap();
    assert!(a.outbox_len() > 0, "offline changes wait in the outbox");
    let server = AsyncStdServer::start(addr, store).await;

    until(&ca, |c| c.value() == 135).await;
    until(&cb, |c| c.value() == 135).await;
    until_acked(|| a.outbox_len(), a.events()).await;
    until_acked(|| b.outbox_len(), b.events()).await;

    // b received a's deltas exactly once, in log order, without a resync. (The
    // client's outbox merges queued deltas, so 8 operations may travel as fewer
    // deltas, numbered without gaps; the values above show no loss.)
    let mut seen = BTreeSet::new();
    let mut last_offset = None;
    while let Some(ev) = b_events.try_next() {
        assert!(!matches!(ev, ClientEvent::Resync { .. }), "resumed: {ev:?}");
        if let ClientEvent::Delta {
            replica,
            seq,
            offset,
            ..
        } = ev
        {
            assert!(
                seen.insert((replica, seq)),
                "duplicate delta {replica:?}/{seq}"
            );
            assert!(last_offset < Some(offset), "log order");
            last_offset = Some(offset);
        }
    }
    let seqs: Vec<u64> = seen.iter().map(|(_, seq)| *seq).collect();
    let max = seqs.last().copied().unwrap_or(0);
    assert!(
        (2..=8).contains(&max),
        "offline deltas merged at most: {seqs:?}"
    );
    assert_eq!(seqs, (1..=max).collect::<Vec<_>>(), "consecutive, no gap");
    let mut saw_backoff = false;
    while let Some(ev) = a_events.try_next() {
        assert!(!matches!(ev, ClientEvent::Resync { .. }), "resumed: {ev:?}");
        saw_backoff |= matches!(
            ev,
            ClientEvent::StateChanged {
                to: ClientState::Backoff,
                ..
            }
        );
    }
    assert!(
        saw_backoff,
        "the client went through backoff and reconnected"
    );
    assert!(a.metrics().reconnects >= 1);
    assert_eq!(a.close(WAIT).await, 0);
    assert_eq!(b.close(WAIT).await, 0);
    server.stop().await;
}

#[test]
fn the_client_refuses_urls_it_cannot_serve() {
    for bad in ["http://127.0.0.1:1/sync", "127.0.0.1:1"] {
        let err = SyncClient::connect(bad, config(1)).unwrap_err();
        assert!(matches!(err, DriverError::Config(_)), "{bad}: {err:?}");
    }
    // No TLS in this driver: refused at connect, by name, not by every attempt.
    let wss = "wss://127.0.0.1:1/sync";
    let err = SyncClient::connect(wss, config(1)).unwrap_err();
    assert!(
        matches!(&err, DriverError::TlsUnsupported { url } if url == wss),
        "{err:?}"
    );
}

/// Connects a raw WebSocket to `path` on `addr`.
async fn raw(
    addr: std::net::SocketAddr,
    path: &str,
) -> Result<async_tungstenite::WebSocketStream<async_std::net::TcpStream>, WsError> {
    let tcp = async_std::net::TcpStream::connect(addr).await.unwrap();
    let url = format!("ws://{addr}{path}");
    Ok(async_tungstenite::client_async(url, tcp).await?.0)
}

/// The close code the server ends `ws` with.
async fn close_code(
    ws: &mut async_tungstenite::WebSocketStream<async_std::net::TcpStream>,
) -> Option<u16> {
    bounded("server closes", async {
        while let Some(msg) = ws.next().await {
            if let Ok(Message::Close(frame)) = msg {
                return frame.map(|f| u16::from(f.code));
            }
        }
        None
    })
    .await
}

#[async_std::test]
async fn the_server_rejects_bad_input_explicitly() {
    let server = AsyncStdServer::start("127.0.0.1:0".parse().unwrap(), MemoryStore::new()).await;
    // Another path: the handshake is refused with 404.
    match raw(server.addr, "/other").await {
        Err(WsError::Http(resp)) => assert_eq!(resp.status(), 404),
        other => panic!("expected a 404, got {other:?}"),
    }
    // A text message is a protocol error: closed 1002.
    let mut ws = raw(server.addr, "/sync").await.unwrap();
    ws.send(Message::text("hello")).await.unwrap();
    assert_eq!(close_code(&mut ws).await, Some(CloseCode::PROTOCOL_ERROR.0));
    // Bytes that are not a frame: the hub closes the session with its protocol code.
    let mut ws = raw(server.addr, "/sync").await.unwrap();
    ws.send(Message::binary(vec![0xff, 0x00, 0x13]))
        .await
        .unwrap();
    let code = close_code(&mut ws).await.expect("a close code");
    assert!(
        CloseCode(code) != CloseCode::NORMAL && CloseCode(code) != CloseCode::GOING_AWAY,
        "undecodable input is an error close, got {code}"
    );
    // The server is unharmed: a real client still syncs.
    let a = SyncClient::connect(url(server.addr), config(51)).unwrap();
    let ca = a.join::<GCounter>("ok").unwrap();
    ca.apply(GCounterOp::Increment(1)).unwrap();
    assert_eq!(a.close(WAIT).await, 0);
    server.stop().await;
}

#[async_std::test]
async fn bind_refuses_settings_this_server_cannot_serve() {
    use syncwire_async_std::server::{Server, ServerConfig, ServerError};
    let addr = "127.0.0.1:0".parse().unwrap();
    // Static files are the tokio server's: refused, not silently ignored.
    let mut config = ServerConfig::new(addr);
    config.set_static_dir(Some(".".into()));
    assert!(matches!(
        Server::bind(config).await,
        Err(ServerError::Config(_))
    ));
    // The shared validation applies: a zero-capacity queue is refused.
    let mut config = ServerConfig::new(addr);
    config.set_outbound_capacity(0);
    assert!(matches!(
        Server::bind(config).await,
        Err(ServerError::Config(_))
    ));
}
