//! Invariants the client fuzz body asserts after every step, beyond
//! `Client::check_invariants`: outbox bounds, deadlines never before `now`, only
//! well-formed client frames within the frame limit and only while a transport
//! exists, only issued sequences sent, remote deltas delivered in log order and
//! never the replica's own, acks strictly increasing per room between two `Joined`
//! (each `Joined` is authoritative for numbering, PROTOCOL.md §3.5), rejections only
//! in rooms something was submitted to, and a consistent chain of state changes.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;

use super::client_frames::OWN;
use crate::client::{Client, ClientEvent, ClientState};
use crate::replica::Replica;
use crate::time::Instant;
use crate::wire::{Frame, RoomId};

/// What the application side of the body has seen.
#[derive(Default)]
pub(crate) struct Checker {
    /// The application does not drain events (a slow application).
    pub(crate) stalled: bool,
    /// Rooms a local operation was taken on (submitted or waiting) since the room
    /// was last left.
    submitted: BTreeSet<RoomId>,
    /// Highest `DeltaAcked` per room.
    acked: BTreeMap<RoomId, u64>,
    /// Lowest offset the next `Delta` of a room may have.
    expected: BTreeMap<RoomId, u64>,
    /// Highest `head` of any `Joined` of a room: own entries may be delivered below it
    /// (replays after a reset), never at or above it (a live echo).
    replay_head: BTreeMap<RoomId, u64>,
    /// The state the last `StateChanged` moved to.
    state: Option<ClientState>,
}

impl Checker {
    /// A local operation on `room` was taken.
    pub(crate) fn submitted(&mut self, room: &RoomId) {
        self.submitted.insert(room.clone());
    }

    /// The application left `room` (after draining its events).
    pub(crate) fn left(&mut self, room: &RoomId) {
        self.submitted.remove(room);
        self.acked.remove(room);
    }

    /// The client was replaced by a restored one.
    pub(crate) fn restarted(&mut self) {
        self.state = Some(ClientState::Disconnected);
    }

    /// Checks one transmitted frame and returns it decoded.
    pub(crate) fn transmitted(&mut self, client: &Client, bytes: &Bytes) -> Option<Frame> {
        let max = client.config().max_frame_bytes;
        assert!(
            bytes.len() <= max,
            "frame of {} bytes over {max}",
            bytes.len()
        );
        let state = client.state();
        assert!(
            matches!(state, ClientState::Handshaking | ClientState::Connected),
            "frame transmitted in state {state:?}"
        );
        let frame = Frame::decode_with_limit(bytes, max)
            .unwrap_or_else(|e| panic!("client sent an undecodable frame: {e:?}"));
        match &frame {
            Frame::Hello(_) | Frame::Join(_) | Frame::Leave(_) | Frame::SetPresence(_) => {}
            Frame::Ping { .. } | Frame::Pong { .. } => {}
            Frame::ClientDelta(d) => {
                assert_eq!(d.replica, OWN, "delta sent for another replica");
                // Queued entries are renumbered after a `Joined` (from its
                // `acked_seq`) or a withdrawal, so a sent seq need not be one `submit`
                // returned; it is always one the room issued.
                let next = client.room(&d.room).map_or(0, |r| r.next_seq);
                assert!(
                    d.seq >= 1 && d.seq < next,
                    "sent seq {} not issued (next {next})",
                    d.seq
                );
                // No check against earlier acks: the latest `Joined` is authoritative
                // (PROTOCOL.md §3.5), and an arbitrary hub may state an `acked_seq`
                // below an `Ack` it sent before; the client then re-sends from there
                // (never loses), which this checker cannot tell from a bug because it
                // sees a `Joined` only when the application drains events.
            }
            other => panic!("client sent a hub frame: {}", other.name()),
        }
        Some(frame)
    }

    /// Checks one event the replica handed out.
    pub(crate) fn event(&mut self, event: ClientEvent, dropped: bool) {
        match event {
            ClientEvent::StateChanged { from, to, .. } => {
                if let Some(prev) = self.state.filter(|_| !dropped) {
                    assert_eq!(from, prev, "state change chain broken");
                }
                assert_ne!(from, to, "state change to the same state");
                self.state = Some(to);
            }
            ClientEvent::Joined {
                room, offset, head, ..
            } => {
                // Every `Joined` is authoritative (PROTOCOL.md §3.5): the queue
                // continues from its `acked_seq`, which a new epoch (or a faulty hub)
                // may put below earlier acks.
                self.acked.remove(&room);
                let h = self.replay_head.entry(room.clone()).or_insert(0);
                *h = (*h).max(head);
                self.expected.insert(room, offset);
            }
            ClientEvent::Resync { room, offset, .. } => {
                self.expected.insert(room, offset);
            }
            ClientEvent::Delta {
                room,
                replica,
                offset,
                ..
            } => {
                if replica == OWN {
                    let head = self.replay_head.get(&room).copied().unwrap_or(0);
                    assert!(
                        offset < head,
                        "own delta at {offset} delivered live (replay head {head})"
                    );
                }
                let Some(min) = self.expected.get_mut(&room) else {
                    panic!("delta for {room} before Joined");
                };
                assert!(
                    offset >= *min,
                    "delta at {offset} delivered after {min}: out of order"
                );
                *min = offset.saturating_add(1);
            }
            ClientEvent::DeltaAcked { room, seq } => {
                let prev = self.acked.insert(room.clone(), seq).unwrap_or(0);
                assert!(
                    seq > prev,
                    "ack {seq} of {room} not above the previous {prev}"
                );
                // Not compared with the room's `next_seq` now: a `Joined` drained
                // later than this event may have renumbered the queue below it
                // (the latest `Joined` is authoritative, PROTOCOL.md §3.5).
            }
            ClientEvent::DeltaRejected { room, seq, .. } => {
                // Numbers move (a `Joined` renumbers the queue from its `acked_seq`),
                // so only: something was submitted to the room, and the seq is real.
                let any = self.submitted.contains(&room);
                assert!(
                    any && seq >= 1,
                    "rejected seq {seq} of {room}, where nothing was submitted"
                );
                // Not compared with the room's `next_seq` now, for the reason given
                // at `DeltaAcked`.
            }
            _ => {}
        }
    }

    /// Checks the replica's state after one step and its drain: the client's
    /// invariants and bounds, waiting operations within their bound, one document
    /// per joined room.
    pub(crate) fn after_step(&self, replica: &Replica, now: Instant) {
        let client = replica.client();
        let max = client.config().outbox_max_deltas;
        assert!(
            replica.waiting_ops() <= max,
            "waiting operations over their bound"
        );
        assert_eq!(
            replica.documents().count(),
            client.rooms().count(),
            "a joined room without document, or a document without room"
        );
        if let Err(e) = client.check_invariants() {
            panic!("client invariant: {e}");
        }
        let c = client.config();
        assert!(
            client.outbox_len() <= c.outbox_max_deltas,
            "outbox over its count bound"
        );
        assert!(
            client.outbox_bytes() <= c.outbox_max_bytes,
            "outbox over its byte bound"
        );
        if let Some(deadline) = client.poll_timeout() {
            assert!(deadline >= now, "deadline {deadline:?} before now {now:?}");
        }
    }

    /// Final checks once everything is drained.
    pub(crate) fn finish(&self, client: &Client) {
        if client.metrics().events_dropped == 0 {
            if let Some(s) = self.state {
                assert_eq!(s, client.state(), "events disagree with the state");
            }
        }
    }
}
