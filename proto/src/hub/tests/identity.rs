//! Replica identity: one live session per replica id (a newer session replaces the
//! older one), replica grants bound to the identity, and claims of another writer's
//! id that cannot disturb its log.

use super::harness::*;
use crate::hub::*;
use crate::wire::*;

/// The only frame of `frames` must be this session-wide `Reject`.
fn session_reject(frames: &[Frame], code: ErrorCode) {
    assert!(
        matches!(frames, [Frame::Reject(r)] if r.code == code && r.room.is_none() && r.seq.is_none()),
        "{frames:?}"
    );
}

#[test]
fn a_second_session_with_a_replica_id_replaces_the_first() {
    let mut h = Harness::new();
    let old = h.connect(1);
    let peer = h.connect(2);
    h.join(old, "r", "sum", None);
    h.join(peer, "r", "sum", None);
    h.take(old);
    h.delta(old, "r", 1, 1, sum(5));
    assert_eq!(acks(&h.take(old)), vec![1]);
    h.take(peer);

    let new = h.connect(1);
    session_reject(&h.take(old), ErrorCode::REPLICA_IN_USE);
    assert_eq!(h.closed.get(&old), Some(&CloseCode::REPLACED));
    assert!(!h.closed.contains_key(&new));
    let fp = h.take(peer);
    assert!(
        matches!(fp.as_slice(), [Frame::Peers(p)] if p.left == [old] && p.joined.is_empty()),
        "{fp:?}"
    );
    assert_eq!(h.hub.room_members(&RoomId::new("r")), vec![peer]);
    assert_eq!(h.hub.session_count(), 2);
    // The new session carries on where the replica's log stands.
    let j = joined(&h.join(new, "r", "sum", None)).clone();
    assert_eq!(j.acked_seq, 1);
    h.delta(new, "r", 1, 2, sum(1));
    assert_eq!(acks(&h.take(new)), vec![2]);
    assert_eq!(deltas(&h.take(peer)), vec![(1, 1, 2)]);
    assert_eq!(h.storage.entry_count(&RoomId::new("r")), 2);
    assert!(h.events.iter().any(|e| matches!(e,
        HubEvent::SessionClosed { session, code: Some(CloseCode::REPLACED) } if *session == old)));
}

#[test]
fn only_a_completed_handshake_replaces() {
    let mut h = Harness::with(deferred());
    let (old, _) = h.connect_as(1, Identity::read_write_all("a"));
    // A second session claims replica 1 but is refused: the first stays.
    let refused = h.open();
    h.send(refused, hello(1));
    h.hub
        .handle_auth(h.now, refused, Err(AuthError("no".into())))
        .unwrap();
    h.settle();
    assert_eq!(h.closed.get(&refused), Some(&CloseCode::UNAUTHORIZED));
    assert!(h.take(old).is_empty());
    // One still waiting for its authorization does not replace either.
    let waiting = h.open();
    h.send(waiting, hello(1));
    assert!(!h.closed.contains_key(&old));
    // Once authorized, it does.
    h.hub
        .handle_auth(h.now, waiting, Ok(Identity::read_write_all("a")))
        .unwrap();
    h.settle();
    assert_eq!(h.closed.get(&old), Some(&CloseCode::REPLACED));
    assert!(matches!(h.take(waiting).as_slice(), [Frame::Welcome(_)]));
    // After the replaced session is gone, the id's owner is the new one: closing it
    // frees the id, and a third session is welcomed without replacing anyone.
    h.hub.handle_session_closed(h.now, waiting);
    h.settle();
    let (third, frames) = h.connect_as(1, Identity::read_write_all("a"));
    assert!(
        matches!(frames.as_slice(), [Frame::Welcome(_)]),
        "{frames:?}"
    );
    assert_eq!(h.hub.session_count(), 1);
    assert!(!h.closed.contains_key(&third));
}

#[test]
fn a_claim_outside_the_replica_grant_is_refused() {
    let mut h = Harness::with(deferred());
    let only = Identity::read_write_all("w").with_replicas(ReplicaGrant::only([5, 9]));
    let (ok, frames) = h.connect_as(5, only.clone());
    assert!(
        matches!(frames.as_slice(), [Frame::Welcome(_)]),
        "{frames:?}"
    );
    let (bad, frames) = h.connect_as(6, only);
    session_reject(&frames, ErrorCode::REPLICA_FORBIDDEN);
    assert_eq!(h.closed.get(&bad), Some(&CloseCode::REPLICA_FORBIDDEN));
    let range = Identity::read_write_all("r").with_replicas(ReplicaGrant::Range(100..=199));
    let (_, frames) = h.connect_as(199, range.clone());
    assert!(
        matches!(frames.as_slice(), [Frame::Welcome(_)]),
        "{frames:?}"
    );
    let (_, frames) = h.connect_as(200, range);
    session_reject(&frames, ErrorCode::REPLICA_FORBIDDEN);
    assert!(!h.closed.contains_key(&ok));
    assert!(ReplicaGrant::Any.allows(ReplicaId(u64::MAX)));
}

/// A session holding a grant for replica 2 claims writer 1's id (and would send a
/// huge seq): it is refused before it can touch the log, and writer 1 carries on.
#[test]
fn another_writers_id_cannot_be_claimed_against_the_grant() {
    let mut h = Harness::with(deferred());
    let grant =
        |id| Identity::read_write_all(format!("w{id}")).with_replicas(ReplicaGrant::only([id]));
    let (w, _) = h.connect_as(1, grant(1));
    h.join(w, "r", "sum", None);
    for seq in 1..=3 {
        h.delta(w, "r", 1, seq, sum(1));
    }
    assert_eq!(acks(&h.take(w)), vec![1, 2, 3]);
    let (spoof, frames) = h.connect_as(1, grant(2));
    session_reject(&frames, ErrorCode::REPLICA_FORBIDDEN);
    h.send(spoof, delta("r", "sum", 1, u64::MAX, sum(1)));
    assert!(
        h.take(spoof).is_empty(),
        "a closed session's frames are ignored"
    );
    assert!(
        !h.closed.contains_key(&w),
        "the real writer is not replaced"
    );
    h.delta(w, "r", 1, 4, sum(1));
    assert_eq!(acks(&h.take(w)), vec![4]);
    assert_eq!(h.storage.entry_count(&RoomId::new("r")), 4);
}

#[test]
fn an_oversized_user_info_refuses_the_handshake() {
    let mut h = Harness::with(HubConfig {
        max_user_info_bytes: 8,
        ..config()
    });
    let hello_with = |info: &[u8]| {
        Frame::Hello(Hello {
            versions: crate::wire::SUPPORTED_VERSIONS.to_vec(),
            replica: ReplicaId(3),
            token: None,
            user_info: Some(bytes::Bytes::copy_from_slice(info)),
        })
    };
    let a = h.open();
    h.send(a, hello_with(b"123456789"));
    session_reject(&h.take(a), ErrorCode::PAYLOAD_TOO_LARGE);
    assert_eq!(h.closed.get(&a), Some(&CloseCode::MESSAGE_TOO_BIG));
    let b = h.open();
    h.send(b, hello_with(b"12345678"));
    assert!(matches!(h.take(b).as_slice(), [Frame::Welcome(_)]));
}
