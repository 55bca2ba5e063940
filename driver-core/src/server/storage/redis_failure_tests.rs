//! The Redis backend when things go wrong, on a real `redis-server` of each test: an
//! acked append survives a SIGKILL of Redis and the backend reconnects by itself, and
//! a Redis that lost its scripts gets them again. (Redis settings that could lose
//! acked writes: `redis_durability_tests`.)

use std::sync::Arc;

use syncwire_proto::hub::{OpId, StorageAction as A, StorageCompletion};
use syncwire_proto::wire::RoomId;

use super::Backend;
use super::fixtures::{Concat, entry, fold_to, room_with};
use super::redis_backend::RedisBackend;
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
