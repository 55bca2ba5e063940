//! The Redis backend when things go wrong, on a real `redis-server` of each test: an
//! acked append survives a SIGKILL of Redis and the backend reconnects by itself, a
//! Redis that lost its scripts gets them again, and while a reconnect is refused for
//! durability the storage worker reports storage failed until Redis is fixed. (Which
//! Redis settings could lose acked writes: `redis_durability_tests`.)

use std::sync::Arc;
use std::time::{Duration, Instant};

use syncwire_proto::hub::{OpId, StorageAction as A, StorageCompletion, StorageError};
use syncwire_proto::wire::RoomId;

use super::Backend;
use super::fixtures::{entry, fold_to, room_with};
use super::redis_server::RedisServer;
use super::redis_tests::{append, open};
use super::worker;
use crate::server::ServerCounters;

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

/// `CONFIG SET name value` on `c`.
pub(super) fn config_set(c: &mut redis::Connection, name: &str, value: &str) {
    let cmd = redis::cmd("CONFIG").arg("SET").arg(name).arg(value).clone();
    cmd.exec(c).unwrap();
}

#[test]
fn while_redis_is_refused_for_durability_storage_is_reported_failed_until_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let server = RedisServer::start(dir.path());
    let mut b = open(&server);
    room_with(&mut b, 2);
    let counters = Arc::new(ServerCounters::default());
    let w = worker::spawn(Box::new(b), 16, 16, counters.clone()).unwrap();
    let run = |op| -> Result<(), StorageError> {
        w.actions.send(append(op, 3, vec![entry(2, 1, 3)])).unwrap();
        match w.completions.recv_blocking().unwrap() {
            StorageCompletion::Appended { result, .. } => result,
            other => panic!("{other:?}"),
        }
    };
    let mut c = redis::Client::open(server.url())
        .and_then(|client| client.get_connection())
        .unwrap();
    let stored = |c: &mut redis::Connection| -> u64 {
        redis::cmd("XLEN").arg("{sw:66}:log").query(c).unwrap()
    };
    config_set(&mut c, "appendfsync", "everysec");
    // Drops the backend's connection (not this one: SKIPME is the default).
    let kill = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("normal")
        .clone();
    kill.exec(&mut c).unwrap();
    run(3).expect_err("the dropped connection fails the batch");
    let refused = run(4).expect_err("the reconnect is refused");
    assert!(refused.0.contains("appendfsync"), "{refused:?}");
    assert!(counters.storage_failed(), "reported failed while refused");
    run(5).expect_err("refused meanwhile");
    assert!(counters.storage_failed());
    assert_eq!(stored(&mut c), 2, "nothing written");
    // Fixed: the worker has the backend reconnect by itself, no batch needed.
    config_set(&mut c, "appendfsync", "always");
    let deadline = Instant::now() + Duration::from_secs(15);
    while counters.storage_failed() {
        assert!(
            Instant::now() < deadline,
            "still failed once Redis was fixed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(counters.storage_reopens(), 1);
    run(6).expect("acked once Redis is durable again");
    assert_eq!(stored(&mut c), 3);
}
