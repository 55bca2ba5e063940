//! Every built-in CRDT type syncs between two `SyncClient`s through the in-process
//! server, with concurrent operations in every round; a third client joining late
//! (after the hub compacted each room's log into a snapshot) gets snapshot + tail
//! and ends with exactly the same state.
#![cfg(all(feature = "client", feature = "cli"))]

mod common;

use std::collections::BTreeSet;

use common::sync::{
    Recorder, fast_config, fast_fresh_config, until_acked_within, until_equal, url,
};
use common::{Running, WAIT, http_get};
use syncwire_tokio::client::{Doc, SyncClient};
use syncwire_tokio::proto::crdt::{
    AnyCrdt, AnyOp, DeltaCrdt, GCounter, GCounterOp, LwwOp, LwwRegister, MapOp, MvOp, MvRegister,
    OrMap, OrSet, OrSetOp, PnCounter, PnCounterOp, Value,
};
use syncwire_tokio::server::ServerConfig;

const ROUNDS: u64 = 12;

/// The six documents of one client.
struct Docs {
    g: Doc<GCounter>,
    pn: Doc<PnCounter>,
    lww: Doc<LwwRegister<String>>,
    mv: Doc<MvRegister<String>>,
    set: Doc<OrSet<String>>,
    map: Doc<OrMap>,
}

impl Docs {
    fn join(c: &SyncClient) -> Docs {
        Docs {
            g: c.join("gcounter").unwrap(),
            pn: c.join("pncounter").unwrap(),
            lww: c.join("lww").unwrap(),
            mv: c.join("mvreg").unwrap(),
            set: c.join("orset").unwrap(),
            map: c.join("map").unwrap(),
        }
    }

    async fn until_equal(&self, o: &Docs) {
        until_equal(&self.g, &o.g).await;
        until_equal(&self.pn, &o.pn).await;
        until_equal(&self.lww, &o.lww).await;
        until_equal(&self.mv, &o.mv).await;
        until_equal(&self.set, &o.set).await;
        until_equal(&self.map, &o.map).await;
    }
}

fn s(x: impl Into<String>) -> String {
    x.into()
}

/// One round: A and B operate on every document without seeing each other's op.
fn round(i: u64, a: &Docs, b: &Docs) {
    a.g.apply(GCounterOp::Increment(1)).unwrap();
    b.g.apply(GCounterOp::Increment(2)).unwrap();
    a.pn.apply(PnCounterOp::Increment(3)).unwrap();
    b.pn.apply(PnCounterOp::Decrement(1)).unwrap();
    a.lww.apply(LwwOp::Set(format!("a{i}"))).unwrap();
    b.lww.apply(LwwOp::Set(format!("b{i}"))).unwrap();
    a.mv.apply(MvOp::Set(format!("a{i}"))).unwrap();
    b.mv.apply(MvOp::Set(format!("b{i}"))).unwrap();
    a.set.apply(OrSetOp::Add(format!("a{i}"))).unwrap();
    b.set.apply(OrSetOp::Add(format!("b{i}"))).unwrap();
    if i % 3 == 2 {
        // Removes an element both have seen (added in the previous round).
        a.set.apply(OrSetOp::Remove(format!("b{}", i - 1))).unwrap();
    }
    let title = MapOp::set("title", format!("t{i}"));
    a.map
        .apply(MapOp::nested(format!("todo{i}"), title))
        .unwrap();
    let like = AnyOp::GCounter(GCounterOp::Increment(1));
    b.map.apply(MapOp::update("likes", like)).unwrap();
    let tag = AnyOp::OrSet(OrSetOp::Add(Value::from(format!("tag{i}"))));
    b.map.apply(MapOp::update("tags", tag)).unwrap();
    if i % 4 == 3 {
        b.map
            .apply(MapOp::remove(format!("todo{}", i - 1)))
            .unwrap();
    }
}

fn read<C: DeltaCrdt, R>(d: &Doc<C>, f: impl FnOnce(&C) -> R) -> R {
    d.read(f).unwrap()
}

/// The state both replicas must reach after all rounds.
fn check_final(d: &Docs) {
    assert_eq!(read(&d.g, |c| c.value()), ROUNDS * 3);
    assert_eq!(read(&d.pn, |c| c.value()), ROUNDS as i64 * 2);
    let last = ROUNDS - 1;
    let lww = read(&d.lww, |r| r.get().cloned());
    assert!(
        lww == Some(format!("a{last}")) || lww == Some(format!("b{last}")),
        "the last write wins: {lww:?}"
    );
    let mv: BTreeSet<String> = read(&d.mv, |r| r.values().cloned().collect());
    assert_eq!(mv, BTreeSet::from([format!("a{last}"), format!("b{last}")]));
    assert!(read(&d.mv, |r| r.is_conflicted()));
    let set: BTreeSet<String> = read(&d.set, |x| x.iter().cloned().collect());
    let mut expected = BTreeSet::new();
    for i in 0..ROUNDS {
        expected.insert(format!("a{i}"));
        if i % 3 != 1 {
            expected.insert(format!("b{i}"));
        }
    }
    assert_eq!(set, expected);
    let map = d.map.state().unwrap();
    let todos: BTreeSet<&String> = map.keys().filter(|k| k.starts_with("todo")).collect();
    let expected: BTreeSet<String> = (0..ROUNDS)
        .filter(|i| i % 4 != 2)
        .map(|i| format!("todo{i}"))
        .collect();
    assert_eq!(todos, expected.iter().collect());
    match map.get("likes") {
        Some(AnyCrdt::GCounter(c)) => assert_eq!(c.value(), ROUNDS),
        other => panic!("likes: {other:?}"),
    }
    match map.get("tags") {
        Some(AnyCrdt::OrSet(t)) => assert_eq!(t.len() as u64, ROUNDS),
        other => panic!("tags: {other:?}"),
    }
    let title = map
        .get("todo0")
        .and_then(|v| v.as_map().and_then(|m| m.get("title")));
    assert_eq!(
        title.as_ref().and_then(AnyCrdt::as_lww),
        Some(&Value::from(s("t0")))
    );
}

#[tokio::test]
async fn every_crdt_type_syncs_and_a_late_joiner_gets_snapshot_and_tail() {
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.hub_mut().max_tail_entries = 8;
    let server = Running::start(config).await;
    // Fresh replica ids: each round's operations apply at once, locally.
    let a = SyncClient::connect(url(server.addr), fast_fresh_config()).unwrap();
    let b = SyncClient::connect(url(server.addr), fast_fresh_config()).unwrap();
    let (da, db) = (Docs::join(&a), Docs::join(&b));
    for i in 0..ROUNDS {
        round(i, &da, &db);
        da.until_equal(&db).await;
    }
    check_final(&da);
    check_final(&db);
    until_acked_within(&a, WAIT).await;
    until_acked_within(&b, WAIT).await;

    let (_, metrics) = http_get(server.addr, "/metrics").await;
    let compactions: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("syncwire_compactions_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no compaction metric in {metrics}"));
    assert!(compactions >= 6, "every room compacted: {compactions}");

    let c = SyncClient::connect(url(server.addr), fast_config(3)).unwrap();
    let rec = Recorder::new(&c);
    let dc = Docs::join(&c);
    dc.until_equal(&da).await;
    check_final(&dc);
    rec.read(|r| {
        for room in ["gcounter", "pncounter", "lww", "mvreg", "orset", "map"] {
            // The late joiner starts from the compacted snapshot. If a fold that
            // was still running when it joined deleted entries it was being caught
            // up with, the hub closes it `SLOW_CONSUMER` and it resumes into a
            // second resync (PROTOCOL.md §8.3/§8.4): allowed once, never a delta
            // stream that skips the snapshot.
            let resyncs = r.resyncs.get(room).map(Vec::as_slice).unwrap_or_default();
            assert!(
                matches!(resyncs, [true] | [true, true]),
                "{room}: the late joiner starts from the compacted snapshot: {resyncs:?}"
            );
            let tail = r.deliveries.keys().filter(|(rm, _, _)| rm == room).count();
            assert!(
                tail < (ROUNDS * 2) as usize,
                "{room}: only the tail is replayed"
            );
        }
    });
    drop((a, b, c));
    server.stop().await;
}
