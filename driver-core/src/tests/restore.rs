//! Export / restore of a whole session (what a reloaded browser tab relies on).

use super::*;
use crate::clock::Clock;
use syncwire_proto::crdt::{GCounter, GCounterOp, OrSet, OrSetOp, Value};
use syncwire_proto::time::WallClockMillis;
use syncwire_proto::wire::ReplicaId;

struct Fixed;
impl Clock for Fixed {
    fn now(&self) -> syncwire_proto::Instant {
        syncwire_proto::Instant::from_micros(1_000)
    }
    fn wall_ms(&self) -> WallClockMillis {
        1
    }
}

fn session() -> SharedSession {
    Session::new(ClientConfig::new(ReplicaId(3)), Arc::new(Fixed))
        .expect("valid config")
        .0
}

fn restore(saved: SavedSession) -> SharedSession {
    Session::restore(
        ClientConfig::new(ReplicaId(3)),
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
    assert_eq!(doc.apply(GCounterOp::Increment(1)).expect("apply"), 3);
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
        Err(DriverError::TypeMismatch { .. })
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
