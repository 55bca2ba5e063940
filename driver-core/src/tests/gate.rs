//! The join gate: a session with a replica id of the caller's choosing holds local
//! operations until the room caught up; a fresh random id applies them at once.

use std::sync::Arc;

use bytes::Bytes;
use syncwire_proto::Instant;
use syncwire_proto::client::{ClientConfig, ConnectionId, TransportCommand};
use syncwire_proto::crdt::{DeltaCrdt, GCounter, GCounterOp, OpContext};
use syncwire_proto::replica::ReplicaError;
use syncwire_proto::time::WallClockMillis;
use syncwire_proto::wire::{
    BatchEntry, DeltaBatch, Frame, Joined, ReplicaId, RoomId, SessionId, Welcome,
};

use crate::clock::Clock;
use crate::{Applied, Doc, DriverError, Session, SharedSession};

struct Fixed;
impl Clock for Fixed {
    fn now(&self) -> Instant {
        Instant::from_micros(1_000)
    }
    fn wall_ms(&self) -> WallClockMillis {
        1
    }
}

fn session(config: ClientConfig) -> SharedSession {
    Session::new(config, Arc::new(Fixed))
        .expect("valid config")
        .0
}

/// Connects the session and answers its `Hello` and `Join` like a hub whose room
/// `c` holds one entry of this replica (seq 1, at offset 0): `Joined` says head 1,
/// acked_seq 1. The replay is left to [`replay_own_entry`].
fn connect_and_join(shared: &SharedSession) -> ConnectionId {
    let mut s = Session::lock(shared);
    s.connect();
    let conn = s
        .drain()
        .take_transport()
        .into_iter()
        .find_map(|c| match c {
            TransportCommand::Open { conn } => Some(conn),
            TransportCommand::Close { .. } => None,
        })
        .expect("asks for a connection");
    s.handle_transport_open(conn);
    s.drain();
    let welcome = Frame::Welcome(Welcome {
        version: syncwire_proto::wire::SUPPORTED_VERSIONS[0],
        session: SessionId(1),
        heartbeat_ms: 0,
        limits: syncwire_proto::hub::HubConfig::default().wire_limits(),
    });
    s.handle_frame(conn, &welcome.encode());
    s.drain();
    let joined = Frame::Joined(Joined {
        room: RoomId::new("c"),
        crdt: GCounter::TAG.into(),
        epoch: 9,
        start: 0,
        head: 1,
        acked_seq: 1,
        writable: true,
        resync: false,
        snapshot: None,
    });
    s.handle_frame(conn, &joined.encode());
    s.drain();
    conn
}

/// The hub replays the replica's earlier entry: `{me: earlier}`, seq 1, offset 0.
fn replay_own_entry(shared: &SharedSession, conn: ConnectionId, earlier: u64) {
    let mut s = Session::lock(shared);
    let me = s.client().replica();
    let own = GCounter::default()
        .prepare(GCounterOp::Increment(earlier), &OpContext::new(me, 0))
        .and_then(|d| d.encode())
        .expect("delta");
    let batch = Frame::DeltaBatch(DeltaBatch {
        room: RoomId::new("c"),
        crdt: GCounter::TAG.into(),
        epoch: 9,
        first_offset: 0,
        entries: vec![BatchEntry {
            replica: me,
            seq: 1,
            payload: Bytes::from(own),
        }],
    });
    s.handle_frame(conn, &batch.encode());
    s.drain();
}

fn value(doc: &Doc<GCounter>) -> u64 {
    doc.read(|c| c.value()).expect("read")
}

#[test]
fn a_chosen_id_waits_for_the_replay_then_builds_on_its_own_entries() {
    let shared = session(ClientConfig::new(ReplicaId(7)));
    let doc = Session::join::<GCounter>(&shared, RoomId::new("c")).expect("join");
    assert_eq!(
        doc.apply(GCounterOp::Increment(1)).expect("apply"),
        Applied::Waiting
    );
    assert_eq!(
        doc.apply(GCounterOp::Increment(2)).expect("apply"),
        Applied::Waiting
    );
    // Not in the document, not in the outbox: nothing was prepared yet.
    assert_eq!(value(&doc), 0);
    assert_eq!(Session::lock(&shared).client().outbox_len(), 0);
    assert_eq!(Session::lock(&shared).unacknowledged(), 2);

    let conn = connect_and_join(&shared);
    // Joined came, the replay did not: still waiting.
    assert_eq!(Session::lock(&shared).waiting_ops(), 2);
    assert_eq!(value(&doc), 0);

    replay_own_entry(&shared, conn, 5);
    let s = Session::lock(&shared);
    assert_eq!(s.waiting_ops(), 0);
    // Prepared on top of the replica's earlier entry (5), numbered after seq 1
    // (merged into one delta, which keeps the lowest number: 2).
    assert_eq!(s.client().outbox_len(), 1, "merged into one delta");
    assert_eq!(
        s.client().room(&RoomId::new("c")).map(|r| r.next_seq),
        Some(3)
    );
    drop(s);
    assert_eq!(value(&doc), 8);
    // Caught up: later operations go straight through.
    assert_eq!(
        doc.apply(GCounterOp::Increment(1)).expect("apply"),
        Applied::Submitted { seq: 3 }
    );
    assert_eq!(value(&doc), 9);
}

#[test]
fn waiting_operations_are_bounded_with_a_typed_error() {
    let mut config = ClientConfig::new(ReplicaId(7));
    config.outbox_max_deltas = 2;
    let shared = session(config);
    let doc = Session::join::<GCounter>(&shared, RoomId::new("c")).expect("join");
    doc.apply(GCounterOp::Increment(1)).expect("first waits");
    doc.apply(GCounterOp::Increment(1)).expect("second waits");
    assert!(matches!(
        doc.apply(GCounterOp::Increment(1)),
        Err(DriverError::Replica(ReplicaError::TooManyWaiting {
            max: 2
        }))
    ));
    assert_eq!(Session::lock(&shared).waiting_ops(), 2);
    // The two taken are not lost: they go out once the room caught up.
    let conn = connect_and_join(&shared);
    replay_own_entry(&shared, conn, 5);
    assert_eq!(Session::lock(&shared).waiting_ops(), 0);
    assert_eq!(value(&doc), 7);
}

#[test]
fn a_fresh_id_applies_at_once() {
    let shared = session(ClientConfig::default());
    let me = Session::lock(&shared).client().replica();
    assert!((1..=ReplicaId::MAX_FRESH).contains(&me.0));
    let doc = Session::join::<GCounter>(&shared, RoomId::new("c")).expect("join");
    assert_eq!(
        doc.apply(GCounterOp::Increment(3)).expect("apply"),
        Applied::Submitted { seq: 1 }
    );
    assert_eq!(value(&doc), 3);
    assert_eq!(Session::lock(&shared).client().outbox_len(), 1);
}

#[test]
fn leaving_drops_the_waiting_operations() {
    let shared = session(ClientConfig::new(ReplicaId(7)));
    let doc = Session::join::<GCounter>(&shared, RoomId::new("c")).expect("join");
    doc.apply(GCounterOp::Increment(1)).expect("waits");
    doc.leave().expect("leave");
    assert_eq!(Session::lock(&shared).unacknowledged(), 0);
}
