//! The Redis backend on a real `redis-server` (each test starts its own, see
//! [`RedisServer`]): the reference backend's completions, what survives a backend
//! restart, the append script's refusals and folds. Failures (Redis killed, scripts
//! lost) are in `redis_failure_tests`, Redis settings refused in
//! `redis_durability_tests`.

use std::sync::Arc;

use bytes::Bytes;
use syncwire_proto::hub::{OpId, StorageAction as A, StorageCompletion, StoredEntry};
use syncwire_proto::wire::{ReplicaId, RoomId};

use super::Backend;
use super::fixtures::{Concat, entry, fold_to, room_with, snapshot_of};
use super::redis_backend::{RedisBackend, RedisOptions};
use super::redis_server::RedisServer;
use super::tests::{keeps_everything_across_reopen, matches_the_reference};

pub(super) fn options(server: &RedisServer) -> RedisOptions {
    RedisOptions {
        url: server.url(),
        allow_unsafe_durability: false,
    }
}

/// A backend on `server`, opened (durability checked) with the `Concat` merger.
pub(super) fn open(server: &RedisServer) -> RedisBackend {
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

pub(super) fn append(op: u64, epoch: u64, entries: Vec<StoredEntry>) -> A {
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
        // Beyond what Lua numbers hold exactly: refused before Redis (no round trip).
        (append(12, 3, vec![entry(2, 1, 1 << 53)]), "beyond 2^53"),
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
    // batch, at its epoch: a Create at another one is refused) stores nothing and
    // reports the snapshot the room has.
    let stale = b.execute_batch(vec![
        fold_to(8, 9),
        A::Create {
            op: OpId(9),
            room: RoomId::new("f"),
            crdt: "c".into(),
            epoch: 3,
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
