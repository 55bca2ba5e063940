//! The Redis backend on a real `redis-server` (each test starts its own, see
//! [`RedisServer`]): the reference backend's completions, what survives a backend
//! restart and a SIGKILL of Redis, the append script's refusals, folds, and the
//! durability check at start.

use std::sync::Arc;

use bytes::Bytes;
use syncwire_proto::hub::{OpId, StorageAction as A, StorageCompletion, StoredEntry};
use syncwire_proto::wire::{ReplicaId, RoomId};

use super::Backend;
use super::redis_backend::{RedisBackend, RedisOptions};
use super::redis_server::RedisServer;
use super::tests::{
    Concat, entry, fold_to, keeps_everything_across_reopen, matches_the_reference, room_with,
    snapshot_of,
};

fn options(server: &RedisServer) -> RedisOptions {
    RedisOptions {
        url: server.url(),
        wait_replicas: 0,
        allow_unsafe_durability: false,
        wait_ms: 200,
    }
}

fn open(server: &RedisServer) -> RedisBackend {
    RedisBackend::open(&options(server), Arc::new(Concat)).unwrap()
}

#[test]
fn redis_matches_the_reference_backend() {
    let dir = tempfile::tempdir().unwrap();
    let server = RedisServer::start(dir.path());
    matches_the_reference(&mut open(&server));
}

#[test]
fn redis_keeps_everything_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let server = RedisServer::start(dir.path());
    keeps_everything_across_reopen(&mut || Box::new(open(&server)));
}

fn append(op: u64, epoch: u64, entries: Vec<StoredEntry>) -> A {
    A::Append {
        op: OpId(op),
        room: RoomId::new("f"),
        epoch,
        entries,
    }
}

fn refusal(done: &[StorageCompletion]) -> String {
    match done {
        [StorageCompletion::Appended { result: Err(e), .. }] => e.0.clone(),
        other => panic!("not refused: {other:?}"),
    }
}

#[test]
fn the_append_script_refuses_a_wrong_head_epoch_or_sequence_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = RedisServer::start(dir.path());
    let mut b = open(&server);
    room_with(&mut b, 2); // offsets 0, 1; replica 1 at seq 2
    let cases = [
        (append(3, 3, vec![entry(3, 1, 3)]), "append not at head"),
        (append(4, 3, vec![entry(1, 1, 3)]), "append not at head"),
        (append(5, 4, vec![entry(2, 1, 3)]), "epoch mismatch"),
        // A good first entry does not let a gap after it through.
        (
            append(6, 3, vec![entry(2, 1, 3), entry(3, 1, 5)]),
            "sequence gap: replica 1 expected seq 4",
        ),
        (append(7, 3, vec![entry(2, 1, 2)]), "sequence gap"),
        (
            append(8, 3, vec![entry(2, 1, 3), entry(3, 1, 3)]),
            "sequence gap",
        ),
        (append(9, 3, vec![entry(2, 9, 2)]), "expected seq 1"),
    ];
    for (action, why) in cases {
        let got = refusal(&b.execute_batch(vec![action]));
        assert!(got.contains(why), "{got:?} should say {why:?}");
    }
    // Nothing of the refused appends is stored; the right next append goes through.
    let ok = b.execute_batch(vec![append(10, 3, vec![entry(2, 1, 3), entry(3, 7, 1)])]);
    assert!(matches!(
        &ok[..],
        [StorageCompletion::Appended { result: Ok(()), .. }]
    ));
    let load = b.execute_batch(vec![A::Load {
        op: OpId(11),
        room: RoomId::new("f"),
        tail_limit: 10,
    }]);
    let [
        StorageCompletion::Loaded {
            result: Ok(Some(r)),
            ..
        },
    ] = &load[..]
    else {
        panic!("{load:?}");
    };
    assert_eq!(r.head, 4);
    assert_eq!(r.seqs, vec![(ReplicaId(1), 3), (ReplicaId(7), 1)]);
    let offsets: Vec<u64> = r.tail.iter().map(|e| e.offset).collect();
    assert_eq!(offsets, vec![0, 1, 2, 3]);
}

#[test]
fn a_fold_keeps_every_entry_at_or_above_the_snapshot_offset() {
    let dir = tempfile::tempdir().unwrap();
    let server = RedisServer::start(dir.path());
    let mut b = open(&server);
    room_with(&mut b, 10);
    let done = b.execute_batch(vec![fold_to(5, 6)]);
    let [
        StorageCompletion::Folded {
            result: Ok(Some(s)),
            ..
        },
    ] = &done[..]
    else {
        panic!("{done:?}");
    };
    assert_eq!((s.offset, &s.state[..]), (6, &b"p0p1p2p3p4p5"[..]));
    assert_eq!(snapshot_of(&mut b).map(|s| s.offset), Some(6));
    let range = b.execute_batch(vec![A::LoadRange {
        op: OpId(6),
        room: RoomId::new("f"),
        epoch: 3,
        from: 0,
        max_entries: 100,
    }]);
    assert!(matches!(&range[..], [StorageCompletion::Range { result: Ok(v), .. }] if v.is_empty()));
    let range = b.execute_batch(vec![A::LoadRange {
        op: OpId(7),
        room: RoomId::new("f"),
        epoch: 3,
        from: 6,
        max_entries: 100,
    }]);
    let [StorageCompletion::Range { result: Ok(v), .. }] = &range[..] else {
        panic!("{range:?}");
    };
    let offsets: Vec<u64> = v.iter().map(|e| e.offset).collect();
    assert_eq!(offsets, vec![6, 7, 8, 9]);
    assert_eq!(v[0].payload, Bytes::from_static(b"p6"));
    // A fold whose room changed before its commit (here: recreated in the same
    // batch) stores nothing and reports the snapshot the room has.
    let stale = b.execute_batch(vec![
        fold_to(8, 9),
        A::Create {
            op: OpId(9),
            room: RoomId::new("f"),
            crdt: "c".into(),
            epoch: 4,
        },
    ]);
    assert!(
        matches!(
            &stale[0],
            StorageCompletion::Folded {
                result: Ok(None),
                ..
            }
        ),
        "{stale:?}"
    );
    assert_eq!(snapshot_of(&mut b), None);
}

#[test]
fn an_acked_append_survives_a_sigkill_of_redis_and_the_backend_reconnects() {
    let dir = tempfile::tempdir().unwrap();
    let server = RedisServer::start(dir.path());
    let mut b = open(&server);
    let acked = room_with(&mut b, 50);
    assert!(acked.iter().all(|c| matches!(
        c,
        StorageCompletion::Created { result: Ok(()), .. }
            | StorageCompletion::Appended { result: Ok(()), .. }
    )));
    let mut server = server;
    server.kill();
    // Redis is gone: the batch fails with a storage error (no panic, no hang).
    let load = || A::Load {
        op: OpId(3),
        room: RoomId::new("f"),
        tail_limit: 100,
    };
    let down = b.execute_batch(vec![load()]);
    assert!(
        matches!(
            &down[..],
            [StorageCompletion::Loaded { result: Err(_), .. }]
        ),
        "{down:?}"
    );
    let down = b.execute_batch(vec![load()]);
    let [StorageCompletion::Loaded { result: Err(e), .. }] = &down[..] else {
        panic!("{down:?}");
    };
    assert!(e.0.contains("unreachable"), "{e:?}");
    let server = server.restart();
    // The backend reconnects by itself on the next batch.
    let up = b.execute_batch(vec![load()]);
    let snapshot = match &up[..] {
        [StorageCompletion::Loaded { result: Ok(r), .. }] => r.clone(),
        other => panic!("{other:?}"),
    };
    let record = snapshot.expect("the room survived");
    assert_eq!(record.head, 50);
    assert_eq!(record.tail.len(), 50);
    drop(server);
}

#[test]
fn a_redis_that_does_not_fsync_every_write_is_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let server = RedisServer::start_with(dir.path(), port, &["--appendfsync", "everysec"]);
    let refused = RedisBackend::open(&options(&server), Arc::new(Concat)).err();
    let msg = refused.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        msg.contains("appendfsync") && msg.contains("always"),
        "{msg}"
    );
    let unsafe_ok = RedisOptions {
        allow_unsafe_durability: true,
        ..options(&server)
    };
    assert!(RedisBackend::open(&unsafe_ok, Arc::new(Concat)).is_ok());
    drop(server);
    // Nobody listens there any more: a clear error at start.
    let gone = RedisBackend::open(&unsafe_ok, Arc::new(Concat)).err();
    let msg = gone.map(|e| e.to_string()).unwrap_or_default();
    assert!(msg.contains("unreachable"), "{msg}");
}

#[test]
fn scripts_lost_by_redis_are_loaded_again() {
    let dir = tempfile::tempdir().unwrap();
    let server = RedisServer::start(dir.path());
    let mut b = open(&server);
    room_with(&mut b, 3);
    let client = redis::Client::open(server.url()).unwrap();
    let mut c = client.get_connection().unwrap();
    redis::cmd("SCRIPT").arg("FLUSH").exec(&mut c).unwrap();
    let ok = b.execute_batch(vec![append(4, 3, vec![entry(3, 1, 4)]), fold_to(5, 2)]);
    assert!(
        matches!(
            &ok[..],
            [
                StorageCompletion::Appended { result: Ok(()), .. },
                StorageCompletion::Folded {
                    result: Ok(Some(_)),
                    ..
                }
            ]
        ),
        "{ok:?}"
    );
}

#[test]
fn writes_wait_for_the_replicas_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let replica_dir = tempfile::tempdir().unwrap();
    let server = RedisServer::start(dir.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let primary = server.port().to_string();
    let replica = RedisServer::start_with(
        replica_dir.path(),
        port,
        &[
            "--appendfsync",
            "always",
            "--replicaof",
            "127.0.0.1",
            &primary,
        ],
    );
    wait_for_online_replica(&server);
    let with = |n| RedisOptions {
        wait_replicas: n,
        wait_ms: 2_000,
        ..options(&server)
    };
    let mut one = RedisBackend::open(&with(1), Arc::new(Concat)).unwrap();
    let done = room_with(&mut one, 2);
    assert!(
        done.iter().all(|c| matches!(
            c,
            StorageCompletion::Created { result: Ok(()), .. }
                | StorageCompletion::Appended { result: Ok(()), .. }
        )),
        "{done:?}"
    );
    let mut two = RedisBackend::open(
        &RedisOptions {
            wait_ms: 100,
            ..with(2)
        },
        Arc::new(Concat),
    )
    .unwrap();
    let refused = two.execute_batch(vec![append(9, 3, vec![entry(2, 1, 3)])]);
    let [StorageCompletion::Appended { result: Err(e), .. }] = &refused[..] else {
        panic!("{refused:?}");
    };
    assert!(e.0.contains("1 of 2 replicas"), "{e:?}");
    drop(replica);
}

/// Polls the primary (bounded) until a replica is online.
fn wait_for_online_replica(server: &RedisServer) {
    let client = redis::Client::open(server.url()).unwrap();
    let mut c = client.get_connection().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let info: String = redis::cmd("INFO").arg("replication").query(&mut c).unwrap();
        if info.contains("state=online") {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no replica online: {info}"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}
