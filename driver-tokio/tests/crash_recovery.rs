//! The real `syncwire` binary under load from several `SyncClient`s:
//! * SIGKILL at seeded random points, restarted on the same data dir and port: every
//!   id a client saw acked is in the final set of every client, nothing is lost or
//!   counted twice, and all clients converge;
//! * SIGTERM: clients go to backoff, reconnect to the restarted server and resume
//!   without resync and without duplicate deliveries.
#![cfg(all(feature = "client", feature = "cli"))]

mod common;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::WAIT;
use common::binary::Binary;
use common::sync::{Recorder, fast_config, until_acked_within, until_within, url};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use syncwire_tokio::client::{Doc, SyncClient};
use syncwire_tokio::proto::client::ClientState;
use syncwire_tokio::proto::crdt::{GCounter, GCounterOp, NoMerge, OrSet, OrSetOp};
use syncwire_tokio::proto::rng::Rng;
use tokio::task::JoinHandle;

const SEED: u64 = 0x5EED_C0DE;
const CLIENTS: u64 = 3;
const WRITES: u64 = 120;
const KILLS: usize = 3;

/// One loaded client: an OR-set of unique ids and a counter, with what it wrote.
struct Loaded {
    client: SyncClient,
    rec: Recorder,
    ids: Doc<OrSet<String>>,
    count: Doc<GCounter>,
    /// Ids written, with the sequence number `apply` returned for each.
    written: Arc<Mutex<Vec<(u64, String)>>>,
}

impl Loaded {
    /// Starts the client and a paced writer task (a load generator, not a wait).
    fn start(addr: SocketAddr, replica: u64) -> (Loaded, JoinHandle<()>) {
        // A fresh replica id: operations are submitted at once, with their seq.
        let mut config = fast_config(replica);
        config.replica = None;
        let client = SyncClient::connect(url(addr), config).unwrap();
        let rec = Recorder::new(&client);
        let ids = client.join::<OrSet<String>>("ids").unwrap();
        let count = client.join::<GCounter>("count").unwrap();
        let written: Arc<Mutex<Vec<(u64, String)>>> = Arc::default();
        let (w, i, c) = (written.clone(), ids.clone(), count.clone());
        let writer = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(8));
            for n in 0..WRITES {
                tick.tick().await;
                let id = format!("r{replica}-{n}");
                let applied = i.apply(OrSetOp::Add(id.clone())).unwrap();
                let seq = applied.seq().expect("a fresh id never waits");
                w.lock().unwrap().push((seq, id));
                c.apply(GCounterOp::Increment(1)).unwrap();
            }
        });
        let loaded = Loaded {
            client,
            rec,
            ids,
            count,
            written,
        };
        (loaded, writer)
    }
}

/// The ids the clients have seen acknowledged (cumulative acks cover lower seqs).
fn acked_ids(clients: &[Loaded]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for c in clients {
        let acked = c.rec.read(|r| r.acked.get("ids").copied().unwrap_or(0));
        let w = c.written.lock().unwrap();
        out.extend(
            w.iter()
                .filter(|(s, _)| *s <= acked)
                .map(|(_, id)| id.clone()),
        );
    }
    out
}

/// Waits until at least `target` ids are acked, bounded by [`WAIT`].
async fn until_acked_ids(clients: &[Loaded], target: usize) {
    let mut watches: Vec<_> = clients.iter().map(|c| c.rec.watch()).collect();
    let wait = async {
        loop {
            for w in &mut watches {
                w.borrow_and_update();
            }
            if acked_ids(clients).len() >= target {
                return;
            }
            let changed = watches.iter_mut().map(|w| Box::pin(w.changed()));
            let _ = futures_util::future::select_all(changed).await;
        }
    };
    tokio::time::timeout(WAIT, wait)
        .await
        .expect("acks in time");
}

#[tokio::test]
async fn sigkill_at_random_points_loses_no_acked_delta() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Binary::start(dir.path(), &[]).await;
    let addr = server.addr;
    let mut rng = Rng::new(SEED);
    let (clients, writers): (Vec<_>, Vec<_>) =
        (1..=CLIENTS).map(|r| Loaded::start(addr, r)).unzip();
    let mut acked_before_kills = BTreeSet::new();
    for _ in 0..KILLS {
        // Kill once the clients together saw a random number of further acks.
        let more = 5 + rng.below_inclusive(40) as usize;
        until_acked_ids(&clients, acked_ids(&clients).len() + more).await;
        server.kill_9().await;
        acked_before_kills.extend(acked_ids(&clients));
        server = Binary::start_on(dir.path(), addr, &[]).await;
    }
    for w in writers {
        tokio::time::timeout(WAIT * 2, w).await.unwrap().unwrap();
    }
    let all: BTreeSet<String> = (1..=CLIENTS)
        .flat_map(|r| (0..WRITES).map(move |n| format!("r{r}-{n}")))
        .collect();
    for c in &clients {
        until_within(&c.ids, WAIT * 2, |s| s.len() == all.len()).await;
        until_within(&c.count, WAIT, |x| x.value() == CLIENTS * WRITES).await;
        until_acked_within(&c.client, WAIT).await;
        let set: BTreeSet<String> = c.ids.read(|s| s.iter().cloned().collect()).unwrap();
        let lost: Vec<_> = acked_before_kills.difference(&set).collect();
        assert!(lost.is_empty(), "acked ids lost: {lost:?}");
        assert_eq!(set, all, "every id, acked or re-sent, is there");
        c.rec.read(|r| {
            assert_eq!(r.duplicates("ids"), vec![]);
            assert_eq!(r.duplicates("count"), vec![]);
            assert!(r.backoffs as usize >= 1, "the client saw the crashes");
        });
    }
    // A fresh replica reads everything from the (restarted) server alone.
    let fresh = SyncClient::connect(url(addr), fast_config(99)).unwrap();
    let ids = fresh.join::<OrSet<String>>("ids").unwrap();
    until_within(&ids, WAIT, |s| s.len() == all.len()).await;
    let count = fresh.join::<GCounter>("count").unwrap();
    until_within(&count, WAIT, |c| c.value() == CLIENTS * WRITES).await;
    assert!(acked_before_kills.len() >= KILLS * 5);
    drop((clients, fresh));
    server.kill_9().await;
}

#[tokio::test]
async fn after_sigterm_clients_back_off_and_resume_without_resync_or_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let server = Binary::start(dir.path(), &[]).await;
    let addr = server.addr;
    // One log entry per local delta, so every (replica, seq) is delivered on its own.
    let config = |replica| {
        let mut c = fast_config(replica);
        c.merger = Arc::new(NoMerge);
        c
    };
    let a = SyncClient::connect(url(addr), config(1)).unwrap();
    let b = SyncClient::connect(url(addr), config(2)).unwrap();
    let (mut ra, rb) = (Recorder::new(&a), Recorder::new(&b));
    let ca = a.join::<GCounter>("term").unwrap();
    let cb = b.join::<GCounter>("term").unwrap();
    for _ in 0..10 {
        ca.apply(GCounterOp::Increment(1)).unwrap();
        cb.apply(GCounterOp::Increment(1)).unwrap();
    }
    until_within(&ca, WAIT, |c| c.value() == 20).await;
    until_within(&cb, WAIT, |c| c.value() == 20).await;
    until_acked_within(&a, WAIT).await;
    until_acked_within(&b, WAIT).await;

    let mut server = server;
    kill(Pid::from_raw(server.pid()), Signal::SIGTERM).unwrap();
    let status = tokio::time::timeout(WAIT, server.child.wait())
        .await
        .unwrap();
    assert!(status.unwrap().success());
    ra.until(WAIT, |r| r.backoffs >= 1).await;
    assert_ne!(a.state(), ClientState::Connected);
    // Offline writes wait in the outbox.
    ca.apply(GCounterOp::Increment(100)).unwrap();
    cb.apply(GCounterOp::Increment(1000)).unwrap();
    assert!(a.outbox_len() > 0 && b.outbox_len() > 0);

    let server = Binary::start_on(dir.path(), addr, &[]).await;
    until_within(&ca, WAIT, |c| c.value() == 1120).await;
    until_within(&cb, WAIT, |c| c.value() == 1120).await;
    until_acked_within(&a, WAIT).await;
    until_acked_within(&b, WAIT).await;
    assert_eq!(a.state(), ClientState::Connected);
    for (rec, other) in [(&ra, 2u64), (&rb, 1)] {
        rec.read(|r| {
            assert!(r.resyncs.is_empty(), "resumed at the same epoch: {r:?}");
            assert_eq!(r.duplicates("term"), vec![]);
            assert!(r.backoffs >= 1);
            // Every delta of the other replica arrived once, across both connections.
            assert_eq!(r.seqs_from("term", other), (1..=11).collect::<Vec<u64>>());
        });
    }
    assert!(a.metrics().reconnects >= 1);
    drop((a, b));
    let mut server = server;
    server.kill_9().await;
}
