//! Replica identity and authority over 127.0.0.1: a token file's replica
//! restriction, one live session per replica id, read-only tokens cannot create
//! rooms, the default server refuses unknown CRDT types, and `user_info` is bounded.
#![cfg(all(feature = "client", feature = "cli"))]

mod common;

use std::sync::Arc;

use bytes::Bytes;
use common::{Client, OPAQUE_CRDT, Running};
use syncwire_tokio::proto::wire::{CloseCode, ErrorCode, Frame, Hello, Join, ReplicaId, RoomId};
use syncwire_tokio::server::{ServerConfig, TokenAuthorizer};

fn config() -> ServerConfig {
    ServerConfig::new("127.0.0.1:0".parse().unwrap())
}

fn hello(replica: u64, token: Option<&str>, user_info: Option<Bytes>) -> Frame {
    Frame::Hello(Hello {
        versions: syncwire_proto::wire::SUPPORTED_VERSIONS.to_vec(),
        replica: ReplicaId(replica),
        token: token.map(str::to_owned),
        user_info,
    })
}

/// The next `Reject`: (code, room).
async fn rejected(c: &mut Client) -> (ErrorCode, Option<String>) {
    c.expect(|f| match f {
        Frame::Reject(r) => Some((r.code, r.room.as_ref().map(|r| r.as_str().to_owned()))),
        _ => None,
    })
    .await
}

#[tokio::test]
async fn token_file_replica_restrictions_are_enforced() {
    let grants = "sensor write sensors/ replicas=7\nfleet write replicas=100-199\n";
    let mut cfg = config();
    cfg.set_authorizer(Arc::new(TokenAuthorizer::parse(grants).unwrap()));
    let server = Running::start(cfg).await;
    let mut own = Client::connect(server.addr).await;
    own.hello(7, Some("sensor")).await;
    let mut fleet = Client::connect(server.addr).await;
    fleet.hello(150, Some("fleet")).await;
    // Claiming an id outside the grant: refused, closed 4014; the owner stays.
    for (replica, token) in [(8, "sensor"), (7, "fleet")] {
        let mut spoof = Client::connect(server.addr).await;
        spoof.send(&hello(replica, Some(token), None)).await;
        assert_eq!(
            rejected(&mut spoof).await,
            (ErrorCode::REPLICA_FORBIDDEN, None)
        );
        assert_eq!(
            spoof.expect_close().await,
            Some(CloseCode::REPLICA_FORBIDDEN.0)
        );
    }
    assert!(own.join("sensors/a", None).await.writable);
    own.delta_acked("sensors/a", 7, 1, b"ok").await;
    server.stop().await;
}

#[tokio::test]
async fn a_second_session_with_one_replica_id_replaces_the_first() {
    let server = Running::start(config()).await;
    let mut old = Client::connect(server.addr).await;
    old.hello(5, None).await;
    let mut peer = Client::connect(server.addr).await;
    peer.hello(6, None).await;
    old.join("doc", None).await;
    peer.join("doc", None).await;
    let old_session = peer
        .expect(|f| match f {
            Frame::Peers(p) => p.joined.first().map(|e| e.peer),
            _ => None,
        })
        .await;
    old.delta_acked("doc", 5, 1, b"a").await;
    peer.expect(|f| matches!(f, Frame::HubDelta(d) if d.seq == 1).then_some(()))
        .await;
    let mut new = Client::connect(server.addr).await;
    new.hello(5, None).await;
    assert_eq!(rejected(&mut old).await, (ErrorCode::REPLICA_IN_USE, None));
    assert_eq!(old.expect_close().await, Some(CloseCode::REPLACED.0));
    let left = peer
        .expect(|f| match f {
            Frame::Peers(p) => p.left.first().copied(),
            _ => None,
        })
        .await;
    assert_eq!(left, old_session);
    assert_eq!(new.join("doc", None).await.acked_seq, 1);
    assert_eq!(new.catch_up(1).await[0].1, 1, "its own delta, from the log");
    new.delta_acked("doc", 5, 2, b"b").await;
    server.stop().await;
}

#[tokio::test]
async fn a_read_only_token_cannot_create_a_room() {
    let mut cfg = config();
    cfg.set_authorizer(Arc::new(
        TokenAuthorizer::parse("w write\nr read\n").unwrap(),
    ));
    let server = Running::start(cfg).await;
    let mut reader = Client::connect(server.addr).await;
    reader.hello(1, Some("r")).await;
    let join = Frame::Join(Join {
        room: RoomId::new("fresh"),
        crdt: OPAQUE_CRDT.to_owned(),
        resume: None,
    });
    reader.send(&join).await;
    assert_eq!(
        rejected(&mut reader).await,
        (ErrorCode::FORBIDDEN, Some("fresh".to_owned()))
    );
    let mut writer = Client::connect(server.addr).await;
    writer.hello(2, Some("w")).await;
    assert!(writer.join("fresh", None).await.writable);
    assert!(!reader.join("fresh", None).await.writable);
    server.stop().await;
}

#[tokio::test]
async fn the_default_server_refuses_unknown_crdt_types() {
    let server = Running::start_exact(config()).await;
    let mut c = Client::connect(server.addr).await;
    c.hello(1, None).await;
    let join = |crdt: &str| {
        Frame::Join(Join {
            room: RoomId::new("r"),
            crdt: crdt.to_owned(),
            resume: None,
        })
    };
    c.send(&join(OPAQUE_CRDT)).await;
    assert_eq!(
        rejected(&mut c).await,
        (ErrorCode::CRDT_MISMATCH, Some("r".to_owned()))
    );
    assert_eq!(c.join_typed("r", "gcounter", None).await.crdt, "gcounter");
    server.stop().await;
}

#[tokio::test]
async fn an_oversized_user_info_is_refused_at_the_handshake() {
    let mut cfg = config();
    cfg.hub_mut().max_user_info_bytes = 16;
    let server = Running::start(cfg).await;
    let mut c = Client::connect(server.addr).await;
    c.send(&hello(1, None, Some(Bytes::from(vec![b'x'; 17]))))
        .await;
    assert_eq!(rejected(&mut c).await, (ErrorCode::PAYLOAD_TOO_LARGE, None));
    assert_eq!(c.expect_close().await, Some(CloseCode::MESSAGE_TOO_BIG.0));
    let mut ok = Client::connect(server.addr).await;
    ok.send(&hello(2, None, Some(Bytes::from(vec![b'x'; 16]))))
        .await;
    ok.expect(|f| matches!(f, Frame::Welcome(_)).then_some(()))
        .await;
    server.stop().await;
}
