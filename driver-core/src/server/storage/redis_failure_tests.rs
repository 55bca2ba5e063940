//! The Redis backend when things go wrong, on a real `redis-server` of each test: an
//! acked append survives a SIGKILL of Redis and the backend reconnects by itself, a
//! Redis that lost its scripts gets them again, a Redis that does not fsync every
//! write (or none at all) is refused at start, and `WAIT` for replicas.

use std::sync::Arc;

use syncwire_proto::hub::{OpId, StorageAction as A, StorageCompletion};
use syncwire_proto::wire::RoomId;

use super::Backend;
use super::fixtures::{Concat, entry, fold_to, room_with};
use super::redis_backend::{RedisBackend, RedisOptions};
use super::redis_server::RedisServer;
use super::redis_tests::{append, options};

fn open(server: &RedisServer) -> RedisBackend {
    RedisBackend::open(&options(server), Arc::new(Concat)).unwrap()
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
    let server = RedisServer::start_with(
        dir.path(),
        RedisServer::free_port(),
        &["--appendfsync", "everysec"],
    );
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
    // No delay before the replica's first sync (Redis waits 5 s by default).
    let server = RedisServer::start_with(
        dir.path(),
        RedisServer::free_port(),
        &["--appendfsync", "always", "--repl-diskless-sync-delay", "0"],
    );
    let port = RedisServer::free_port();
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
