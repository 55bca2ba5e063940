//! Client → hub frames for the hub fuzz body: handshakes, joins with plausible or
//! stale resume positions, deltas with in-order, duplicate and gapped sequence
//! numbers (valid CRDT payloads or garbage), leaves, presence, pings, and
//! shape-shifted frames.

use std::collections::BTreeMap;

use bytes::Bytes;

use super::cbor;
use super::client_frames::{TAGS, rooms};
use super::reader::Input;
use crate::crdt::Registry;
use crate::hub::{MemoryStorage, OpId, RoomRecord, StorageAction, StorageCompletion};
use crate::wire::*;

/// Replicas the sessions speak for (few, so sessions share replicas).
pub(crate) const REPLICAS: &[ReplicaId] = &[ReplicaId(1), ReplicaId(2), ReplicaId(3)];

/// What storage durably holds for `room` (read without disturbing failure injection).
pub(crate) fn stored(
    storage: &mut MemoryStorage,
    failing: bool,
    room: &RoomId,
) -> Option<RoomRecord> {
    storage.set_failing(false);
    let load = StorageAction::Load {
        op: OpId(0),
        room: room.clone(),
        tail_limit: 0,
    };
    let done = storage.execute(load);
    storage.set_failing(failing);
    match done {
        StorageCompletion::Loaded {
            result: Ok(rec), ..
        } => rec,
        _ => None,
    }
}

/// The sessions' next sequence numbers per (replica, room).
#[derive(Default)]
pub(crate) struct Sequences(BTreeMap<(ReplicaId, RoomId), u64>);

impl Sequences {
    fn pick(&mut self, input: &mut Input<'_>, replica: ReplicaId, room: &RoomId) -> u64 {
        let next = self.0.entry((replica, room.clone())).or_insert(1);
        let seq = match input.below(6) {
            0 => next.saturating_sub(1),
            1 => next.saturating_add(2),
            2 => input.small(),
            _ => *next,
        };
        if seq >= *next {
            *next = seq.saturating_add(1);
        }
        seq
    }
}

/// One client → hub frame from a session speaking for `replica` (if it said Hello).
pub(crate) fn client_frame(
    input: &mut Input<'_>,
    replica: Option<ReplicaId>,
    seqs: &mut Sequences,
    storage: &mut MemoryStorage,
    failing: bool,
) -> Vec<u8> {
    let rooms = rooms();
    let room = input.pick(&rooms).unwrap_or_else(|| RoomId::new("a"));
    let tag = if input.below(4) == 0 {
        input.pick(TAGS).unwrap_or("lww")
    } else {
        "gcounter"
    };
    let frame = match input.below(10) {
        0 => Frame::Hello(Hello {
            versions: input
                .pick(&[vec![2], vec![2], vec![3, 2], vec![1], vec![]])
                .unwrap_or_default(),
            replica: input.pick(REPLICAS).unwrap_or(ReplicaId(1)),
            token: input.bool().then(|| "t".to_owned()),
            user_info: input
                .bool()
                .then(|| Bytes::copy_from_slice(input.bytes(16))),
        }),
        1 | 2 => {
            let rec = stored(storage, failing, &room);
            let (epoch, head) = rec.map_or((0, 0), |r| (r.epoch, r.head));
            let resume = match input.below(5) {
                0 | 1 => None,
                2 => Some(Position {
                    epoch,
                    offset: head,
                }),
                3 => Some(Position {
                    epoch,
                    offset: input.small().min(head),
                }),
                _ => Some(Position {
                    epoch: input.small(),
                    offset: input.small(),
                }),
            };
            Frame::Join(Join {
                room,
                crdt: tag.to_owned(),
                resume,
            })
        }
        3 => Frame::Leave(Leave { room }),
        4..=6 => {
            let replica = match replica {
                Some(r) if input.below(8) != 0 => r,
                _ => input.pick(REPLICAS).unwrap_or(ReplicaId(1)),
            };
            let payload = if input.bool() {
                Bytes::from(
                    Registry::with_builtin()
                        .empty_state(tag)
                        .unwrap_or_default(),
                )
            } else {
                Bytes::copy_from_slice(input.bytes(64))
            };
            let seq = seqs.pick(input, replica, &room);
            Frame::ClientDelta(ClientDelta {
                room,
                crdt: tag.to_owned(),
                replica,
                seq,
                payload,
            })
        }
        7 => Frame::SetPresence(SetPresence {
            room,
            state: Bytes::copy_from_slice(input.bytes(64)),
        }),
        8 => match input.below(2) {
            0 => Frame::Ping {
                nonce: input.small(),
            },
            _ => Frame::Pong {
                nonce: input.small(),
            },
        },
        _ => return cbor::shaped(input, &rooms, TAGS),
    };
    frame.encode()
}
