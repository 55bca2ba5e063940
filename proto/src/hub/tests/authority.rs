//! Authority over rooms: only a writer's join creates a room (and fixes its CRDT
//! type), and only types the hub's merger accepts (a registry: its registered types)
//! can be joined at all.

use std::sync::Arc;

use super::harness::*;
use crate::crdt::{GCounter, Registry};
use crate::hub::*;
use crate::wire::*;

fn room_reject(frames: &[Frame], code: ErrorCode, room: &str) {
    assert!(
        matches!(frames, [Frame::Reject(r)]
            if r.code == code && r.room == Some(RoomId::new(room)) && r.seq.is_none()),
        "{frames:?}"
    );
}

#[test]
fn a_read_only_join_cannot_create_a_room() {
    let mut h = Harness::with(deferred());
    let (ro, _) = h.connect_as(1, Identity::read_only_all("ro"));
    // The hub only learns that the room does not exist from storage.
    h.hold_storage = true;
    h.send(ro, join("new", "sum", None));
    assert!(h.take(ro).is_empty(), "waiting for the load");
    h.release_storage();
    room_reject(&h.take(ro), ErrorCode::FORBIDDEN, "new");
    assert_eq!(h.hub.room_count(), 0, "not created in memory");
    assert_eq!(h.storage.head(&RoomId::new("new")), None, "nor in storage");
    assert!(
        !h.events
            .iter()
            .any(|e| matches!(e, HubEvent::RoomLoaded { .. }))
    );
    // The session is not left half-joined: it may join again later.
    h.hold_storage = false;
    let (w, _) = h.connect_as(2, Identity::read_write_all("rw"));
    assert!(joined(&h.join(w, "new", "sum", None)).writable);
    assert!(!joined(&h.join(ro, "new", "sum", None)).writable);
}

#[test]
fn a_writer_waiting_with_readers_creates_the_room_for_all() {
    let mut h = Harness::with(deferred());
    let (ro, _) = h.connect_as(1, Identity::read_only_all("ro"));
    let (rw, _) = h.connect_as(2, Identity::read_write_all("rw"));
    h.hold_storage = true;
    // The reader asks first, with another type: the writer's type wins.
    h.send(ro, join("r", "other", None));
    h.send(rw, join("r", "sum", None));
    h.release_storage();
    room_reject(&h.take(ro), ErrorCode::CRDT_MISMATCH, "r");
    assert_eq!(joined(&h.take(rw)).crdt, "sum");
    h.hold_storage = false;
    assert!(!joined(&h.join(ro, "r", "sum", None)).writable);
}

#[test]
fn unknown_crdt_types_are_refused_unless_registered() {
    // The default hub: the built-in registry.
    let mut h = Harness::with(HubConfig {
        authorizer: Some(Arc::new(AllowAll)),
        ..HubConfig::default()
    });
    let a = h.connect(1);
    room_reject(&h.join(a, "x", "sum", None), ErrorCode::CRDT_MISMATCH, "x");
    assert_eq!(h.hub.room_count(), 0, "no load was even started");
    assert_eq!(h.hub.pending_storage_ops(), 0);
    assert_eq!(joined(&h.join(a, "y", "pncounter", None)).crdt, "pncounter");
    // A library user decides which types exist.
    let mut registry = Registry::new();
    registry.register::<GCounter>().unwrap();
    let mut h = Harness::with(HubConfig {
        authorizer: Some(Arc::new(AllowAll)),
        merger: Arc::new(registry),
        ..HubConfig::default()
    });
    let a = h.connect(1);
    assert_eq!(joined(&h.join(a, "g", "gcounter", None)).crdt, "gcounter");
    room_reject(
        &h.join(a, "p", "pncounter", None),
        ErrorCode::CRDT_MISMATCH,
        "p",
    );
}
