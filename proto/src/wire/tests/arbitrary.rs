//! quickcheck generators for frames.

use bytes::Bytes;
use quickcheck::{Arbitrary, Gen};

use crate::wire::*;

fn text(g: &mut Gen, max: usize) -> String {
    let s: String = String::arbitrary(g);
    let mut out = String::new();
    for c in s.chars() {
        if out.len() + c.len_utf8() > max {
            break;
        }
        out.push(c);
    }
    out
}

fn bytes(g: &mut Gen) -> Bytes {
    Bytes::from(Vec::<u8>::arbitrary(g))
}

fn opt<T>(g: &mut Gen, f: impl FnOnce(&mut Gen) -> T) -> Option<T> {
    if bool::arbitrary(g) { Some(f(g)) } else { None }
}

/// Text of 1..=`max` bytes (room names and CRDT tags are never empty).
fn name(g: &mut Gen, max: usize) -> String {
    let s = text(g, max);
    if s.is_empty() { "r".to_owned() } else { s }
}

fn room(g: &mut Gen) -> RoomId {
    RoomId::new(&name(g, MAX_ROOM_ID_LEN))
}

fn crdt(g: &mut Gen) -> String {
    name(g, MAX_CRDT_TAG_LEN)
}

/// Integers spread over all CBOR header widths.
fn uint(g: &mut Gen) -> u64 {
    match u8::arbitrary(g) % 5 {
        0 => u64::from(u8::arbitrary(g) % 24),
        1 => u64::from(u8::arbitrary(g)),
        2 => u64::from(u16::arbitrary(g)),
        3 => u64::from(u32::arbitrary(g)),
        _ => u64::arbitrary(g),
    }
}

impl Arbitrary for Frame {
    fn arbitrary(g: &mut Gen) -> Self {
        match u8::arbitrary(g) % 16 {
            0 => Frame::Hello(Hello {
                versions: (0..usize::arbitrary(g) % (MAX_OFFERED_VERSIONS + 1))
                    .map(|_| u32::arbitrary(g))
                    .collect(),
                replica: ReplicaId(uint(g)),
                token: opt(g, |g| text(g, MAX_TOKEN_LEN)),
                user_info: opt(g, bytes),
            }),
            1 => Frame::Welcome(Welcome {
                version: u32::arbitrary(g),
                session: SessionId(uint(g)),
                heartbeat_ms: u32::arbitrary(g),
                limits: Limits {
                    max_frame_bytes: u32::arbitrary(g),
                    max_rooms: u32::arbitrary(g),
                    rate_frames_per_sec: u32::arbitrary(g),
                    rate_bytes_per_sec: u32::arbitrary(g),
                    rate_frame_burst: u32::arbitrary(g),
                    rate_byte_burst: u32::arbitrary(g),
                    max_payload_bytes: u32::arbitrary(g),
                    max_presence_bytes: u32::arbitrary(g),
                    heartbeat_timeout_ms: u32::arbitrary(g),
                },
            }),
            2 => Frame::Reject(Reject {
                code: ErrorCode(u16::arbitrary(g)),
                room: opt(g, room),
                seq: opt(g, uint),
                message: text(g, MAX_MESSAGE_LEN),
            }),
            3 => Frame::Join(Join {
                room: room(g),
                crdt: crdt(g),
                resume: opt(g, |g| Position {
                    epoch: uint(g),
                    offset: uint(g),
                }),
            }),
            4 => Frame::Joined(Joined {
                room: room(g),
                crdt: crdt(g),
                epoch: uint(g),
                start: uint(g),
                head: uint(g),
                acked_seq: uint(g),
                writable: bool::arbitrary(g),
                resync: bool::arbitrary(g),
                snapshot: opt(g, bytes),
            }),
            5 => Frame::Leave(Leave { room: room(g) }),
            6 => Frame::ClientDelta(ClientDelta {
                room: room(g),
                crdt: crdt(g),
                replica: ReplicaId(uint(g)),
                seq: uint(g),
                payload: bytes(g),
            }),
            7 => Frame::HubDelta(HubDelta {
                room: room(g),
                crdt: crdt(g),
                epoch: uint(g),
                offset: uint(g),
                replica: ReplicaId(uint(g)),
                seq: uint(g),
                payload: bytes(g),
            }),
            8 => Frame::DeltaBatch(DeltaBatch {
                room: room(g),
                crdt: crdt(g),
                epoch: uint(g),
                first_offset: uint(g),
                entries: (0..usize::arbitrary(g) % 8)
                    .map(|_| BatchEntry {
                        replica: ReplicaId(uint(g)),
                        seq: uint(g),
                        payload: bytes(g),
                    })
                    .collect(),
            }),
            9 => Frame::Ack(Ack {
                room: room(g),
                seq: uint(g),
                offset: opt(g, uint),
            }),
            10 => Frame::Ping { nonce: uint(g) },
            11 => Frame::Pong { nonce: uint(g) },
            12 | 13 => Frame::Peers(Peers {
                room: room(g),
                mode: [PeersMode::Full, PeersMode::Changes, PeersMode::Summary]
                    [usize::arbitrary(g) % 3],
                count: uint(g),
                joined: (0..usize::arbitrary(g) % 4)
                    .map(|_| PeerInfo {
                        peer: SessionId(uint(g)),
                        replica: ReplicaId(uint(g)),
                        user_info: opt(g, bytes),
                        state: opt(g, bytes),
                    })
                    .collect(),
                left: (0..usize::arbitrary(g) % 4)
                    .map(|_| SessionId(uint(g)))
                    .collect(),
            }),
            14 => Frame::SetPresence(SetPresence {
                room: room(g),
                state: bytes(g),
            }),
            _ => Frame::Presence(Presence {
                room: room(g),
                peer: SessionId(uint(g)),
                state: bytes(g),
            }),
        }
    }
}
