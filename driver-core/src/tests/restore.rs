//! Export / restore of a whole session (what a reloaded browser tab relies on).

use super::*;
use crate::Applied;
use crate::clock::Clock;
use syncwire_proto::client::ClientConfig;
use syncwire_proto::crdt::Registry;
use syncwire_proto::crdt::{GCounter, GCounterOp, OrSet, OrSetOp, Value};
use syncwire_proto::replica::{ReplicaError, SavedSession};
use syncwire_proto::time::WallClockMillis;
use syncwire_proto::wire::{ReplicaId, RoomId};

struct Fixed;
impl Clock for Fixed {
    fn now(&self) -> syncwire_proto::Instant {
        syncwire_proto::Instant::from_micros(1_000)
    }
    fn wall_ms(&self) -> WallClockMillis {
        1
    }
}

/// A session with a fresh replica id: local operations apply at once.
fn session() -> SharedSession {
    Session::new(ClientConfig::default(), Arc::new(Fixed))
        .expect("valid config")
        .0
}

/// Restores `saved` under the replica id saved with it.
fn restore(saved: SavedSession) -> SharedSession {
    Session::restore(
        ClientConfig::default(),
        Arc::new(Fixed),
        saved,
        &Registry::with_builtin(),
    )
    .expect("restorable")
    .0
}

#[test]
fn unsent_changes_and_documents_survive_a_restore() {
    let shared = session();
    let doc = Session::join::<GCounter>(&shared, RoomId::new("c")).expect("join");
    doc.apply(GCounterOp::Increment(2)).expect("apply");
    doc.apply(GCounterOp::Increment(5)).expect("apply");
    let saved = Session::lock(&shared).export();

    let back = restore(saved);
    // Queued deltas of a room may be merged into one; none is lost.
    assert_eq!(Session::lock(&back).client().outbox_len(), 1);
    let doc = Session::join::<GCounter>(&back, RoomId::new("c")).expect("attach");
    assert_eq!(doc.read(|c| c.value()).expect("read"), 7);
    // The next local delta continues the sequence instead of reusing a number.
    assert_eq!(
        doc.apply(GCounterOp::Increment(1)).expect("apply"),
        Applied::Submitted { seq: 2 }
    );
    // Attaching happens once; a second join is a caller mistake as before.
    assert!(Session::join::<GCounter>(&back, RoomId::new("c")).is_err());
}

#[test]
fn a_restored_room_refuses_another_type_and_retypes_a_shared_tag() {
    let shared = session();
    let doc = Session::join::<OrSet<Value>>(&shared, RoomId::new("s")).expect("join");
    doc.apply(OrSetOp::Add(Value::Text("x".into())))
        .expect("apply");
    let saved = Session::lock(&shared).export();

    let back = restore(saved.clone());
    assert!(matches!(
        Session::join::<GCounter>(&back, RoomId::new("s")),
        Err(DriverError::Replica(ReplicaError::TypeMismatch { .. }))
    ));
    let back = restore(saved);
    let typed = Session::join::<OrSet<String>>(&back, RoomId::new("s")).expect("attach");
    assert!(typed.read(|s| s.contains(&"x".to_string())).expect("read"));
}

#[test]
fn the_change_count_moves_with_local_operations() {
    let shared = session();
    let doc = Session::join::<GCounter>(&shared, RoomId::new("c")).expect("join");
    let before = Session::lock(&shared).change_count();
    doc.apply(GCounterOp::Increment(1)).expect("apply");
    assert_ne!(Session::lock(&shared).change_count(), before);
}

#[test]
fn a_restored_session_keeps_the_saved_replica_id() {
    let shared = session();
    let me = Session::lock(&shared).client().replica();
    Session::join::<GCounter>(&shared, RoomId::new("c")).expect("join");
    let saved = Session::lock(&shared).export();
    assert_eq!(saved.replica, Some(me));

    let back = restore(saved.clone());
    assert_eq!(Session::lock(&back).client().replica(), me);
    // The same id given explicitly is fine; another one is refused.
    let same = Session::restore(
        ClientConfig::new(me),
        Arc::new(Fixed),
        saved.clone(),
        &Registry::with_builtin(),
    );
    assert!(same.is_ok());
    let other = ReplicaId(if me.0 == 1 { 2 } else { 1 });
    let refused = Session::restore(
        ClientConfig::new(other),
        Arc::new(Fixed),
        saved,
        &Registry::with_builtin(),
    );
    assert!(matches!(
        refused,
        Err(DriverError::Replica(ReplicaError::WrongReplica { .. }))
    ));
}

#[test]
fn a_room_joined_after_a_restore_waits_a_restored_room_does_not() {
    let shared = session();
    Session::join::<GCounter>(&shared, RoomId::new("c")).expect("join");
    let back = restore(Session::lock(&shared).export());
    let restored = Session::join::<GCounter>(&back, RoomId::new("c")).expect("attach");
    assert!(matches!(
        restored.apply(GCounterOp::Increment(1)),
        Ok(Applied::Submitted { .. })
    ));
    // The replica may have written to another room before: it waits for the replay.
    let other = Session::join::<GCounter>(&back, RoomId::new("d")).expect("join");
    assert_eq!(
        other.apply(GCounterOp::Increment(1)).expect("apply"),
        Applied::Waiting
    );
}
