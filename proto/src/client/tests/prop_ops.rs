//! Arbitrary operations for the property tests: driver inputs, application
//! commands, valid / hostile / garbage hub frames, and a benign subset.

use bytes::Bytes;
use quickcheck::{Arbitrary, Gen};
use std::sync::Arc;

use super::harness::{ME, PEER};
use crate::client::ClientConfig;
use crate::crdt::{CrdtError, DeltaMerger};
use crate::wire::*;

pub struct Concat;

impl DeltaMerger for Concat {
    fn merge(&self, tag: &str, a: &[u8], b: &[u8]) -> Result<Option<Vec<u8>>, CrdtError> {
        Ok((tag == "g").then(|| [a, b].concat()))
    }
}

/// Small bounds so that arbitrary sequences hit them.
pub fn config(seed: u64) -> ClientConfig {
    let mut c = ClientConfig::new(ME);
    c.seed = seed;
    c.outbox_max_deltas = 5;
    c.outbox_max_bytes = 64;
    c.max_rooms = 2;
    c.max_queued_events = 8;
    c.max_frame_bytes = 512;
    c.merger = Arc::new(Concat);
    c
}

pub fn room(i: u8) -> RoomId {
    RoomId::new(["a", "b", "c"][usize::from(i % 3)])
}

#[derive(Clone, Debug)]
pub enum Op {
    Connect,
    Close,
    Open,
    /// The transport was lost (close code); `true`: reported for a stale connection.
    Lost(Option<u16>, bool),
    Advance(u32),
    Join(u8, bool),
    Leave(u8),
    Submit(u8, u8),
    Presence(u8),
    /// Do not drain events after the next input.
    Hold,
    Hub(Frame),
    Raw(Vec<u8>),
    /// `connect` if needed, open the transport and welcome the client.
    Establish,
    /// A healthy hub answers every frame the client sent since the last reply.
    Reply,
    /// Log entries relative to the room's position: in order, a batch, a
    /// duplicate or a gap (by `kind % 4`), from a peer or this replica.
    Feed(u8, u8, bool),
}

fn small(g: &mut Gen, n: u64) -> u64 {
    u64::arbitrary(g) % n
}

/// Mostly epoch 1 (what a healthy join answers), sometimes another.
fn epoch(g: &mut Gen) -> u64 {
    if small(g, 4) == 0 { small(g, 3) } else { 1 }
}

fn hub_frame(g: &mut Gen) -> Frame {
    let r = room(u8::arbitrary(g));
    let payload = Bytes::from(vec![1u8; usize::from(u8::arbitrary(g) % 8)]);
    let replica = if bool::arbitrary(g) { ME } else { PEER };
    match small(g, 12) {
        0 => Frame::Welcome(Welcome {
            version: if small(g, 8) == 0 { 2 } else { 1 },
            session: SessionId(1),
            heartbeat_ms: u32::arbitrary(g) % 20_000,
            limits: Limits {
                max_frame_bytes: u32::arbitrary(g),
                max_rooms: 4,
                rate_frames_per_sec: 10,
                rate_bytes_per_sec: 1000,
                rate_frame_burst: 20,
                rate_byte_burst: 2000,
                max_payload_bytes: 1000,
                max_presence_bytes: 100,
                heartbeat_timeout_ms: 60_000,
            },
        }),
        1 => Frame::Reject(Reject {
            code: ErrorCode(u16::arbitrary(g) % 14),
            room: bool::arbitrary(g).then_some(r),
            seq: bool::arbitrary(g).then(|| small(g, 8)),
            message: String::new(),
        }),
        2 | 3 => Frame::Joined(Joined {
            room: r,
            crdt: "g".into(),
            epoch: epoch(g),
            start: small(g, 4),
            head: small(g, 8),
            acked_seq: if small(g, 10) == 0 {
                u64::MAX
            } else {
                small(g, 6)
            },
            writable: small(g, 4) != 0,
            resync: bool::arbitrary(g),
            snapshot: bool::arbitrary(g).then(|| payload.clone()),
        }),
        4 | 5 => Frame::HubDelta(HubDelta {
            room: r,
            crdt: "g".into(),
            epoch: epoch(g),
            offset: small(g, 4),
            replica,
            seq: small(g, 8),
            payload,
        }),
        6 => Frame::DeltaBatch(DeltaBatch {
            room: r,
            crdt: "g".into(),
            epoch: epoch(g),
            first_offset: if small(g, 10) == 0 {
                u64::MAX - 1
            } else {
                small(g, 4)
            },
            entries: (0..small(g, 5))
                .map(|s| BatchEntry {
                    replica,
                    seq: s,
                    payload: payload.clone(),
                })
                .collect(),
        }),
        7 | 8 => Frame::Ack(Ack {
            room: r,
            seq: small(g, 8),
            offset: (small(g, 3) > 0).then(|| small(g, 6)),
        }),
        9 => Frame::Ping {
            nonce: u64::arbitrary(g),
        },
        10 => Frame::Pong { nonce: small(g, 4) },
        _ => match small(g, 4) {
            0 => Frame::Peers(Peers {
                room: r,
                mode: PeersMode::Changes,
                count: 2,
                joined: vec![PeerInfo {
                    peer: SessionId(3),
                    replica,
                    user_info: None,
                    state: None,
                }],
                left: vec![],
            }),
            1 => Frame::Peers(Peers {
                room: r,
                mode: PeersMode::Changes,
                count: 1,
                joined: vec![],
                left: vec![SessionId(3)],
            }),
            2 => Frame::Presence(Presence {
                room: r,
                peer: SessionId(3),
                state: payload,
            }),
            _ => Frame::Leave(Leave { room: r }),
        },
    }
}

impl Arbitrary for Op {
    fn arbitrary(g: &mut Gen) -> Self {
        match small(g, 32) {
            25..=28 => Op::Feed(u8::arbitrary(g), u8::arbitrary(g), small(g, 4) == 0),
            20 | 21 => Op::Establish,
            22..=24 | 29..=31 => Op::Reply,
            0 => Op::Connect,
            1 => Op::Close,
            2 | 3 => Op::Open,
            4 => Op::Lost(
                bool::arbitrary(g)
                    .then(|| *g.choose(&[1000, 1001, 4001, 4002, 4011]).unwrap_or(&1000)),
                small(g, 3) == 0,
            ),
            5 | 6 => Op::Advance(u32::arbitrary(g) % 40_000),
            7 => Op::Join(u8::arbitrary(g), bool::arbitrary(g)),
            8 => Op::Leave(u8::arbitrary(g)),
            9 | 10 => Op::Submit(u8::arbitrary(g), u8::arbitrary(g) % 40),
            11 => Op::Presence(u8::arbitrary(g)),
            12 => Op::Hold,
            13 => Op::Raw(Vec::arbitrary(g)),
            _ => Op::Hub(hub_frame(g)),
        }
    }
}

/// Ops without hostile hub frames, garbage or transport losses, so that runs
/// get deep into joined rooms, deliveries and acks.
#[derive(Clone, Debug)]
pub struct Benign(pub Vec<Op>);

impl Arbitrary for Benign {
    fn arbitrary(g: &mut Gen) -> Self {
        let n = usize::arbitrary(g) % g.size().max(1);
        let ops = (0..n)
            .map(|_| {
                loop {
                    let op = Op::arbitrary(g);
                    if !matches!(op, Op::Hub(_) | Op::Raw(_) | Op::Lost(..) | Op::Close) {
                        break op;
                    }
                }
            })
            .collect();
        Benign(ops)
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        Box::new(self.0.shrink().map(Benign))
    }
}
