//! `Hub::check_invariants` still sees what its shortcuts skip: a member its session
//! does not list (found by counting, then named by the search per member) and a room
//! log changed after its check passed (`hub/checked.rs`).

use super::harness::*;

#[test]
fn a_member_its_session_does_not_list_is_reported() {
    let mut h = Harness::new();
    let a = h.connect(1);
    let b = h.connect(2);
    h.join(a, "r", "sum", None);
    h.join(b, "r", "sum", None);
    assert_eq!(h.hub.check_invariants(), Ok(()));
    let room = crate::wire::RoomId::new("r");
    assert!(h.hub.sessions.get_mut(&b).unwrap().rooms.remove(&room));
    assert_eq!(
        h.hub.check_invariants(),
        Err(format!("room r: member {b:?} not in the session"))
    );
}

#[test]
fn a_room_log_changed_after_its_check_passed_is_checked_again() {
    let mut h = Harness::new();
    let a = h.connect(1);
    h.join(a, "r", "sum", None);
    h.delta(a, "r", 1, 1, sum(1));
    h.delta(a, "r", 1, 2, sum(2));
    h.settle();
    assert_eq!(h.hub.check_invariants(), Ok(()));
    assert_eq!(h.hub.check_invariants(), Ok(()), "unchanged: still fine");
    let room = crate::wire::RoomId::new("r");
    let log = &mut h
        .hub
        .rooms
        .get_mut(&room)
        .unwrap()
        .loaded_mut()
        .unwrap()
        .log;
    assert_eq!(log.tail_len(), 2, "the tail holds the deltas");
    log.corrupt_tail_start();
    assert_eq!(
        h.hub.check_invariants(),
        Err("room r: tail entry 0 has offset 0 not 1".into())
    );
}
