//! Bad input gets its explicit rejection or close code while other clients keep
//! working with nothing lost: oversized frames, protocol violations, missing tokens,
//! writes to read-only rooms (token file), and rate-limit floods (raw and through
//! `SyncClient`). Text and undecodable frames are covered in `ws_protocol.rs`.
#![cfg(all(feature = "client", feature = "cli"))]

mod common;

use std::sync::Arc;

use common::sync::{Recorder, fast_config, until_acked_within, until_within, url};
use common::{Client, Running, Seen, WAIT, delta};
use syncwire_tokio::client::SyncClient;
use syncwire_tokio::proto::crdt::{GCounter, GCounterOp, NoMerge};
use syncwire_tokio::proto::wire::{CloseCode, ErrorCode, Frame, Hello, Join, RoomId};
use syncwire_tokio::server::{ServerConfig, TokenAuthorizer};

fn config() -> ServerConfig {
    ServerConfig::new("127.0.0.1:0".parse().unwrap())
}

/// The next `Reject`'s (code, seq).
async fn rejected(c: &mut Client) -> (ErrorCode, Option<u64>) {
    c.expect(|f| match f {
        Frame::Reject(r) => Some((r.code, r.seq)),
        _ => None,
    })
    .await
}

/// Sends a delta and waits for its ack, skipping other members' broadcasts.
async fn send_acked(c: &mut Client, room: &str, replica: u64, seq: u64, payload: &[u8]) {
    c.send(&delta(room, replica, seq, payload)).await;
    loop {
        let done = c
            .expect(|f| match f {
                Frame::Ack(a) => Some(a.seq >= seq),
                Frame::HubDelta(_) | Frame::DeltaBatch(_) => Some(false),
                _ => None,
            })
            .await;
        if done {
            return;
        }
    }
}

/// The (replica, seq) of every entry a fresh session replays from `room`.
async fn log_of(addr: std::net::SocketAddr, room: &str, token: Option<&str>) -> Vec<(u64, u64)> {
    let mut c = Client::connect(addr).await;
    c.hello(900, token).await;
    let j = c.join(room, None).await;
    let n = usize::try_from(j.head - j.start).unwrap();
    c.catch_up(n)
        .await
        .into_iter()
        .map(|(r, s, _)| (r, s))
        .collect()
}

#[tokio::test]
async fn oversized_frames_are_rejected_and_huge_ones_close_only_that_session() {
    let mut cfg = config();
    cfg.hub_mut().max_frame_bytes = 4096;
    cfg.hub_mut().max_payload_bytes = 2048;
    let server = Running::start(cfg).await;
    let (mut good, mut bad) = (
        Client::connect(server.addr).await,
        Client::connect(server.addr).await,
    );
    good.hello(1, None).await;
    bad.hello(2, None).await;
    good.join("r", None).await;
    bad.join("r", None).await;
    // Payload over max_payload_bytes (frame still fits): rejected with its seq.
    bad.send(&delta("r", 2, 1, &[7u8; 3000])).await;
    assert_eq!(
        rejected(&mut bad).await,
        (ErrorCode::PAYLOAD_TOO_LARGE, Some(1))
    );
    // Frame over max_frame_bytes: rejected, the session stays usable.
    bad.send(&delta("r", 2, 1, &[7u8; 5000])).await;
    assert_eq!(rejected(&mut bad).await.0, ErrorCode::PAYLOAD_TOO_LARGE);
    send_acked(&mut bad, "r", 2, 1, b"ok").await;
    send_acked(&mut good, "r", 1, 1, b"g1").await;
    // Over twice the limit: the WebSocket layer refuses it and the connection ends.
    bad.send(&delta("r", 2, 2, &[7u8; 9000])).await;
    assert_ne!(bad.expect_close().await, Some(CloseCode::NORMAL.0));
    send_acked(&mut good, "r", 1, 2, b"g2").await;
    assert_eq!(
        log_of(server.addr, "r", None).await,
        [(2, 1), (1, 1), (1, 2)]
    );
    server.stop().await;
}

#[tokio::test]
async fn protocol_violations_get_their_reject_codes() {
    let server = Running::start(config()).await;
    let mut c = Client::connect(server.addr).await;
    // A delta before the handshake.
    c.send(&delta("p", 5, 1, b"x")).await;
    assert_eq!(rejected(&mut c).await.0, ErrorCode::UNEXPECTED_FRAME);
    c.hello(5, None).await;
    c.join("p", None).await;
    // Speaking for another replica, sequence 0, another CRDT type, an unjoined room.
    c.send(&delta("p", 6, 1, b"x")).await;
    assert_eq!(
        rejected(&mut c).await,
        (ErrorCode::REPLICA_MISMATCH, Some(1))
    );
    c.send(&delta("p", 5, 0, b"x")).await;
    assert_eq!(rejected(&mut c).await.0, ErrorCode::MALFORMED);
    let mut other_type = delta("p", 5, 1, b"x");
    if let Frame::ClientDelta(d) = &mut other_type {
        d.crdt = "orset".to_owned();
    }
    c.send(&other_type).await;
    assert_eq!(rejected(&mut c).await.0, ErrorCode::CRDT_MISMATCH);
    c.send(&delta("elsewhere", 5, 1, b"x")).await;
    assert_eq!(rejected(&mut c).await.0, ErrorCode::UNKNOWN_ROOM);
    let join = Join {
        room: RoomId::new("p"),
        crdt: "orset".to_owned(),
        resume: None,
    };
    let mut d = Client::connect(server.addr).await;
    d.hello(8, None).await;
    d.send(&Frame::Join(join)).await;
    assert_eq!(rejected(&mut d).await.0, ErrorCode::CRDT_MISMATCH);
    // None of that closed the session or reached the log.
    c.delta_acked("p", 5, 1, b"fine").await;
    assert_eq!(log_of(server.addr, "p", None).await, [(5, 1)]);
    server.stop().await;
}

#[tokio::test]
async fn token_file_grants_are_enforced() {
    let grants = "writer write\nviewer read public/\n";
    let mut cfg = config();
    cfg.set_authorizer(Arc::new(TokenAuthorizer::parse(grants).unwrap()));
    let server = Running::start(cfg).await;
    let mut anon = Client::connect(server.addr).await;
    anon.send(&Frame::Hello(Hello {
        versions: syncwire_proto::wire::SUPPORTED_VERSIONS.to_vec(),
        replica: Default::default(),
        token: None,
        user_info: None,
    }))
    .await;
    assert_eq!(rejected(&mut anon).await.0, ErrorCode::UNAUTHORIZED);
    assert_eq!(anon.expect_close().await, Some(CloseCode::UNAUTHORIZED.0));

    let mut writer = Client::connect(server.addr).await;
    writer.hello(1, Some("writer")).await;
    assert!(writer.join("public/doc", None).await.writable);
    let mut viewer = Client::connect(server.addr).await;
    viewer.hello(2, Some("viewer")).await;
    assert!(!viewer.join("public/doc", None).await.writable);
    // A write to the read-only room is refused; the session stays open.
    viewer.send(&delta("public/doc", 2, 1, b"v")).await;
    assert_eq!(rejected(&mut viewer).await, (ErrorCode::FORBIDDEN, Some(1)));
    // A room outside the viewer's prefix cannot be joined at all.
    let join = Join {
        room: RoomId::new("private"),
        crdt: "gcounter".to_owned(),
        resume: None,
    };
    viewer.send(&Frame::Join(join)).await;
    assert_eq!(rejected(&mut viewer).await.0, ErrorCode::FORBIDDEN);
    // The writer keeps writing and the viewer keeps reading.
    writer.delta_acked("public/doc", 1, 1, b"w1").await;
    let got = viewer
        .expect(|f| match f {
            Frame::HubDelta(d) => Some((d.replica.0, d.seq)),
            _ => None,
        })
        .await;
    assert_eq!(got, (1, 1));
    assert_eq!(
        log_of(server.addr, "public/doc", Some("writer")).await,
        [(1, 1)]
    );
    server.stop().await;
}

/// Hub limits for flood tests: a burst of 20 frames, almost no refill.
fn strict() -> ServerConfig {
    let mut cfg = config();
    cfg.hub_mut().rate_frame_burst = 20;
    cfg.hub_mut().rate_frames_per_sec = 1;
    cfg.hub_mut().rate_strikes_to_close = 10;
    cfg
}

#[tokio::test]
async fn a_raw_flood_is_rejected_then_closed_and_its_acked_prefix_is_kept() {
    let server = Running::start(strict()).await;
    let mut good = Client::connect(server.addr).await;
    good.hello(1, None).await;
    good.join("f", None).await;
    let mut flood = Client::connect(server.addr).await;
    flood.hello(2, None).await;
    flood.join("f", None).await;
    for seq in 1..=60 {
        flood.send(&delta("f", 2, seq, b"+")).await;
    }
    let (mut acked, mut rate_limited) = (0, Vec::new());
    let close = loop {
        match flood.next().await {
            Seen::Frame(Frame::Ack(a)) => acked = a.seq,
            Seen::Frame(Frame::Reject(r)) => {
                assert_eq!(r.code, ErrorCode::RATE_LIMITED);
                rate_limited.push(r.seq.expect("the rejected delta's seq"));
            }
            Seen::Frame(_) => {}
            Seen::Closed(code) => break code,
        }
    };
    assert_eq!(close, Some(CloseCode::RATE_LIMITED.0));
    assert_eq!(
        rate_limited.len(),
        10,
        "one reject per strike, the last one closes"
    );
    // The well-behaved session was not affected.
    send_acked(&mut good, "f", 1, 1, b"g").await;
    let log = log_of(server.addr, "f", None).await;
    let flooded: Vec<u64> = log
        .iter()
        .filter(|(r, _)| *r == 2)
        .map(|(_, s)| *s)
        .collect();
    // Every acked seq (cumulative acks cover each seq not explicitly rejected) is in the
    // log, no rejected one is. Appends still in flight when the session closed may be
    // durable without an ack: a real client re-sends them and gets a dedup ack.
    let acked_seqs: Vec<u64> = (1..=acked).filter(|s| !rate_limited.contains(s)).collect();
    assert_eq!(flooded[..acked_seqs.len()], acked_seqs[..], "{flooded:?}");
    assert!(
        flooded.iter().all(|s| !rate_limited.contains(s)),
        "{flooded:?}"
    );
    assert!(!flooded.is_empty(), "the burst was accepted");
    assert!(log.contains(&(1, 1)));
    server.stop().await;
}

#[tokio::test]
async fn a_sync_client_flooding_keeps_within_the_announced_rate_and_loses_nothing() {
    // The hub takes a burst of 20 frames and 20 per second after it. A client that
    // sent its 60 deltas at once (no merging) would be refused `rate_limited`; ours
    // paces itself to the rate its `Welcome` announced (PROTOCOL.md §7), so the hub
    // refuses nothing and every delta is acknowledged once.
    let mut cfg = config();
    cfg.hub_mut().rate_frame_burst = 20;
    cfg.hub_mut().rate_frames_per_sec = 20;
    cfg.hub_mut().rate_strikes_to_close = 10;
    let server = Running::start(cfg).await;
    let mut config = fast_config(1);
    config.merger = Arc::new(NoMerge);
    let flood = SyncClient::connect(url(server.addr), config).unwrap();
    let rec = Recorder::new(&flood);
    let fc = flood.join::<GCounter>("sf").unwrap();
    let other = SyncClient::connect(url(server.addr), fast_config(2)).unwrap();
    let oc = other.join::<GCounter>("sf").unwrap();
    const N: u64 = 60;
    for _ in 0..N {
        fc.apply(GCounterOp::Increment(1)).unwrap();
    }
    oc.apply(GCounterOp::Increment(1000)).unwrap();
    until_within(&oc, WAIT, |c| c.value() == N + 1000).await;
    until_within(&fc, WAIT, |c| c.value() == N + 1000).await;
    until_acked_within(&flood, WAIT).await;
    rec.read(|r| assert_eq!(r.rejected, 0, "nothing refused for good: {r:?}"));
    let m = flood.metrics();
    assert_eq!(m.errors.rejected, 0, "the hub refused nothing: {m:?}");
    assert_eq!(m.deltas_acked, N, "each delta acked once: {m:?}");
    drop((flood, other));
    server.stop().await;
}
