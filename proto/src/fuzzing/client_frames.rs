//! Hub → client frames for the client fuzz body, built from a small model of what
//! the client has sent (joins, sequence numbers, pings) so that many frames are
//! plausible enough to drive the session deep: welcomes, joins that continue or
//! break the resume position, in-order and out-of-order deltas, acks of sent and
//! unsent sequences, rejects, presence, and shape-shifted frames.

use std::collections::BTreeMap;

use bytes::Bytes;

use super::cbor;
use super::reader::Input;
use crate::wire::*;

/// Room names the bodies use (a small pool, so operations collide).
pub(crate) fn rooms() -> Vec<RoomId> {
    ["a", "b", "c"].into_iter().map(RoomId::new).collect()
}

/// CRDT tags the bodies use: built-in types and one unknown tag.
pub(crate) const TAGS: &[&str] = &["gcounter", "lww", "orset", "nope"];

/// The client's replica in the client body.
pub(crate) const OWN: ReplicaId = ReplicaId(7);

/// What the fake hub remembers about one room.
#[derive(Clone, Default)]
pub(crate) struct RoomModel {
    /// The type tag of the last `Join`.
    pub(crate) crdt: String,
    /// The resume position of the last `Join`.
    pub(crate) resume: Option<Position>,
    /// Highest sequence the client sent.
    pub(crate) max_seq: u64,
    /// Epoch and next offset the fake hub serves.
    pub(crate) epoch: u64,
    pub(crate) next: u64,
}

/// The fake hub's memory, fed by the frames the client transmits.
#[derive(Default)]
pub(crate) struct HubModel {
    pub(crate) rooms: BTreeMap<RoomId, RoomModel>,
    pub(crate) ping: u64,
}

impl HubModel {
    /// Learns from one frame the client sent.
    pub(crate) fn observe(&mut self, frame: &Frame) {
        match frame {
            Frame::Join(j) => {
                let r = self.rooms.entry(j.room.clone()).or_default();
                r.crdt.clone_from(&j.crdt);
                r.resume = j.resume;
            }
            Frame::ClientDelta(d) => {
                let r = self.rooms.entry(d.room.clone()).or_default();
                r.max_seq = r.max_seq.max(d.seq);
            }
            Frame::Ping { nonce } => self.ping = *nonce,
            _ => {}
        }
    }

    /// One hub → client frame chosen by `input`.
    pub(crate) fn frame(&mut self, input: &mut Input<'_>) -> Vec<u8> {
        let rooms = rooms();
        let room = input.pick(&rooms).unwrap_or_else(|| RoomId::new("a"));
        let m = self.rooms.entry(room.clone()).or_default();
        let frame = match input.below(12) {
            0 => welcome(input),
            1 => joined(input, room, m),
            2 => {
                let (epoch, offset) = position(input, m, 1);
                Frame::HubDelta(HubDelta {
                    room,
                    crdt: m.crdt.clone(),
                    epoch,
                    offset,
                    replica: input.pick(&[ReplicaId(9), OWN]).unwrap_or(OWN),
                    seq: input.small(),
                    payload: Bytes::copy_from_slice(input.bytes(32)),
                })
            }
            3 => {
                let n = input.below(5);
                let (epoch, first_offset) = position(input, m, n as u64);
                let entries = (0..n)
                    .map(|_| BatchEntry {
                        replica: input.pick(&[ReplicaId(9), OWN]).unwrap_or(OWN),
                        seq: input.small(),
                        payload: Bytes::copy_from_slice(input.bytes(16)),
                    })
                    .collect();
                let crdt = m.crdt.clone();
                Frame::DeltaBatch(DeltaBatch {
                    room,
                    crdt,
                    epoch,
                    first_offset,
                    entries,
                })
            }
            4 => {
                let seq = pick_u64(input, &[m.max_seq, m.max_seq.saturating_sub(1)]);
                let extra = [m.next, input.small()];
                return cbor::ack(input, &room, seq, &extra);
            }
            5 => Frame::Reject(Reject {
                code: pick_code(input),
                room: input.bool().then_some(room),
                seq: input.bool().then(|| pick_u64(input, &[m.max_seq])),
                message: String::new(),
            }),
            6 => Frame::Ping {
                nonce: input.small(),
            },
            7 => Frame::Pong {
                nonce: pick_u64(input, &[self.ping]),
            },
            8 | 9 => {
                let modes = [PeersMode::Full, PeersMode::Changes, PeersMode::Summary];
                let mode = modes[input.below(modes.len())];
                let joined = (0..input.below(4))
                    .map(|_| PeerInfo {
                        peer: SessionId(input.small()),
                        replica: ReplicaId(input.small()),
                        user_info: input.bool().then(|| Bytes::copy_from_slice(input.bytes(8))),
                        state: input.bool().then(|| Bytes::copy_from_slice(input.bytes(8))),
                    })
                    .collect();
                let left = (0..input.below(4))
                    .map(|_| SessionId(input.small()))
                    .collect();
                Frame::Peers(Peers {
                    room,
                    mode,
                    count: input.small(),
                    joined,
                    left,
                })
            }
            10 => Frame::Presence(Presence {
                room,
                peer: SessionId(input.small()),
                state: Bytes::copy_from_slice(input.bytes(16)),
            }),
            _ => return cbor::shaped(input, &rooms, TAGS),
        };
        frame.encode()
    }
}

/// Either one of `likely` or a small random number.
fn pick_u64(input: &mut Input<'_>, likely: &[u64]) -> u64 {
    let i = input.below(likely.len().saturating_add(1));
    likely.get(i).copied().unwrap_or_else(|| input.small())
}

fn pick_code(input: &mut Input<'_>) -> ErrorCode {
    let i = input.below(ErrorCode::KNOWN.len().saturating_add(1));
    ErrorCode::KNOWN
        .get(i)
        .copied()
        .unwrap_or(ErrorCode(input.u16()))
}

/// Epoch and offset for `n` entries: usually the model's next offset (advanced).
fn position(input: &mut Input<'_>, m: &mut RoomModel, n: u64) -> (u64, u64) {
    let epoch = pick_u64(input, &[m.epoch, m.epoch]);
    let offset = pick_u64(input, &[m.next, m.next, m.next.saturating_sub(1)]);
    if epoch == m.epoch && offset == m.next {
        m.next = m.next.saturating_add(n);
    }
    (epoch, offset)
}

fn welcome(input: &mut Input<'_>) -> Frame {
    Frame::Welcome(Welcome {
        version: input.pick(&[1, 1, 1, 0, 2]).unwrap_or(1),
        session: SessionId(1),
        heartbeat_ms: input.pick(&[0, 100, 1000, 15_000, 1]).unwrap_or(0),
        limits: Limits {
            max_frame_bytes: input.pick(&[1 << 20, 1 << 20, 256, 64, 0]).unwrap_or(0),
            max_rooms: input.pick(&[16, 16, 1, 0]).unwrap_or(0),
            rate_frames_per_sec: input.pick(&[100, 1, 0]).unwrap_or(0),
            rate_bytes_per_sec: input.pick(&[1 << 20, 10, 0]).unwrap_or(0),
            rate_frame_burst: input.pick(&[200, 1, 0]).unwrap_or(0),
            rate_byte_burst: input.pick(&[2 << 20, 10, 0]).unwrap_or(0),
            max_payload_bytes: input.pick(&[1 << 20, 64, 0]).unwrap_or(0),
            max_presence_bytes: input.pick(&[4096, 1, 0]).unwrap_or(0),
            heartbeat_timeout_ms: input.pick(&[0, 300, 3000, 45_000]).unwrap_or(0),
        },
    })
}

fn joined(input: &mut Input<'_>, room: RoomId, m: &mut RoomModel) -> Frame {
    let resync = input.below(4) == 0;
    let resume = m.resume.unwrap_or_default();
    let epoch = if resync {
        pick_u64(input, &[resume.epoch.saturating_add(1), 1])
    } else {
        pick_u64(input, &[resume.epoch.max(1), resume.epoch.max(1)])
    };
    let start = pick_u64(input, &[resume.offset, resume.offset, 0]);
    let head = start.saturating_add(input.small());
    m.epoch = epoch;
    m.next = start;
    Frame::Joined(Joined {
        room,
        crdt: if input.below(8) == 0 {
            "nope".to_owned()
        } else {
            m.crdt.clone()
        },
        epoch,
        start,
        head,
        acked_seq: pick_u64(input, &[0, m.max_seq, m.max_seq.saturating_sub(1)]),
        writable: input.below(8) != 0,
        resync,
        snapshot: (resync && input.bool()).then(|| Bytes::copy_from_slice(input.bytes(16))),
    })
}
