//! The Redis backend in shared-log mode on a real `redis-server`: the shared append
//! gives the reference backend's verdicts, several nodes appending at once never
//! share an offset nor log a (replica, seq) twice, `Create` never discards a room
//! another node created, and the fold lease keeps a second node from folding the
//! same room while the first holds it.

use bytes::Bytes;
use syncwire_proto::hub::{
    AppendOutcome, MemoryStorage, NewEntry, OpId, StorageAction as A, StorageCompletion,
};
use syncwire_proto::wire::{ReplicaId, RoomId};

use super::Backend;
use super::fixtures::{fold_to, room_with, snapshot_of};
use super::redis_server::RedisServer;
use super::redis_tests::open;

fn new(replica: u64, seq: u64) -> NewEntry {
    NewEntry {
        replica: ReplicaId(replica),
        seq,
        payload: Bytes::from(format!("r{replica}s{seq}")),
    }
}

fn shared(op: u64, epoch: u64, entries: Vec<NewEntry>) -> A {
    A::AppendShared {
        op: OpId(op),
        room: RoomId::new("s"),
        epoch,
        entries,
    }
}

fn create(op: u64, epoch: u64) -> A {
    A::Create {
        op: OpId(op),
        room: RoomId::new("s"),
        crdt: "c".into(),
        epoch,
    }
}

fn script() -> Vec<Vec<A>> {
    vec![
        vec![shared(1, 5, vec![new(1, 1)])],
        vec![create(2, 5)],
        vec![
            shared(3, 5, vec![new(1, 1), new(2, 1), new(1, 2)]),
            shared(4, 5, vec![new(1, 2), new(1, 4), new(2, 2), new(1, 1)]),
        ],
        vec![shared(5, 6, vec![new(1, 3)]), create(6, 6)],
        vec![
            A::LoadRange {
                op: OpId(7),
                room: RoomId::new("s"),
                epoch: 5,
                from: 1,
                max_entries: 10,
            },
            A::Load {
                op: OpId(8),
                room: RoomId::new("s"),
                tail_limit: 10,
            },
        ],
    ]
}

fn run(backend: &mut dyn Backend) -> Vec<StorageCompletion> {
    script()
        .into_iter()
        .flat_map(|b| backend.execute_batch(b))
        .collect()
}

#[test]
fn redis_shared_appends_match_the_reference_backend() {
    let dir = tempfile::tempdir().unwrap();
    let server = RedisServer::start(dir.path());
    let expected = run(&mut MemoryStorage::new());
    let got = run(&mut open(&server));
    assert_eq!(got, expected);
    let logged = |o| AppendOutcome::Logged { offset: o };
    assert_eq!(
        expected[2],
        StorageCompletion::AppendedShared {
            op: OpId(3),
            result: Ok(vec![logged(0), logged(1), logged(2)]),
        }
    );
    assert_eq!(
        expected[3],
        StorageCompletion::AppendedShared {
            op: OpId(4),
            result: Ok(vec![
                AppendOutcome::Duplicate { acked: 2 },
                AppendOutcome::Gap { expected: 3 },
                logged(3),
                AppendOutcome::Duplicate { acked: 2 },
            ]),
        }
    );
    // Another epoch: the append is refused, and so is a Create over the room.
    assert!(matches!(
        &expected[4..6],
        [
            StorageCompletion::AppendedShared { result: Err(_), .. },
            StorageCompletion::Created { result: Err(_), .. }
        ]
    ));
}

#[test]
fn nodes_appending_at_once_share_no_offset_and_log_each_sequence_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = RedisServer::start(dir.path());
    open(&server).execute_batch(vec![create(1, 9)]);
    // Three nodes; each sends every replica's seqs 1..=40 (so each is offered thrice).
    let nodes: Vec<_> = (0..3)
        .map(|n| {
            let mut backend = open(&server);
            std::thread::spawn(move || {
                let mut logged = Vec::new();
                for seq in 1..=40 {
                    let entries = (1..=4).map(|r| new(r, seq)).collect();
                    let done = backend.execute_batch(vec![shared(100 + n, 9, entries)]);
                    let Some(StorageCompletion::AppendedShared {
                        result: Ok(outcomes),
                        ..
                    }) = done.into_iter().next()
                    else {
                        panic!("append failed");
                    };
                    for (r, o) in (1..=4).zip(outcomes) {
                        match o {
                            AppendOutcome::Logged { offset } => logged.push((offset, r, seq)),
                            AppendOutcome::Duplicate { acked } => assert!(acked >= seq),
                            AppendOutcome::Gap { .. } => panic!("no gap: seqs go in order"),
                        }
                    }
                }
                logged
            })
        })
        .collect();
    let mut all: Vec<(u64, u64, u64)> = nodes.into_iter().flat_map(|h| h.join().unwrap()).collect();
    all.sort_unstable();
    assert_eq!(all.len(), 160, "each (replica, seq) logged exactly once");
    for (i, (offset, _, _)) in all.iter().enumerate() {
        assert_eq!(*offset, i as u64, "offsets contiguous, none given twice");
    }
    let mut pairs: Vec<(u64, u64)> = all.iter().map(|&(_, r, s)| (r, s)).collect();
    pairs.sort_unstable();
    pairs.dedup();
    assert_eq!(pairs.len(), 160);
}

#[test]
fn a_fold_lease_held_by_another_node_makes_a_fold_wait_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = RedisServer::start(dir.path());
    let mut a = open(&server);
    room_with(&mut a, 6);
    let mut conn = redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    let lease = "{sw:66}:fold";
    let _: () = redis::cmd("SET")
        .arg(lease)
        .arg("another node")
        .arg("PX")
        .arg(60_000)
        .query(&mut conn)
        .unwrap();
    let busy = a.execute_batch(vec![fold_to(10, 4)]);
    assert!(
        matches!(&busy[..], [StorageCompletion::Folded { result: Err(e), .. }] if e.is_fold_busy()),
        "{busy:?}"
    );
    assert_eq!(snapshot_of(&mut a), None, "nothing folded");
    let _: () = redis::cmd("DEL").arg(lease).query(&mut conn).unwrap();
    let done = a.execute_batch(vec![fold_to(11, 4)]);
    assert!(
        matches!(&done[..], [StorageCompletion::Folded { result: Ok(Some(s)), .. }] if s.offset == 4)
    );
    let held: Option<String> = redis::cmd("GET").arg(lease).query(&mut conn).unwrap();
    assert_eq!(held, None, "released after the commit");
    // A second node folding from the same base stores nothing and sees the first's.
    let mut b = open(&server);
    let again = b.execute_batch(vec![fold_to(12, 4)]);
    assert!(
        matches!(&again[..], [StorageCompletion::Folded { result: Ok(Some(s)), .. }] if s.offset == 4)
    );
}
