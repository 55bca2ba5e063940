//! Rooms: joining, one CRDT type per room, access, limits, loading on first use
//! (joins queued), load failures, leaving, unloading when idle.

use std::sync::Arc;
use std::time::Duration;

use super::harness::*;
use crate::hub::*;
use crate::wire::*;

#[test]
fn first_join_creates_the_room_with_a_nonzero_epoch() {
    let mut h = Harness::new();
    let a = h.connect(1);
    let frames = h.join(a, "r", "sum", None);
    let j = joined(&frames);
    assert_ne!(j.epoch, 0);
    assert_eq!(
        (j.start, j.head, j.acked_seq, j.writable, j.resync),
        (0, 0, 0, true, false)
    );
    assert_eq!(j.snapshot, None);
    assert!(
        matches!(&frames[1..], [Frame::Peers(p)] if p.mode == PeersMode::Full && p.count == 1 && p.joined.is_empty()),
        "{frames:?}"
    );
    assert!(
        h.events
            .iter()
            .any(|e| matches!(e, HubEvent::RoomLoaded { created: true, .. }))
    );
    assert_eq!(
        h.storage.head(&RoomId::new("r")),
        Some(0),
        "the room exists in storage"
    );
}

#[test]
fn joins_wait_for_the_load_and_are_served_in_order() {
    let mut h = Harness::new();
    h.hold_storage = true;
    let a = h.connect(1);
    let b = h.connect(2);
    h.send(a, join("r", "sum", None));
    h.send(b, join("r", "sum", None));
    h.send(a, delta("r", "sum", 1, 1, sum(1)));
    assert_eq!(
        rejects(&h.take(a)),
        vec![ErrorCode::UNKNOWN_ROOM],
        "join not complete yet"
    );
    assert_eq!(h.storage.pending(), 1, "one load for both joins");
    h.hold_storage = false;
    h.release_storage();
    let fa = h.take(a);
    let fb = h.take(b);
    assert_eq!(joined(&fa).epoch, joined(&fb).epoch);
    assert!(
        fa.iter()
            .any(|f| matches!(f, Frame::Peers(p) if p.joined.iter().any(|e| e.peer == b)))
    );
}

#[test]
fn a_join_with_another_crdt_type_is_rejected() {
    let mut h = Harness::new();
    let a = h.connect(1);
    let b = h.connect(2);
    h.join(a, "r", "sum", None);
    let frames = h.join(b, "r", "lww", None);
    assert!(
        matches!(frames.as_slice(), [Frame::Reject(r)] if r.code == ErrorCode::CRDT_MISMATCH && r.room == Some(RoomId::new("r")))
    );
    // A queued join of the wrong type is rejected once the type is known.
    let mut h = Harness::new();
    h.hold_storage = true;
    let a = h.connect(1);
    let b = h.connect(2);
    h.send(a, join("q", "sum", None));
    h.send(b, join("q", "lww", None));
    h.hold_storage = false;
    h.release_storage();
    assert!(matches!(h.take(a).first(), Some(Frame::Joined(_))));
    assert_eq!(rejects(&h.take(b)), vec![ErrorCode::CRDT_MISMATCH]);
    h.send(b, join("q", "sum", None));
    assert!(
        matches!(h.take(b).first(), Some(Frame::Joined(_))),
        "the failed join left no trace"
    );
}

#[test]
fn access_rules_decide_per_room() {
    let rule: AccessRule = Arc::new(|room: &RoomId| match room.as_str() {
        "public" => Access::Read,
        "mine" => Access::ReadWrite,
        _ => Access::None,
    });
    let mut h = Harness::with(deferred());
    let (w, _) = h.connect_as(2, Identity::read_write_all("writer"));
    h.join(w, "public", "sum", None);
    let (a, _) = h.connect_as(1, Identity::with_rule("ann", rule));
    assert_eq!(
        rejects(&h.join(a, "secret", "sum", None)),
        vec![ErrorCode::FORBIDDEN]
    );
    assert!(!joined(&h.join(a, "public", "sum", None)).writable);
    assert!(joined(&h.join(a, "mine", "sum", None)).writable);
}

#[test]
fn rooms_per_session_are_limited_and_a_double_join_is_a_resume() {
    let mut h = Harness::with(HubConfig {
        max_rooms_per_session: 2,
        ..config()
    });
    let a = h.connect(1);
    let first = joined(&h.join(a, "r1", "sum", None)).clone();
    // Joining again (a client that saw a gap) resumes from the named position and
    // still counts as one room.
    let pos = Position {
        epoch: first.epoch,
        offset: first.head,
    };
    let again = h.join(a, "r1", "sum", Some(pos));
    let j = joined(&again);
    assert_eq!(
        (j.resync, j.start, j.epoch),
        (false, first.head, first.epoch)
    );
    assert_eq!(h.hub.room_members(&RoomId::new("r1")).len(), 1);
    h.join(a, "r2", "sum", None);
    assert_eq!(
        rejects(&h.join(a, "r3", "sum", None)),
        vec![ErrorCode::TOO_MANY_ROOMS]
    );
    h.send(
        a,
        Frame::Leave(Leave {
            room: RoomId::new("r1"),
        }),
    );
    assert!(matches!(
        h.join(a, "r3", "sum", None).first(),
        Some(Frame::Joined(_))
    ));
}

#[test]
fn leaving_an_unjoined_room_is_unknown_room() {
    let mut h = Harness::new();
    let a = h.connect(1);
    h.send(
        a,
        Frame::Leave(Leave {
            room: RoomId::new("nope"),
        }),
    );
    assert_eq!(rejects(&h.take(a)), vec![ErrorCode::UNKNOWN_ROOM]);
}

#[test]
fn idle_rooms_unload_and_reload_with_their_history() {
    let mut h = Harness::new();
    let a = h.connect(1);
    let epoch = joined(&h.join(a, "r", "sum", None)).epoch;
    h.delta(a, "r", 1, 1, sum(5));
    h.send(
        a,
        Frame::Leave(Leave {
            room: RoomId::new("r"),
        }),
    );
    assert_eq!(h.hub.room_count(), 1);
    h.advance(Duration::from_secs(30));
    h.send(a, Frame::Ping { nonce: 0 });
    h.advance(Duration::from_secs(29));
    h.send(a, Frame::Ping { nonce: 0 });
    assert_eq!(h.hub.room_count(), 1);
    h.advance(Duration::from_secs(1));
    assert_eq!(h.hub.room_count(), 0);
    assert!(
        h.events
            .iter()
            .any(|e| matches!(e, HubEvent::RoomUnloaded { .. }))
    );
    h.take(a);
    let frames = h.join(a, "r", "sum", None);
    let j = joined(&frames);
    assert_eq!((j.epoch, j.head, j.acked_seq), (epoch, 1, 1));
    assert_eq!(deltas(&frames), vec![(0, 1, 1)]);
}

#[test]
fn a_failed_load_rejects_the_queued_joins_internal() {
    let mut h = Harness::new();
    let a = h.connect(1);
    h.storage.set_failing(true);
    assert_eq!(
        rejects(&h.join(a, "r", "sum", None)),
        vec![ErrorCode::INTERNAL]
    );
    assert_eq!(h.hub.room_count(), 0);
    h.storage.set_failing(false);
    assert!(matches!(
        h.join(a, "r", "sum", None).first(),
        Some(Frame::Joined(_))
    ));
}

#[test]
fn loaded_rooms_are_limited_hub_wide() {
    let mut h = Harness::with(HubConfig {
        max_loaded_rooms: 1,
        ..config()
    });
    let a = h.connect(1);
    h.join(a, "r1", "sum", None);
    assert_eq!(
        rejects(&h.join(a, "r2", "sum", None)),
        vec![ErrorCode::INTERNAL]
    );
}

#[test]
fn epochs_come_from_the_seed_so_runs_replay_exactly() {
    let epoch_with = |seed| {
        let mut h = Harness::with(HubConfig { seed, ..config() });
        let a = h.connect(1);
        joined(&h.join(a, "r", "sum", None)).epoch
    };
    assert_eq!(epoch_with(7), epoch_with(7));
    assert_ne!(epoch_with(7), epoch_with(8));
}

#[test]
fn a_room_with_appends_in_flight_is_not_unloaded() {
    let mut h = Harness::new();
    let a = h.connect(1);
    h.join(a, "r", "sum", None);
    h.hold_storage = true;
    h.delta(a, "r", 1, 1, sum(1));
    h.send(
        a,
        Frame::Leave(Leave {
            room: RoomId::new("r"),
        }),
    );
    h.advance(Duration::from_secs(30));
    h.send(a, Frame::Ping { nonce: 0 });
    h.advance(Duration::from_secs(31));
    assert_eq!(h.hub.room_count(), 1, "the append is still in flight");
    h.release_storage();
    assert_eq!(h.storage.entry_count(&RoomId::new("r")), 1);
    h.send(a, Frame::Ping { nonce: 0 });
    h.advance(Duration::from_secs(30));
    h.send(a, Frame::Ping { nonce: 0 });
    h.advance(Duration::from_secs(31));
    assert_eq!(h.hub.room_count(), 0);
}

#[test]
fn the_hub_can_move_between_threads() {
    fn is_send<T: Send>() {}
    is_send::<Hub>();
}
