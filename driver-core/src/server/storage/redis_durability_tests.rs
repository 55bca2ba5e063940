//! Redis settings that can lose acked writes, on a real `redis-server` of each test:
//! refused at open, naming the setting and the value needed, unless
//! `allow_unsafe_durability`; and refused again on every reconnect, so that a Redis
//! restarted or reconfigured unsafely fails the next batch (nothing written, nothing
//! acked) instead of acking it, and the backend is failed until a connection passes
//! the check again; a connection kept open is checked again at least every
//! `RECHECK_EVERY`. A connection lost during the check is not a refusal.

use std::sync::Arc;

use syncwire_proto::hub::StorageCompletion;

use super::Backend;
use super::fixtures::{Concat, entry, room_with};
use super::redis_backend::{RedisBackend, RedisOptions};
use super::redis_durability::{Checked, check};
use super::redis_failure_tests::config_set;
use super::redis_server::RedisServer;
use super::redis_tests::{append, open, options};

/// The stream of room "f" (`{sw:<hex of "f">}:log`).
const LOG: &str = "{sw:66}:log";

/// Opens a backend on a fresh Redis started with `args`: the error, if refused.
fn open_on(args: &[&str]) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let server = RedisServer::start_with(dir.path(), RedisServer::free_port(), args);
    let mut b =
        RedisBackend::open(&options(&server), Arc::new(Concat)).map_err(|e| e.to_string())?;
    assert!(
        acked(&room_with(&mut b, 2)),
        "an accepted Redis acks writes"
    );
    Ok(())
}

fn acked(done: &[StorageCompletion]) -> bool {
    done.iter().all(|c| {
        matches!(
            c,
            StorageCompletion::Created { result: Ok(()), .. }
                | StorageCompletion::Appended { result: Ok(()), .. }
        )
    })
}

/// The refusal of a one-append batch; panics if it was acked.
fn refusal(done: &[StorageCompletion]) -> String {
    match done {
        [StorageCompletion::Appended { result: Err(e), .. }] => e.0.clone(),
        other => panic!("acked: {other:?}"),
    }
}

/// A backend on a fresh durable Redis in `dir` with room "f" created and two entries
/// acked, and a connection of the test's own to that Redis.
fn durable(dir: &std::path::Path) -> (RedisServer, RedisBackend, redis::Connection) {
    let server = RedisServer::start(dir);
    let mut b = open(&server);
    assert!(acked(&room_with(&mut b, 2)));
    let client = redis::Client::open(server.url()).unwrap();
    let c = client.get_connection().unwrap();
    (server, b, c)
}

/// Entries in room "f"'s stream.
fn stored(c: &mut redis::Connection) -> u64 {
    redis::cmd("XLEN").arg(LOG).query(c).unwrap()
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
fn a_redis_that_skips_fsync_during_rewrites_is_refused() {
    let msg = open_on(&[
        "--appendfsync",
        "always",
        "--no-appendfsync-on-rewrite",
        "yes",
    ])
    .expect_err("refused");
    assert!(
        msg.contains("no-appendfsync-on-rewrite = \"yes\"")
            && msg.contains("need no-appendfsync-on-rewrite no")
            && msg.contains("redis_allow_unsafe_durability"),
        "{msg}"
    );
}

#[test]
fn a_redis_that_may_evict_room_keys_is_refused() {
    let msg = open_on(&[
        "--appendfsync",
        "always",
        "--maxmemory",
        "100mb",
        "--maxmemory-policy",
        "allkeys-lru",
    ])
    .expect_err("refused");
    assert!(
        msg.contains("maxmemory-policy = \"allkeys-lru\"")
            && msg.contains("maxmemory 0 or maxmemory-policy noeviction"),
        "{msg}"
    );
}

#[test]
fn a_redis_that_never_evicts_room_keys_is_accepted() {
    for policy in ["noeviction", "volatile-lru"] {
        let args = [
            "--appendfsync",
            "always",
            "--maxmemory",
            "100mb",
            "--maxmemory-policy",
            policy,
        ];
        open_on(&args).unwrap_or_else(|e| panic!("{policy} refused: {e}"));
    }
    // Without a memory limit, nothing is evicted whatever the policy.
    open_on(&[
        "--appendfsync",
        "always",
        "--maxmemory-policy",
        "allkeys-lru",
    ])
    .expect("maxmemory 0 accepted");
}

#[test]
fn a_reconnect_to_a_redis_reconfigured_unsafely_fails_the_batch_instead_of_acking() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, mut b, mut c) = durable(dir.path());
    config_set(&mut c, "appendfsync", "everysec");
    // Drops the backend's connection (not this one: SKIPME is the default).
    redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("normal")
        .exec(&mut c)
        .unwrap();
    let next = || vec![append(3, 3, vec![entry(2, 1, 3)])];
    // The batch on the dropped connection fails; the next one reconnects, and the
    // connection is refused before anything is written on it.
    refusal(&b.execute_batch(next()));
    let msg = refusal(&b.execute_batch(next()));
    assert!(
        msg.contains("appendfsync = \"everysec\"") && msg.contains("need appendfsync always"),
        "{msg}"
    );
    // Failed (the storage worker reports it and calls `recover` then); meanwhile a
    // batch fails at once with the refusal.
    assert!(b.retry_at().is_some(), "refused: the backend is failed");
    assert_eq!(refusal(&b.execute_batch(next())), msg);
    assert_eq!(stored(&mut c), 2, "nothing written");
    assert!(!b.recover(), "still refused");
    assert!(b.retry_at().is_some());
    // Durable again: it recovers, and the next batch is acked.
    config_set(&mut c, "appendfsync", "always");
    assert!(b.recover(), "passes the check again");
    assert_eq!(b.retry_at(), None);
    assert!(acked(&b.execute_batch(next())));
    assert_eq!(stored(&mut c), 3);
}

#[test]
fn a_redis_reconfigured_unsafely_while_connected_fails_the_batches_after_the_recheck() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, mut b, mut c) = durable(dir.path());
    config_set(&mut c, "no-appendfsync-on-rewrite", "yes");
    // The backend keeps its connection; its settings are read again before the next
    // batch once the last reading is `recheck_every` old (here: always).
    b.recheck_every = std::time::Duration::ZERO;
    let next = || vec![append(3, 3, vec![entry(2, 1, 3)])];
    let msg = refusal(&b.execute_batch(next()));
    assert!(msg.contains("no-appendfsync-on-rewrite = \"yes\""), "{msg}");
    assert_eq!(stored(&mut c), 2, "nothing written");
    assert!(b.retry_at().is_some(), "refused: the backend is failed");
    config_set(&mut c, "no-appendfsync-on-rewrite", "no");
    assert!(b.recover(), "passes the check again");
    assert!(acked(&b.execute_batch(next())));
    assert_eq!(stored(&mut c), 3);
}

#[test]
fn a_reconnect_to_a_redis_restarted_with_an_evicting_policy_fails_the_batch() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = RedisServer::start(dir.path());
    let mut b = RedisBackend::open(&options(&server), Arc::new(Concat)).unwrap();
    assert!(acked(&room_with(&mut b, 2)));
    server.kill();
    let evicting = [
        "--appendfsync",
        "always",
        "--maxmemory",
        "100mb",
        "--maxmemory-policy",
        "allkeys-lfu",
    ];
    let server = RedisServer::start_with(dir.path(), server.port(), &evicting);
    let next = || vec![append(3, 3, vec![entry(2, 1, 3)])];
    refusal(&b.execute_batch(next())); // on the connection to the killed Redis
    let msg = refusal(&b.execute_batch(next()));
    assert!(msg.contains("maxmemory-policy = \"allkeys-lfu\""), "{msg}");
    let client = redis::Client::open(server.url()).unwrap();
    let mut c = client.get_connection().unwrap();
    assert_eq!(stored(&mut c), 2, "nothing written");
    // With allow_unsafe_durability the operator vouches for it: writes are acked.
    let unsafe_ok = RedisOptions {
        allow_unsafe_durability: true,
        ..options(&server)
    };
    let mut b = RedisBackend::open(&unsafe_ok, Arc::new(Concat)).unwrap();
    assert!(acked(&b.execute_batch(next())));
    assert_eq!(stored(&mut c), 3);
}

#[test]
fn a_connection_lost_during_the_check_is_not_a_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = RedisServer::start(dir.path());
    let client = redis::Client::open(server.url()).unwrap();
    let mut c = client.get_connection().unwrap();
    check(&mut c).expect("durable");
    server.kill();
    match check(&mut c) {
        Err(Checked::Failed(_)) => {}
        other => panic!("a lost connection reported as {other:?}"),
    }
}

#[test]
fn a_redis_whose_settings_cannot_be_read_is_refused() {
    let msg = open_on(&["--appendfsync", "always", "--rename-command", "CONFIG", ""])
        .expect_err("refused");
    assert!(
        msg.contains("cannot check durability") && msg.contains("redis_allow_unsafe_durability"),
        "{msg}"
    );
}
