//! The server speaks the protocol over WebSocket: handshake, join, acked and broadcast
//! deltas, explicit rejection of bad input, and the HTTP routes beside it.
#![cfg(all(feature = "client", feature = "cli"))]

mod common;

use common::{Client, Running, delta, http_get};
use syncwire_tokio::proto::wire::{CloseCode, ErrorCode, Frame};
use syncwire_tokio::server::{ServerConfig, TokenAuthorizer};
use tokio_tungstenite::tungstenite::Message;

fn memory_config() -> ServerConfig {
    ServerConfig::new("127.0.0.1:0".parse().unwrap())
}

#[tokio::test]
async fn deltas_are_acked_and_broadcast_to_other_members() {
    let server = Running::start(memory_config()).await;
    let mut a = Client::connect(server.addr).await;
    let mut b = Client::connect(server.addr).await;
    a.hello(1, None).await;
    b.hello(2, None).await;
    let ja = a.join("doc", None).await;
    let jb = b.join("doc", None).await;
    assert_ne!(ja.epoch, 0);
    assert_eq!((ja.epoch, ja.head), (jb.epoch, jb.head));
    a.delta_acked("doc", 1, 1, b"+1").await;
    let got = b
        .expect(|f| match f {
            Frame::HubDelta(d) => Some(d.clone()),
            _ => None,
        })
        .await;
    assert_eq!((got.replica.0, got.seq, got.offset), (1, 1, ja.head));
    assert_eq!(&got.payload[..], b"+1");
    server.stop().await;
}

#[tokio::test]
async fn a_text_message_closes_with_protocol_error() {
    let server = Running::start(memory_config()).await;
    let mut c = Client::connect(server.addr).await;
    c.send_raw(Message::Text("hello".into())).await;
    assert_eq!(c.expect_close().await, Some(CloseCode::PROTOCOL_ERROR.0));
    server.stop().await;
}

#[tokio::test]
async fn a_malformed_frame_is_rejected_then_closed() {
    let server = Running::start(memory_config()).await;
    let mut c = Client::connect(server.addr).await;
    c.hello(3, None).await;
    c.send_raw(Message::Binary(vec![0xff, 0x00, 0x13].into()))
        .await;
    let code = c
        .expect(|f| match f {
            Frame::Reject(r) => Some(r.code),
            _ => None,
        })
        .await;
    assert_eq!(code, ErrorCode::MALFORMED);
    assert_eq!(c.expect_close().await, Some(CloseCode::MALFORMED.0));
    server.stop().await;
}

#[tokio::test]
async fn tokens_are_checked() {
    let mut config = memory_config();
    config.set_authorizer(std::sync::Arc::new(TokenAuthorizer::single("s3cret")));
    let server = Running::start(config).await;
    let mut bad = Client::connect(server.addr).await;
    bad.send(&Frame::Hello(syncwire_tokio::proto::wire::Hello {
        versions: syncwire_proto::wire::SUPPORTED_VERSIONS.to_vec(),
        replica: Default::default(),
        token: Some("wrong".to_owned()),
        user_info: None,
    }))
    .await;
    let code = bad
        .expect(|f| match f {
            Frame::Reject(r) => Some(r.code),
            _ => None,
        })
        .await;
    assert_eq!(code, ErrorCode::UNAUTHORIZED);
    assert_eq!(bad.expect_close().await, Some(CloseCode::UNAUTHORIZED.0));
    let mut good = Client::connect(server.addr).await;
    good.hello(4, Some("s3cret")).await;
    server.stop().await;
}

#[tokio::test]
async fn health_and_metrics_report_the_hub() {
    let server = Running::start(memory_config()).await;
    let (status, body) = http_get(server.addr, "/health").await;
    assert_eq!((status, body.as_str()), (200, "ok\n"));
    let mut c = Client::connect(server.addr).await;
    c.hello(5, None).await;
    c.join("m", None).await;
    c.delta_acked("m", 5, 1, b"x").await;
    // A delta for a room not joined is rejected and counted by reason.
    c.send(&delta("other", 5, 1, b"y")).await;
    c.expect(|f| matches!(f, Frame::Reject(_)).then_some(()))
        .await;
    let (status, text) = http_get(server.addr, "/metrics").await;
    assert_eq!(status, 200);
    assert!(text.contains("syncwire_sessions 1\n"), "{text}");
    assert!(text.contains("syncwire_rooms 1\n"), "{text}");
    assert!(text.contains("syncwire_deltas_in_total 1\n"), "{text}");
    assert!(
        text.contains("syncwire_rejections_total{reason=\"unknown_room\"} 1\n"),
        "{text}"
    );
    assert!(
        text.contains("syncwire_storage_batch_seconds_count"),
        "{text}"
    );
    assert!(text.contains("syncwire_bytes_in_total"), "{text}");
    server.stop().await;
}

#[tokio::test]
async fn static_files_are_served_when_configured() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "<h1>demo</h1>").unwrap();
    let mut config = memory_config();
    config.set_static_dir(Some(dir.path().to_owned()));
    let server = Running::start(config).await;
    let (status, body) = http_get(server.addr, "/").await;
    assert_eq!((status, body.as_str()), (200, "<h1>demo</h1>"));
    let (status, _) = http_get(server.addr, "/missing.js").await;
    assert_eq!(status, 404);
    server.stop().await;
}

#[tokio::test]
async fn shutdown_closes_sessions_with_going_away() {
    let server = Running::start(memory_config()).await;
    let mut c = Client::connect(server.addr).await;
    c.hello(6, None).await;
    c.join("bye", None).await;
    let stopping = tokio::spawn(server.stop());
    assert_eq!(c.expect_close().await, Some(CloseCode::GOING_AWAY.0));
    stopping.await.unwrap();
}
