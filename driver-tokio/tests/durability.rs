//! Durable storage in process: a restart on the same data directory resumes every
//! room at its epoch and offset, with every acked delta replayable.
#![cfg(all(feature = "client", feature = "cli"))]

mod common;

use common::{Client, Running};
use syncwire_tokio::proto::wire::Position;
use syncwire_tokio::server::{ServerConfig, Storage};

fn redb_config(dir: &std::path::Path) -> ServerConfig {
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.set_storage(Storage::Redb {
        dir: dir.to_owned(),
    });
    config
}

#[tokio::test]
async fn restart_resumes_rooms_at_epoch_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    let server = Running::start(redb_config(dir.path())).await;
    let mut c = Client::connect(server.addr).await;
    c.hello(7, None).await;
    let first = c.join("a", None).await;
    let other = c.join("b", None).await;
    for seq in 1..=5u64 {
        c.delta_acked("a", 7, seq, format!("a{seq}").as_bytes())
            .await;
    }
    c.delta_acked("b", 7, 1, b"b1").await;
    drop(c);
    server.stop().await;

    let server = Running::start(redb_config(dir.path())).await;
    let mut c = Client::connect(server.addr).await;
    c.hello(7, None).await;
    let again = c.join("a", None).await;
    assert_eq!(again.epoch, first.epoch);
    assert_eq!(again.acked_seq, 5, "the dedup table survives a restart");
    assert_eq!(again.head, first.head + 5);
    let entries = c.catch_up(5).await;
    let payloads: Vec<&[u8]> = entries.iter().map(|(_, _, p)| &p[..]).collect();
    assert_eq!(payloads, [b"a1", b"a2", b"a3", b"a4", b"a5"]);
    assert!(entries.iter().all(|(r, _, _)| *r == 7));
    // Resuming from the old head is not a resync and replays exactly the missed delta.
    let resume = Position {
        epoch: other.epoch,
        offset: other.head,
    };
    let b = c.join("b", Some(resume)).await;
    assert!(!b.resync);
    assert_eq!((b.epoch, b.head), (other.epoch, other.head + 1));
    let missed = c.catch_up(1).await;
    assert_eq!(&missed[0].2[..], b"b1");
    // The dedup table survived: re-sending an old seq is re-acked, not appended again.
    c.delta_acked("a", 7, 3, b"dup").await;
    drop(c);
    server.stop().await;
    let server = Running::start(redb_config(dir.path())).await;
    let mut c = Client::connect(server.addr).await;
    c.hello(9, None).await;
    assert_eq!(c.join("a", None).await.head, first.head + 5);
    server.stop().await;
}
