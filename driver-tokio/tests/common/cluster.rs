//! Several `syncwire serve --redis` processes (the real binary) on one test
//! `redis-server`, and writers: `SyncClient`s given every node's URL (starting at
//! one of them), each with one document of every CRDT type in its group's rooms and
//! a [`Recorder`] of what it was delivered. The checks read client-side records
//! only: convergence, exact totals, every (replica, seq) delivered exactly once.

use std::collections::HashMap;
use std::path::Path;

use syncwire_tokio::client::{Doc, HubUrls, SyncClient};
use syncwire_tokio::proto::crdt::{
    AnyCrdt, AnyOp, GCounter, GCounterOp, LwwOp, LwwRegister, MapOp, MvOp, MvRegister, OrMap,
    OrSet, OrSetOp, PnCounter, PnCounterOp,
};

use super::WAIT;
use super::binary::Binary;
use super::redis::RedisServer;
use super::sync::{Recorder, fast_config, until_acked_within, until_equal, url};

/// Nodes of one deployment on one Redis.
pub struct Cluster {
    pub redis: RedisServer,
    pub nodes: Vec<Binary>,
}

impl Cluster {
    /// `n` nodes (`syncwire serve --redis`) on a new `redis-server` in `dir`.
    pub async fn start(dir: &Path, n: usize) -> Cluster {
        Cluster::start_with(dir, n, &[]).await
    }

    /// [`Cluster::start`] with `extra` arguments for every node.
    pub async fn start_with(dir: &Path, n: usize, extra: &[&str]) -> Cluster {
        let redis = RedisServer::start(dir);
        let url = redis.url();
        let mut nodes = Vec::new();
        for _ in 0..n {
            let any = "127.0.0.1:0".parse().unwrap();
            let mut args = vec!["--redis", url.as_str()];
            args.extend_from_slice(extra);
            nodes.push(Binary::start_args(any, &args).await);
        }
        Cluster { redis, nodes }
    }

    /// Every node's URL, starting with node `first` (then round-robin).
    pub fn urls_from(&self, first: usize) -> HubUrls {
        let n = self.nodes.len();
        HubUrls::new((0..n).map(|k| url(self.nodes[(first + k) % n].addr))).unwrap()
    }
}

/// The CRDT type names of a writer's rooms, in [`Docs`] order.
pub const TYPES: [&str; 6] = ["gcounter", "pncounter", "lww", "mvreg", "orset", "map"];

/// One document of every type, in the rooms `<group>/<type>`.
pub struct Docs {
    pub g: Doc<GCounter>,
    pub pn: Doc<PnCounter>,
    pub lww: Doc<LwwRegister<String>>,
    pub mv: Doc<MvRegister<String>>,
    pub set: Doc<OrSet<String>>,
    pub map: Doc<OrMap>,
}

/// A client of the cluster writing in one group of rooms.
pub struct Writer {
    pub replica: u64,
    pub group: String,
    pub client: SyncClient,
    pub rec: Recorder,
    pub docs: Docs,
}

impl Writer {
    /// Replica `replica` in rooms `<group>/*`, connecting to node `first` first.
    pub fn join(cluster: &Cluster, first: usize, replica: u64, group: &str) -> Writer {
        let client = SyncClient::connect(cluster.urls_from(first), fast_config(replica)).unwrap();
        let rec = Recorder::new(&client);
        let room = |t: &str| format!("{group}/{t}");
        let docs = Docs {
            g: client.join(&room("gcounter")).unwrap(),
            pn: client.join(&room("pncounter")).unwrap(),
            lww: client.join(&room("lww")).unwrap(),
            mv: client.join(&room("mvreg")).unwrap(),
            set: client.join(&room("orset")).unwrap(),
            map: client.join(&room("map")).unwrap(),
        };
        Writer {
            replica,
            group: group.to_owned(),
            client,
            rec,
            docs,
        }
    }

    /// The rooms it joined.
    pub fn rooms(&self) -> Vec<String> {
        TYPES
            .iter()
            .map(|t| format!("{}/{t}", self.group))
            .collect()
    }

    /// Waits until every room was joined once.
    pub async fn until_joined(&mut self) {
        let rooms = self.rooms();
        self.rec
            .until(WAIT, |r| {
                rooms.iter().all(|room| r.joined.contains_key(room))
            })
            .await;
    }

    /// Round `i`: one operation on every document.
    pub fn round(&self, i: u64) {
        let me = format!("r{}-{i}", self.replica);
        let d = &self.docs;
        d.g.apply(GCounterOp::Increment(1)).unwrap();
        let pn = if i % 2 == 0 {
            PnCounterOp::Increment(2)
        } else {
            PnCounterOp::Decrement(1)
        };
        d.pn.apply(pn).unwrap();
        d.lww.apply(LwwOp::Set(me.clone())).unwrap();
        d.mv.apply(MvOp::Set(me.clone())).unwrap();
        d.set.apply(OrSetOp::Add(me)).unwrap();
        let like = AnyOp::GCounter(GCounterOp::Increment(1));
        d.map.apply(MapOp::update("likes", like)).unwrap();
    }

    /// Waits until every local operation was acked.
    pub async fn until_acked(&self) {
        until_acked_within(&self.client, WAIT * 3).await;
    }

    /// The highest acked seq per room.
    pub fn acked(&self) -> HashMap<String, u64> {
        self.rec.read(|r| r.acked.clone())
    }
}

/// `n` writers in groups `g0..g{groups}`: writer `i` in group `i % groups`, first
/// connected to node `(i / groups) % nodes`, so every group spans every node.
pub async fn writers(cluster: &Cluster, n: u64, groups: u64) -> Vec<Writer> {
    let nodes = cluster.nodes.len();
    let mut out: Vec<Writer> = (0..n)
        .map(|i| {
            let first = usize::try_from(i / groups).unwrap() % nodes;
            Writer::join(cluster, first, i + 1, &format!("g{}", i % groups))
        })
        .collect();
    for w in &mut out {
        w.until_joined().await;
    }
    out
}

/// Every writer acked; every group converged, exact, delivered exactly once.
pub async fn check_all(all: &[Writer], groups: u64, rounds: u64) {
    for w in all {
        w.until_acked().await;
    }
    for g in 0..groups {
        let name = format!("g{g}");
        let group: Vec<&Writer> = all.iter().filter(|w| w.group == name).collect();
        check_group(&group, rounds).await;
        check_exactly_once(&group).await;
    }
}

/// `Joined` events (joins and re-joins) over all writers.
pub fn joins(all: &[Writer]) -> u32 {
    all.iter()
        .map(|w| w.rec.read(|r| r.joined.values().sum::<u32>()))
        .sum()
}

/// `Resync` events over all writers.
pub fn resyncs(all: &[Writer]) -> usize {
    all.iter()
        .map(|w| {
            w.rec
                .read(|r| r.resyncs.values().map(Vec::len).sum::<usize>())
        })
        .sum()
}

/// The state every writer of a group must reach: `writers` writers ran `rounds`
/// rounds each (replicas listed), and all documents of the group are equal.
pub async fn check_group(group: &[&Writer], rounds: u64) {
    let first = group[0];
    for w in &group[1..] {
        until_equal(&first.docs.g, &w.docs.g).await;
        until_equal(&first.docs.pn, &w.docs.pn).await;
        until_equal(&first.docs.lww, &w.docs.lww).await;
        until_equal(&first.docs.mv, &w.docs.mv).await;
        until_equal(&first.docs.set, &w.docs.set).await;
        until_equal(&first.docs.map, &w.docs.map).await;
    }
    let n = group.len() as u64;
    let d = &first.docs;
    assert_eq!(d.g.read(|c| c.value()).unwrap(), n * rounds, "each op once");
    let pn_one: i64 = (0..rounds).map(|i| if i % 2 == 0 { 2 } else { -1 }).sum();
    assert_eq!(d.pn.read(|c| c.value()).unwrap(), pn_one * n as i64);
    assert_eq!(d.set.read(|s| s.len()).unwrap() as u64, n * rounds);
    match d.map.read(|m| m.get("likes")).unwrap() {
        Some(AnyCrdt::GCounter(c)) => assert_eq!(c.value(), n * rounds),
        other => panic!("likes: {other:?}"),
    }
    let lww = d.lww.read(|r| r.get().cloned()).unwrap();
    assert!(lww.is_some_and(|v| v.ends_with(&format!("-{}", rounds - 1))));
}

/// Every writer of `group` was delivered every other writer's acked seqs exactly
/// once, in every room. Polled until it holds (bounded): acks and deliveries reach
/// the records through each client's event task.
pub async fn check_exactly_once(group: &[&Writer]) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let acked: Vec<(u64, HashMap<String, u64>)> =
            group.iter().map(|w| (w.replica, w.acked())).collect();
        let missing = group.iter().find_map(|w| {
            let rooms = w.rooms();
            w.rec.read(|r| {
                for room in &rooms {
                    for (rep, a) in acked.iter().filter(|(rep, _)| *rep != w.replica) {
                        let top = a.get(room).copied().unwrap_or(0);
                        let got = r.seqs_from(room, *rep);
                        if got != (1..=top).collect::<Vec<u64>>() {
                            return Some(format!(
                                "{} was delivered {got:?} of {rep} in {room}, acked 1..={top}",
                                w.replica
                            ));
                        }
                    }
                }
                None
            })
        });
        let Some(missing) = missing else { break };
        assert!(tokio::time::Instant::now() < deadline, "{missing}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    for w in group {
        w.rec.read(|r| {
            for room in &w.rooms() {
                assert!(
                    r.duplicates(room).is_empty(),
                    "{room}: {:?}",
                    r.duplicates(room)
                );
            }
            assert_eq!(r.rejected, 0, "no delta refused for good");
        });
    }
}
