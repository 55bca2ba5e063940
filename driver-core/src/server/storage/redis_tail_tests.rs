//! The tail feed on a real `redis-server`: it hands the hub what any node appended
//! (with the epoch each entry was appended at, from the room's head on), reports
//! Redis going away and coming back, and reconnects by itself; more rooms than one
//! `XREAD` takes are all followed (the pipelined groups).

use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use syncwire_proto::hub::{HubEvent, NewEntry, OpId, StorageAction as A};
use syncwire_proto::wire::{ReplicaId, RoomId};

use super::Backend;
use super::fixtures::Concat;
use super::redis_backend::RedisBackend;
use super::redis_server::RedisServer;
use super::redis_tail::spawn;
use super::redis_tests::options;
use crate::server::tail::{Appended, FeedHealth, Follows};

const WAIT: Duration = Duration::from_secs(10);

fn append(backend: &mut RedisBackend, seqs: std::ops::RangeInclusive<u64>) {
    let entries = seqs
        .map(|seq| NewEntry {
            replica: ReplicaId(1),
            seq,
            payload: Bytes::from_static(b"x"),
        })
        .collect();
    let done = backend.execute_batch(vec![A::AppendShared {
        op: OpId(2),
        room: RoomId::new("t"),
        epoch: 5,
        entries,
    }]);
    assert!(format!("{done:?}").contains("Ok(["), "{done:?}");
}

/// Offsets handed until `n` arrived (bounded).
fn offsets(rx: &mpsc::Receiver<Appended>, n: usize) -> Vec<u64> {
    let mut got = Vec::new();
    while got.len() < n {
        let a = rx.recv_timeout(WAIT).expect("entries in time");
        assert_eq!((a.room.as_str(), a.epoch), ("t", 5));
        got.extend(a.entries.iter().map(|e| e.offset));
    }
    got
}

fn until(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !cond() {
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn the_feed_hands_what_was_appended_and_reconnects_after_redis_went_away() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = RedisServer::start(dir.path());
    let mut backend = RedisBackend::open(&options(&server), Arc::new(Concat)).unwrap();
    backend.execute_batch(vec![A::Create {
        op: OpId(1),
        room: RoomId::new("t"),
        crdt: "c".into(),
        epoch: 5,
    }]);
    append(&mut backend, 1..=2);
    let follows = Arc::new(Follows::default());
    // Loaded with head 1: offset 0 is the hub's already.
    follows.on_event(&HubEvent::RoomLoaded {
        room: RoomId::new("t"),
        epoch: 5,
        head: 1,
        created: false,
    });
    let health = FeedHealth::default();
    let (tx, rx) = mpsc::sync_channel(4);
    spawn(&server.url(), &follows, health.clone(), move |a| {
        tx.send(a).map_err(drop)
    })
    .unwrap();
    assert_eq!(offsets(&rx, 1), [1]);
    append(&mut backend, 3..=5);
    assert_eq!(offsets(&rx, 3), [2, 3, 4]);

    server.kill();
    until("the feed reports Redis unreachable", || !health.reachable());
    let _server = server.restart();
    until("the feed reconnects by itself", || health.reachable());
    // The backend's first batch finds its connection dead (and drops it).
    let _ = backend.execute_batch(vec![A::Load {
        op: OpId(3),
        room: RoomId::new("t"),
        tail_limit: 0,
    }]);
    append(&mut backend, 6..=6);
    assert_eq!(offsets(&rx, 1), [5]);
    // Unfollowed: nothing more is handed.
    follows.on_event(&HubEvent::RoomUnloaded {
        room: RoomId::new("t"),
    });
    append(&mut backend, 7..=7);
    assert!(rx.recv_timeout(Duration::from_millis(300)).is_err());
}

#[test]
fn more_rooms_than_one_xread_takes_are_all_followed() {
    let dir = tempfile::tempdir().unwrap();
    let server = RedisServer::start(dir.path());
    let mut backend = RedisBackend::open(&options(&server), Arc::new(Concat)).unwrap();
    let n = super::redis_tail::MAX_STREAMS + 44;
    let follows = Arc::new(Follows::default());
    let room = |i: usize| RoomId::new(&format!("m{i}"));
    let mut batch = Vec::new();
    for i in 0..n {
        batch.push(A::Create {
            op: OpId(1),
            room: room(i),
            crdt: "c".into(),
            epoch: 5,
        });
        follows.on_event(&HubEvent::RoomLoaded {
            room: room(i),
            epoch: 5,
            head: 0,
            created: true,
        });
    }
    backend.execute_batch(batch);
    let (tx, rx) = mpsc::sync_channel(16);
    spawn(&server.url(), &follows, FeedHealth::default(), move |a| {
        tx.send(a).map_err(drop)
    })
    .unwrap();
    let appends = (0..n)
        .map(|i| A::AppendShared {
            op: OpId(2),
            room: room(i),
            epoch: 5,
            entries: vec![NewEntry {
                replica: ReplicaId(1),
                seq: 1,
                payload: Bytes::from_static(b"x"),
            }],
        })
        .collect();
    backend.execute_batch(appends);
    let mut seen = std::collections::BTreeSet::new();
    while seen.len() < n {
        let a = rx.recv_timeout(WAIT).expect("every room's entry in time");
        assert_eq!(a.entries.len(), 1);
        assert!(seen.insert(a.room.as_str().to_owned()), "handed once");
    }
}
