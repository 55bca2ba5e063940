//! A [`Replica`] driven the way every driver drives it (one `poll_output` queue,
//! then `poll_timeout`) against a fake hub, and the application contract: local
//! operations through one path (typed or not), refused ones change nothing, the
//! join gate holds operations of a chosen replica id until the room caught up.

use std::collections::VecDeque;

use syncwire_proto::Instant;
use syncwire_proto::client::{
    ClientConfig, ClientError, ClientEvent, ConnectionId, TransportCommand,
};
use syncwire_proto::crdt::{AnyOp, GCounter, GCounterOp, NoMerge, PnCounter, PnCounterOp};
use syncwire_proto::replica::{Applied, Output, Replica, ReplicaError, ReplicaOrigin};
use syncwire_proto::wire::*;

/// Stands in for a WebSocket to a hub that accepts everything, or (with a
/// `snapshot`) answers every join with a resync to it and acks nothing.
#[derive(Default)]
struct FakeHub {
    to_client: VecDeque<Vec<u8>>,
    offset: u64,
    snapshot: Option<bytes::Bytes>,
}

impl FakeHub {
    fn receive(&mut self, bytes: &[u8]) {
        let reply = match Frame::decode(bytes).expect("a client frame") {
            Frame::Hello(_) => Frame::Welcome(Welcome {
                version: syncwire_proto::wire::SUPPORTED_VERSIONS[0],
                session: SessionId(1),
                heartbeat_ms: 0,
                limits: Limits {
                    max_frame_bytes: 1 << 20,
                    max_rooms: 16,
                    rate_frames_per_sec: 100,
                    rate_bytes_per_sec: 1 << 20,
                    rate_frame_burst: 200,
                    rate_byte_burst: 2 << 20,
                    max_payload_bytes: 1 << 19,
                    max_presence_bytes: 4096,
                    heartbeat_timeout_ms: 45_000,
                },
            }),
            Frame::Join(j) => Frame::Joined(Joined {
                room: j.room,
                crdt: j.crdt,
                epoch: 1,
                start: u64::from(self.snapshot.is_some()),
                head: u64::from(self.snapshot.is_some()),
                acked_seq: 0,
                writable: true,
                resync: self.snapshot.is_some(),
                snapshot: self.snapshot.clone(),
            }),
            Frame::ClientDelta(_) if self.snapshot.is_some() => return,
            Frame::ClientDelta(d) => {
                self.offset += 1;
                Frame::Ack(Ack {
                    room: d.room,
                    seq: d.seq,
                    offset: Some(self.offset - 1),
                })
            }
            _ => return,
        };
        self.to_client.push_back(reply.encode());
    }
}

/// The driver loop: poll every output, then feed the next frame or the deadline.
/// Returns the events handed out, once `done` holds for one of them.
fn run(
    replica: &mut Replica,
    now: &mut Instant,
    done: impl Fn(&ClientEvent) -> bool,
) -> Vec<ClientEvent> {
    run_with(FakeHub::default(), replica, now, done)
}

fn run_with(
    mut hub: FakeHub,
    replica: &mut Replica,
    now: &mut Instant,
    done: impl Fn(&ClientEvent) -> bool,
) -> Vec<ClientEvent> {
    let mut current = ConnectionId::default();
    let mut events = Vec::new();
    for _ in 0..200 {
        while let Some(output) = replica.poll_output() {
            match output {
                Output::Transmit(frame) => hub.receive(&frame),
                Output::Transport(TransportCommand::Open { conn }) => {
                    current = conn; // a real driver starts a WebSocket connect here
                    replica.handle_transport_open(*now, conn);
                }
                Output::Transport(TransportCommand::Close { .. }) => hub.to_client.clear(),
                Output::Event(event) => events.push(event),
            }
        }
        if events.iter().any(&done) {
            return events;
        }
        // Idle: wait for the next frame or the deadline, whichever comes first.
        if let Some(bytes) = hub.to_client.pop_front() {
            replica.handle_frame(*now, current, &bytes);
        } else if let Some(deadline) = replica.poll_timeout() {
            *now = deadline;
            replica.handle_timeout(*now);
        }
    }
    panic!("never done: {events:?}");
}

fn acked(seq: u64) -> impl Fn(&ClientEvent) -> bool {
    move |e| matches!(e, ClientEvent::DeltaAcked { seq: s, .. } if *s == seq)
}

#[test]
fn a_fresh_replica_applies_at_once_and_its_delta_is_acked() {
    let mut now = Instant::ZERO;
    let mut r = Replica::new(ClientConfig::new(ReplicaId(7)), now, ReplicaOrigin::Fresh).unwrap();
    let room = RoomId::new("doc");
    r.join::<GCounter>(now, room.clone()).unwrap();
    let applied = r.apply::<GCounter>(now, 1, &room, GCounterOp::Increment(2));
    assert_eq!(applied.unwrap(), Applied::Submitted { seq: 1 }); // queued while offline
    assert_eq!(r.read::<GCounter>(&room).unwrap().value(), 2);
    r.connect(now);
    run(&mut r, &mut now, acked(1));
    assert_eq!(r.client().outbox_len(), 0);
    assert_eq!(r.unacknowledged(), 0);
}

#[test]
fn a_chosen_id_waits_until_the_room_caught_up() {
    let mut now = Instant::ZERO;
    let mut r = Replica::new(ClientConfig::new(ReplicaId(7)), now, ReplicaOrigin::Chosen).unwrap();
    let room = RoomId::new("doc");
    r.join::<GCounter>(now, room.clone()).unwrap();
    let op = AnyOp::GCounter(GCounterOp::Increment(3));
    assert_eq!(r.apply_any(now, 1, &room, op).unwrap(), Applied::Waiting);
    assert_eq!(
        r.read::<GCounter>(&room).unwrap().value(),
        0,
        "not shown yet"
    );
    assert_eq!((r.waiting_ops(), r.unacknowledged()), (1, 1));
    r.connect(now);
    let events = run(&mut r, &mut now, acked(1));
    let caught_up = events
        .iter()
        .position(|e| matches!(e, ClientEvent::CaughtUp { .. }));
    let ack = events.iter().position(acked(1));
    assert!(caught_up < ack, "submitted once caught up: {events:?}");
    assert_eq!(r.read::<GCounter>(&room).unwrap().value(), 3);
    assert_eq!(r.waiting_ops(), 0);
}

#[test]
fn a_refused_operation_changes_nothing() {
    let mut config = ClientConfig::new(ReplicaId(7));
    config.outbox_max_deltas = 1;
    config.merger = std::sync::Arc::new(NoMerge);
    let now = Instant::ZERO;
    let mut r = Replica::new(config, now, ReplicaOrigin::Fresh).unwrap();
    let room = RoomId::new("doc");
    r.join::<GCounter>(now, room.clone()).unwrap();
    r.apply::<GCounter>(now, 1, &room, GCounterOp::Increment(1))
        .unwrap();
    let refused = r.apply::<GCounter>(now, 1, &room, GCounterOp::Increment(5));
    assert!(matches!(
        refused,
        Err(ReplicaError::Client(ClientError::OutboxFull { .. }))
    ));
    assert_eq!(r.read::<GCounter>(&room).unwrap().value(), 1);
    assert_eq!(r.client().outbox_len(), 1);
    let op = PnCounterOp::Increment(1);
    let other = r.apply::<PnCounter>(now, 1, &room, op);
    assert!(matches!(other, Err(ReplicaError::TypeMismatch { .. })));
}

#[test]
fn typed_and_untyped_operations_take_the_same_path() {
    let now = Instant::ZERO;
    let room = RoomId::new("doc");
    let mut typed =
        Replica::new(ClientConfig::new(ReplicaId(7)), now, ReplicaOrigin::Fresh).unwrap();
    let mut untyped =
        Replica::new(ClientConfig::new(ReplicaId(7)), now, ReplicaOrigin::Fresh).unwrap();
    typed.join::<GCounter>(now, room.clone()).unwrap();
    let registry = syncwire_proto::crdt::Registry::with_builtin();
    untyped
        .join_tag(now, room.clone(), "gcounter", &registry)
        .unwrap();
    for n in 1..4 {
        typed
            .apply::<GCounter>(now, 1, &room, GCounterOp::Increment(n))
            .unwrap();
        untyped
            .apply_any(now, 1, &room, AnyOp::GCounter(GCounterOp::Increment(n)))
            .unwrap();
    }
    assert_eq!(typed.export(), untyped.export());
}

#[test]
fn waiting_operations_are_bounded() {
    let mut config = ClientConfig::new(ReplicaId(7));
    config.outbox_max_deltas = 2;
    let now = Instant::ZERO;
    let mut r = Replica::new(config, now, ReplicaOrigin::Chosen).unwrap();
    let room = RoomId::new("doc");
    r.join::<GCounter>(now, room.clone()).unwrap();
    for _ in 0..2 {
        let op = GCounterOp::Increment(1);
        assert_eq!(
            r.apply::<GCounter>(now, 1, &room, op).unwrap(),
            Applied::Waiting
        );
    }
    let third = r.apply::<GCounter>(now, 1, &room, GCounterOp::Increment(1));
    assert!(matches!(
        third,
        Err(ReplicaError::TooManyWaiting { max: 2 })
    ));
    r.leave(now, &room).unwrap();
    assert_eq!(
        r.waiting_ops(),
        0,
        "leaving drops the room's waiting operations"
    );
}

#[test]
fn a_resync_resets_the_document_and_replays_the_own_outbox() {
    let mut now = Instant::ZERO;
    let mut r = Replica::new(ClientConfig::new(ReplicaId(7)), now, ReplicaOrigin::Fresh).unwrap();
    let room = RoomId::new("doc");
    r.join::<GCounter>(now, room.clone()).unwrap();
    r.apply::<GCounter>(now, 1, &room, GCounterOp::Increment(2))
        .unwrap();
    // The hub's snapshot: another replica's 5, without this replica's unacked 2.
    let mut theirs = syncwire_proto::crdt::Document::<GCounter>::new(ReplicaId(9));
    theirs.apply_local(GCounterOp::Increment(5), 1).unwrap();
    let hub = FakeHub {
        snapshot: Some(theirs.encode_state().unwrap().into()),
        ..FakeHub::default()
    };
    r.connect(now);
    let caught_up = |e: &ClientEvent| matches!(e, ClientEvent::CaughtUp { .. });
    let events = run_with(hub, &mut r, &mut now, caught_up);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ClientEvent::Resync { .. }))
    );
    assert_eq!(
        r.read::<GCounter>(&room).unwrap().value(),
        7,
        "snapshot + own outbox"
    );
    assert_eq!(r.apply_errors(), 0);
    let after = r.apply::<GCounter>(now, 1, &room, GCounterOp::Increment(1));
    assert!(
        matches!(after, Ok(Applied::Submitted { .. })),
        "gate open once caught up"
    );
    assert_eq!(r.read::<GCounter>(&room).unwrap().value(), 8);
}
