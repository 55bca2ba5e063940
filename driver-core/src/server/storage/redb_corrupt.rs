//! The redb backend reading rows it cannot decode (a damaged file, a row written by
//! something else): every action that reads one completes with a typed
//! `StorageError` ("corrupt record") instead of panicking, and fails alone — the
//! other actions of its batch, on a sound room, complete and commit as usual. The
//! garbage is written straight into the tables with redb, under the backend's feet.

use redb::{Database, TableDefinition};
use syncwire_proto::hub::{OpId, StorageAction as A, StorageCompletion};
use syncwire_proto::wire::RoomId;

use super::Backend;
use super::fixtures::{Concat, entry};
use super::redb_backend::RedbBackend;
use super::redb_codec;

/// What the backend says of a row it cannot decode.
const CORRUPT: &str = "corrupt record";

/// A backend in `dir` with rooms "bad" and "good" (epoch 3, entries 0..4 each).
fn two_rooms(dir: &std::path::Path) -> RedbBackend {
    let mut backend = RedbBackend::open(dir, std::sync::Arc::new(Concat)).unwrap();
    let mut batch = Vec::new();
    for (i, name) in ["bad", "good"].into_iter().enumerate() {
        let room = RoomId::new(name);
        let op = 10 * i as u64;
        batch.push(A::Create {
            op: OpId(op),
            room: room.clone(),
            crdt: "c".into(),
            epoch: 3,
        });
        batch.push(A::Append {
            op: OpId(op + 1),
            room,
            epoch: 3,
            entries: (0..4).map(|o| entry(o, 1, o + 1)).collect(),
        });
    }
    let done = backend.execute_batch(batch);
    assert!(done.iter().all(|c| error_of(c).is_none()), "{done:?}");
    backend
}

/// Overwrites (or adds) one row of byte-string table `table`, in a transaction of its own.
fn put(db: &Database, table: &str, key: &[u8], value: &[u8]) {
    let txn = db.begin_write().unwrap();
    {
        let def: TableDefinition<&[u8], &[u8]> = TableDefinition::new(table);
        txn.open_table(def).unwrap().insert(key, value).unwrap();
    }
    txn.commit().unwrap();
}

/// The key of row `n` of room `name` in the `entries` and `seqs` tables.
fn numbered(name: &str, n: u64) -> Vec<u8> {
    redb_codec::numbered(&redb_codec::prefix(&RoomId::new(name)), n)
}

fn load(op: u64, name: &str) -> A {
    A::Load {
        op: OpId(op),
        room: RoomId::new(name),
        tail_limit: 100,
    }
}

fn range(op: u64, name: &str, from: u64) -> A {
    A::LoadRange {
        op: OpId(op),
        room: RoomId::new(name),
        epoch: 3,
        from,
        max_entries: 100,
    }
}

fn fold(op: u64, name: &str) -> A {
    A::Fold {
        op: OpId(op),
        room: RoomId::new(name),
        epoch: 3,
        to: 2,
    }
}

fn append(op: u64, name: &str, offset: u64) -> A {
    A::Append {
        op: OpId(op),
        room: RoomId::new(name),
        epoch: 3,
        entries: vec![entry(offset, 1, offset + 1)],
    }
}

/// The storage error `done` carries, if it failed.
fn error_of(done: &StorageCompletion) -> Option<&str> {
    let message = match done {
        StorageCompletion::Loaded { result: Err(e), .. }
        | StorageCompletion::Range { result: Err(e), .. }
        | StorageCompletion::Folded { result: Err(e), .. }
        | StorageCompletion::Appended { result: Err(e), .. }
        | StorageCompletion::Created { result: Err(e), .. } => &e.0,
        _ => return None,
    };
    Some(message)
}

/// Runs `batch` (actions on "bad" first, each followed by its twin on "good") and
/// checks that every action on "bad" failed as corrupt and every one on "good" did not.
fn only_the_bad_room_fails(backend: &mut RedbBackend, batch: Vec<A>) {
    let done = backend.execute_batch(batch);
    for pair in done.chunks(2) {
        assert_eq!(error_of(&pair[0]), Some(CORRUPT), "{:?}", pair[0]);
        assert_eq!(error_of(&pair[1]), None, "{:?}", pair[1]);
    }
}

/// The head of room "good", loaded.
fn good_head(backend: &mut RedbBackend) -> u64 {
    match backend.execute_batch(vec![load(99, "good")]).pop() {
        Some(StorageCompletion::Loaded {
            result: Ok(Some(record)),
            ..
        }) => record.head,
        other => panic!("room good: {other:?}"),
    }
}

#[test]
fn an_undecodable_room_row_fails_its_reads_and_writes_with_a_storage_error() {
    let garbage: [&[u8]; 4] = [
        b"",
        &[9; 40],                                  // an unknown format byte
        &[1, 0, 0, 0, 0, 0, 0, 0],                 // the format, then too short for its numbers
        &[&[1u8; 25][..], &[0xff, 0xfe]].concat(), // a CRDT tag that is not UTF-8
    ];
    for (i, row) in garbage.iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let mut backend = two_rooms(dir.path());
        put(backend.db(), "rooms", b"bad", row);
        // Reads: one read transaction.
        let reads = vec![
            load(1, "bad"),
            load(2, "good"),
            range(3, "bad", 0),
            range(4, "good", 0),
        ];
        only_the_bad_room_fails(&mut backend, reads);
        // Writes: one write transaction, committed for the sound room.
        let before = good_head(&mut backend);
        let writes = vec![
            append(5, "bad", 4),
            append(6, "good", 4),
            fold(7, "bad"),
            fold(8, "good"),
        ];
        only_the_bad_room_fails(&mut backend, writes);
        assert_eq!(good_head(&mut backend), before + 1, "garbage #{i}");
    }
}

#[test]
fn an_undecodable_entry_fails_the_reads_that_cover_it_with_a_storage_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut backend = two_rooms(dir.path());
    // Entry 1 of "bad" shorter than its replica and seq.
    put(backend.db(), "entries", &numbered("bad", 1), &[1, 2, 3]);
    let reads = vec![
        load(1, "bad"),
        load(2, "good"),
        range(3, "bad", 0),
        range(4, "good", 0),
    ];
    only_the_bad_room_fails(&mut backend, reads);
    only_the_bad_room_fails(&mut backend, vec![fold(5, "bad"), fold(6, "good")]);
    // A range after the damaged entry reads as usual.
    let after = backend.execute_batch(vec![range(7, "bad", 2)]);
    assert!(
        matches!(&after[..], [StorageCompletion::Range { result: Ok(e), .. }] if e.len() == 2),
        "{after:?}"
    );
}

#[test]
fn an_undecodable_snapshot_or_seq_row_fails_the_load_with_a_storage_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut backend = two_rooms(dir.path());
    // An offset, then a count of u32::MAX (replica, seq) pairs that are not there.
    let snapshot = [&[0u8; 8][..], &u32::MAX.to_be_bytes()].concat();
    put(backend.db(), "snapshots", b"bad", &snapshot);
    only_the_bad_room_fails(&mut backend, vec![load(1, "bad"), load(2, "good")]);
    only_the_bad_room_fails(&mut backend, vec![fold(3, "bad"), fold(4, "good")]);
    put(backend.db(), "snapshots", b"bad", &[0; 5]);
    only_the_bad_room_fails(&mut backend, vec![load(5, "bad"), load(6, "good")]);

    // A `seqs` key in the room's range too short to end in a replica id.
    let dir = tempfile::tempdir().unwrap();
    let mut backend = two_rooms(dir.path());
    let mut key = redb_codec::prefix(&RoomId::new("bad"));
    key.push(7);
    let txn = backend.db().begin_write().unwrap();
    {
        let seqs: TableDefinition<&[u8], u64> = TableDefinition::new("seqs");
        txn.open_table(seqs)
            .unwrap()
            .insert(key.as_slice(), 1)
            .unwrap();
    }
    txn.commit().unwrap();
    only_the_bad_room_fails(&mut backend, vec![load(1, "bad"), load(2, "good")]);
}
