//! The tokio client against the in-process server on 127.0.0.1: two replicas sync,
//! offline changes wait in the outbox, a server restart on the same storage resumes
//! without loss or duplicates, and a graceful close flushes the outbox.
//! Every wait is bounded; nothing sleeps to synchronize.
#![cfg(all(feature = "client", feature = "cli"))]

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::StreamExt;
use syncwire_tokio::client::{ClientConfig, ClientEvent, Doc, SyncClient};
use syncwire_tokio::proto::client::ClientState;
use syncwire_tokio::proto::crdt::{GCounter, GCounterOp, OrSet, OrSetOp};
use syncwire_tokio::proto::wire::ReplicaId;
use syncwire_tokio::server::{Server, ServerConfig, Storage};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const WAIT: Duration = Duration::from_secs(15);

struct Running {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), syncwire_tokio::server::ServerError>>,
}

async fn start(addr: SocketAddr, storage: Storage) -> Running {
    let mut config = ServerConfig::new(addr);
    config.set_storage(storage);
    let server = Server::bind(config).await.expect("bind");
    let addr = server.local_addr();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(server.run_until(async move {
        let _ = stopped.await;
    }));
    Running { addr, stop, task }
}

impl Running {
    async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(WAIT, self.task)
            .await
            .expect("server stops")
            .unwrap()
            .unwrap();
    }
}

fn url(addr: SocketAddr) -> String {
    format!("ws://{addr}/sync")
}

fn config(replica: u64) -> ClientConfig {
    let mut c = ClientConfig::new(ReplicaId(replica));
    c.seed = replica;
    c
}

/// Waits until `doc`'s state satisfies `pred`, bounded by [`WAIT`].
async fn until<C: syncwire_tokio::proto::crdt::DeltaCrdt>(doc: &Doc<C>, pred: impl Fn(&C) -> bool) {
    let mut changes = doc.changes();
    let wait = async {
        while !doc.read(&pred).unwrap() {
            changes.next().await;
        }
    };
    tokio::time::timeout(WAIT, wait)
        .await
        .expect("document reaches the expected state in time");
}

async fn until_acked(client: &SyncClient) {
    let mut events = client.events();
    let wait = async {
        while client.outbox_len() > 0 {
            events.next().await;
        }
    };
    tokio::time::timeout(WAIT, wait)
        .await
        .expect("outbox drains in time");
}

#[tokio::test]
async fn two_replicas_sync_a_counter_and_a_set() {
    let server = start("127.0.0.1:0".parse().unwrap(), Storage::Memory).await;
    let a = SyncClient::connect(url(server.addr), config(1)).unwrap();
    let b = SyncClient::connect(url(server.addr), config(2)).unwrap();
    let ca = a.join::<GCounter>("counter").unwrap();
    let cb = b.join::<GCounter>("counter").unwrap();
    let sa = a.join::<OrSet<String>>("todos").unwrap();
    let sb = b.join::<OrSet<String>>("todos").unwrap();

    ca.apply(GCounterOp::Increment(5)).unwrap();
    cb.apply(GCounterOp::Increment(2)).unwrap();
    sa.apply(OrSetOp::Add("milk".into())).unwrap();
    sb.apply(OrSetOp::Add("eggs".into())).unwrap();

    until(&ca, |c| c.value() == 7).await;
    until(&cb, |c| c.value() == 7).await;
    until(&sb, |s| {
        s.contains(&"milk".to_string()) && s.contains(&"eggs".to_string())
    })
    .await;
    sb.apply(OrSetOp::Remove("milk".into())).unwrap();
    until(&sa, |s| !s.contains(&"milk".to_string()) && s.len() == 1).await;

    until_acked(&a).await;
    assert_eq!(a.state(), ClientState::Connected);
    let m = a.metrics();
    assert!(m.deltas_acked >= 2, "acks are counted: {m:?}");
    assert_eq!(a.close(WAIT).await, 0);
    assert_eq!(b.close(WAIT).await, 0);
    server.stop().await;
}

#[tokio::test]
async fn offline_changes_wait_in_the_outbox_until_the_hub_appears() {
    // Reserve a port, then free it: the client starts with nothing listening there.
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = probe.local_addr().unwrap();
    drop(probe);
    // A fresh replica id has written nothing before: its changes apply at once,
    // even offline (a chosen id would wait for the room to catch up).
    let mut fresh = config(11);
    fresh.replica = None;
    let a = SyncClient::connect(url(addr), fresh).unwrap();
    let counter = a.join::<GCounter>("offline").unwrap();
    for _ in 0..10 {
        counter.apply(GCounterOp::Increment(1)).unwrap();
    }
    assert_eq!(
        counter.read(|c| c.value()).unwrap(),
        10,
        "local changes apply at once"
    );
    assert!(a.outbox_len() > 0, "and wait in the outbox while offline");

    let server = start(addr, Storage::Memory).await;
    until_acked(&a).await;
    let b = SyncClient::connect(url(server.addr), config(12)).unwrap();
    let cb = b.join::<GCounter>("offline").unwrap();
    until(&cb, |c| c.value() == 10).await;
    drop(a);
    drop(b);
    server.stop().await;
}

#[tokio::test]
async fn a_server_restart_on_the_same_storage_resumes_without_loss_or_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let storage = || Storage::Redb {
        dir: dir.path().to_path_buf(),
    };
    let server = start("127.0.0.1:0".parse().unwrap(), storage()).await;
    let addr = server.addr;
    let a = SyncClient::connect(url(addr), config(21)).unwrap();
    let b = SyncClient::connect(url(addr), config(22)).unwrap();
    let ca = a.join::<GCounter>("c").unwrap();
    let cb = b.join::<GCounter>("c").unwrap();
    let mut a_events = a.events();
    for _ in 0..5 {
        ca.apply(GCounterOp::Increment(1)).unwrap();
    }
    until(&cb, |c| c.value() == 5).await;
    until_acked(&a).await;

    server.stop().await;
    // While the hub is down both replicas keep working offline.
    ca.apply(GCounterOp::Increment(10)).unwrap();
    cb.apply(GCounterOp::Increment(100)).unwrap();
    let server = start(addr, storage()).await;

    until(&ca, |c| c.value() == 115).await;
    until(&cb, |c| c.value() == 115).await;
    until_acked(&a).await;
    until_acked(&b).await;

    // No resync was needed: the restarted hub kept the room's epoch and offsets.
    let mut saw_reconnect = false;
    while let Some(ev) = a_events.try_next() {
        assert!(
            !matches!(ev, ClientEvent::Resync { .. }),
            "resumed without a snapshot: {ev:?}"
        );
        saw_reconnect |= matches!(
            ev,
            ClientEvent::StateChanged {
                to: ClientState::Backoff,
                ..
            }
        );
    }
    assert!(
        saw_reconnect,
        "the client went through backoff and reconnected"
    );
    assert!(a.metrics().reconnects >= 1);
    a.close(WAIT).await;
    b.close(WAIT).await;
    server.stop().await;
}

#[tokio::test]
async fn a_graceful_close_flushes_the_outbox() {
    let server = start("127.0.0.1:0".parse().unwrap(), Storage::Memory).await;
    let a = SyncClient::connect(url(server.addr), config(31)).unwrap();
    let c = a.join::<GCounter>("flush").unwrap();
    for _ in 0..50 {
        c.apply(GCounterOp::Increment(2)).unwrap();
    }
    assert_eq!(
        a.close(WAIT).await,
        0,
        "every delta acknowledged before closing"
    );
    let b = SyncClient::connect(url(server.addr), config(32)).unwrap();
    let cb = b.join::<GCounter>("flush").unwrap();
    until(&cb, |c| c.value() == 100).await;
    drop(b);
    server.stop().await;
}

#[tokio::test]
async fn synced_waits_until_the_room_caught_up_and_reports_a_refused_join() {
    let server = start("127.0.0.1:0".parse().unwrap(), Storage::Memory).await;
    let a = SyncClient::connect(url(server.addr), ClientConfig::default()).unwrap();
    let ca = a.join::<GCounter>("shared").unwrap();
    ca.apply(GCounterOp::Increment(3)).unwrap();
    until_acked(&a).await;

    // A new replica reads the room right after joining: before `synced` it shows
    // nothing of a's (or only its own change); after, everything the hub stored.
    let b = SyncClient::connect(url(server.addr), ClientConfig::default()).unwrap();
    let cb = b.join::<GCounter>("shared").unwrap();
    cb.apply(GCounterOp::Increment(1)).unwrap();
    tokio::time::timeout(WAIT, cb.synced())
        .await
        .expect("the room catches up in time")
        .unwrap();
    assert_eq!(cb.read(|c| c.value()).unwrap(), 4);
    // Already caught up: returns at once.
    tokio::time::timeout(Duration::from_millis(1), cb.synced())
        .await
        .expect("no wait once caught up")
        .unwrap();

    // A join the hub refuses (the room has another CRDT type) ends the wait.
    let c = SyncClient::connect(url(server.addr), ClientConfig::default()).unwrap();
    let wrong = c.join::<OrSet<String>>("shared").unwrap();
    let refused = tokio::time::timeout(WAIT, wrong.synced())
        .await
        .expect("the refusal arrives in time");
    assert!(
        matches!(
            refused,
            Err(syncwire_tokio::client::DriverError::JoinRefused(code))
                if code == syncwire_tokio::proto::wire::ErrorCode::CRDT_MISMATCH
        ),
        "{refused:?}"
    );
    for client in [a, b, c] {
        client.close(WAIT).await;
    }
    server.stop().await;
}
