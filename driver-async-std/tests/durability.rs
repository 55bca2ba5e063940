//! Durable storage, one body run against both servers (async-std and tokio): a server
//! on redb storage that is stopped and started again on the same data directory loses
//! no delta it acknowledged, and replays none twice.
#![cfg(all(feature = "client", feature = "server"))]

mod common;

use common::{WAIT, Which, config, until, url};
use syncwire_async_std::client::SyncClient;
use syncwire_async_std::proto::crdt::{GCounter, GCounterOp};
use syncwire_async_std::server::{ServerConfig, Storage};

fn redb_config(dir: &std::path::Path) -> ServerConfig {
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.set_storage(Storage::Redb {
        dir: dir.to_owned(),
    });
    config
}

/// Acked increments before a restart are all there after it, exactly once, and the
/// room keeps taking new deltas on top of them.
async fn restart_keeps_every_acked_delta(which: Which) {
    let dir = tempfile::tempdir().unwrap();
    let server = which.start(redb_config(dir.path())).await;
    let a = SyncClient::connect(url(server.addr()), config(61)).unwrap();
    let ca = a.join::<GCounter>("durable").unwrap();
    for _ in 0..7 {
        ca.apply(GCounterOp::Increment(3)).unwrap();
    }
    // `close` waits until every operation was submitted and acked by the hub.
    drop(ca);
    assert_eq!(a.close(WAIT).await, 0, "every delta acked before the stop");
    server.stop().await;

    let server = which.start(redb_config(dir.path())).await;
    let b = SyncClient::connect(url(server.addr()), config(62)).unwrap();
    let cb = b.join::<GCounter>("durable").unwrap();
    until(&cb, |c| c.value() == 21).await;
    // Another writer joins: it sees the same state and its deltas land on top.
    let a = SyncClient::connect(url(server.addr()), config(63)).unwrap();
    let ca = a.join::<GCounter>("durable").unwrap();
    until(&ca, |c| c.value() == 21).await;
    ca.apply(GCounterOp::Increment(1)).unwrap();
    until(&cb, |c| c.value() == 22).await;
    assert_eq!(ca.read(|c| c.value()).unwrap(), 22, "{which:?} server");
    drop((ca, cb));
    assert_eq!(a.close(WAIT).await, 0);
    drop(b);
    server.stop().await;
}

#[async_std::test]
async fn the_async_std_server_restarts_without_losing_acked_deltas() {
    restart_keeps_every_acked_delta(Which::AsyncStd).await;
}

#[async_std::test]
async fn the_tokio_server_restarts_without_losing_acked_deltas() {
    restart_keeps_every_acked_delta(Which::Tokio).await;
}
