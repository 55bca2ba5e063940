//! A hub on Redis (`Storage::Redis`, `syncwire serve --redis`), each test on its own
//! `redis-server` (127.0.0.1, free port, temporary directory; AOF fsynced always):
//! * two clients sync through an in-process server, which is stopped and started
//!   again on the same Redis: every acked delta is still there;
//! * Redis killed while a client writes: the client gets an explicit error and is
//!   closed; once Redis is back (same directory), a client resumes with every acked
//!   delta and writes on;
//! * the binary killed with SIGKILL, then Redis killed with SIGKILL and restarted on
//!   its directory (AOF), then the binary restarted: no acked delta is lost;
//! * a Redis without `appendfsync always`, or none at all: the binary exits non-zero
//!   naming the problem.
#![cfg(all(feature = "client", feature = "cli"))]

mod common;

use common::binary::Binary;
use common::redis::RedisServer;
use common::{Client, Running, WAIT, gcounter_deltas, typed_delta};
use syncwire_tokio::proto::wire::Frame;
use syncwire_tokio::server::{ServerConfig, Storage};

fn redis_config(url: &str) -> ServerConfig {
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.set_storage(Storage::Redis {
        url: url.to_owned(),
        wait_replicas: 0,
        allow_unsafe_durability: false,
    });
    config
}

#[tokio::test]
async fn two_clients_sync_on_redis_and_every_acked_delta_survives_a_server_restart() {
    let dir = tempfile::tempdir().unwrap();
    let redis = RedisServer::start(dir.path());
    let server = Running::start(redis_config(&redis.url())).await;
    let mut a = Client::connect(server.addr).await;
    let mut b = Client::connect(server.addr).await;
    a.hello(1, None).await;
    b.hello(2, None).await;
    let joined = a.join("room/ü}", None).await;
    b.join("room/ü}", None).await;
    for seq in 1..=5u64 {
        a.delta_acked("room/ü}", 1, seq, format!("a{seq}").as_bytes())
            .await;
    }
    // b sees a's deltas live, then writes its own.
    for seq in 1..=5u64 {
        let got = b
            .expect(|f| match f {
                Frame::HubDelta(d) => Some(d.payload.clone()),
                _ => None,
            })
            .await;
        assert_eq!(&got[..], format!("a{seq}").as_bytes());
    }
    for seq in 1..=5u64 {
        b.delta_acked("room/ü}", 2, seq, format!("b{seq}").as_bytes())
            .await;
    }
    drop((a, b));
    server.stop().await;

    let server = Running::start(redis_config(&redis.url())).await;
    let mut c = Client::connect(server.addr).await;
    c.hello(3, None).await;
    let again = c.join("room/ü}", None).await;
    assert_eq!(again.epoch, joined.epoch);
    assert_eq!(again.head, joined.head + 10);
    let entries = c.catch_up(10).await;
    let mut payloads: Vec<String> = entries
        .iter()
        .map(|(_, _, p)| String::from_utf8_lossy(p).into_owned())
        .collect();
    payloads.sort();
    let mut want: Vec<String> = (1..=5)
        .flat_map(|s| [format!("a{s}"), format!("b{s}")])
        .collect();
    want.sort();
    assert_eq!(payloads, want);
    server.stop().await;
}

#[tokio::test]
async fn redis_going_away_fails_the_room_explicitly_and_clients_resume_once_it_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut redis = RedisServer::start(dir.path());
    let server = Running::start(redis_config(&redis.url())).await;
    let mut a = Client::connect(server.addr).await;
    a.hello(1, None).await;
    let joined = a.join("r", None).await;
    for seq in 1..=3u64 {
        a.delta_acked("r", 1, seq, format!("d{seq}").as_bytes())
            .await;
    }
    redis.kill();
    a.send(&common::delta("r", 1, 4, b"d4")).await;
    let reject = a
        .expect(|f| match f {
            Frame::Reject(r) => Some(r.clone()),
            _ => None,
        })
        .await;
    assert_eq!(reject.message, "storage failed", "{reject:?}");
    assert_eq!(a.expect_close().await, Some(1011));
    let _redis = redis.restart();
    let mut b = Client::connect(server.addr).await;
    b.hello(1, None).await;
    let again = b.join("r", None).await;
    assert_eq!(again.epoch, joined.epoch);
    assert!(again.head >= joined.head + 3, "{again:?}");
    assert!(again.acked_seq >= 3, "{again:?}");
    let entries = b.catch_up(3).await;
    let payloads: Vec<&[u8]> = entries.iter().map(|(_, _, p)| &p[..]).collect();
    assert_eq!(&payloads[..3], [b"d1", b"d2", b"d3"]);
    let next = again.acked_seq + 1;
    b.delta_acked("r", 1, next, b"after").await;
    server.stop().await;
}

/// Sends `gcounter` deltas `1..=n` of `replica` to `room` and waits for each ack.
async fn write_acked(c: &mut Client, room: &str, replica: u64, n: u64) {
    for (seq, payload) in (1..).zip(gcounter_deltas(replica, n)) {
        c.send(&typed_delta(room, "gcounter", replica, seq, payload))
            .await;
        c.expect(|f| match f {
            Frame::Ack(a) if a.seq >= seq => Some(()),
            _ => None,
        })
        .await;
    }
}

#[tokio::test]
async fn the_binary_and_redis_both_killed_with_sigkill_lose_no_acked_delta() {
    let dir = tempfile::tempdir().unwrap();
    let redis = RedisServer::start(dir.path());
    let url = redis.url();
    let any = "127.0.0.1:0".parse().unwrap();
    let mut bin = Binary::start_args(any, &["--redis", &url]).await;
    let mut c = Client::connect(bin.addr).await;
    c.hello(5, None).await;
    let joined = c.join_typed("count", "gcounter", None).await;
    write_acked(&mut c, "count", 5, 20).await;
    drop(c);
    bin.kill_9().await;
    let redis = redis.kill_and_restart();

    let bin = Binary::start_args(bin.addr, &["--redis", &url]).await;
    let mut c = Client::connect(bin.addr).await;
    c.hello(6, None).await;
    let again = c.join_typed("count", "gcounter", None).await;
    assert_eq!(again.epoch, joined.epoch);
    assert_eq!(
        again.head,
        joined.head + 20,
        "every acked delta is in Redis"
    );
    drop(redis);
}

#[tokio::test]
async fn the_binary_refuses_a_redis_without_fsync_on_every_write_or_no_redis() {
    let dir = tempfile::tempdir().unwrap();
    let redis = RedisServer::start_with(
        dir.path(),
        RedisServer::free_port(),
        &["--appendfsync", "everysec"],
    );
    let any = "127.0.0.1:0".parse().unwrap();
    let url = redis.url();
    let out = tokio::time::timeout(WAIT, Binary::command(any, &["--redis", &url]).output())
        .await
        .expect("exits in time")
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("appendfsync") && stderr.contains("redis_allow_unsafe_durability"),
        "{stderr}"
    );
    drop(redis);
    let out = tokio::time::timeout(WAIT, Binary::command(any, &["--redis", &url]).output())
        .await
        .expect("exits in time")
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("unreachable"), "{stderr}");
}
