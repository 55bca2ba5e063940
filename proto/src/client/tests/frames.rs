//! Builders of the hub frames the client tests feed in.

use bytes::Bytes;

use crate::wire::*;

pub fn room(name: &str) -> RoomId {
    RoomId::new(name)
}

pub fn welcome(heartbeat_ms: u32) -> Frame {
    welcome_with(heartbeat_ms, limits(heartbeat_ms))
}

/// `Welcome` announcing `limits`.
pub fn welcome_with(heartbeat_ms: u32, limits: Limits) -> Frame {
    Frame::Welcome(Welcome {
        version: crate::wire::SUPPORTED_VERSIONS[0],
        session: SessionId(1),
        heartbeat_ms,
        limits,
    })
}

/// The limits [`welcome`] announces.
pub fn limits(heartbeat_ms: u32) -> Limits {
    Limits {
        max_frame_bytes: 1 << 20,
        max_rooms: 64,
        rate_frames_per_sec: 100,
        rate_bytes_per_sec: 1 << 20,
        rate_frame_burst: 200,
        rate_byte_burst: 2 << 20,
        max_payload_bytes: (1 << 20) - 1024,
        max_presence_bytes: 4096,
        heartbeat_timeout_ms: heartbeat_ms.saturating_mul(3),
    }
}

/// `Joined` for room `name` of type "g" (not a resync).
pub fn joined(name: &str, epoch: u64, start: u64, head: u64, acked_seq: u64) -> Frame {
    Frame::Joined(Joined {
        room: room(name),
        crdt: "g".into(),
        epoch,
        start,
        head,
        acked_seq,
        writable: true,
        resync: false,
        snapshot: None,
    })
}

pub fn hub_delta(name: &str, epoch: u64, offset: u64, replica: ReplicaId, seq: u64) -> Frame {
    Frame::HubDelta(HubDelta {
        room: room(name),
        crdt: "g".into(),
        epoch,
        offset,
        replica,
        seq,
        payload: Bytes::from(format!("d{offset}")),
    })
}

/// An `Ack` without offset (a re-ack of a duplicate): settles the outbox only.
pub fn ack(name: &str, seq: u64) -> Frame {
    Frame::Ack(Ack {
        room: room(name),
        seq,
        offset: None,
    })
}

/// A live `Ack` of the own entry at `offset`.
pub fn ack_at(name: &str, seq: u64, offset: u64) -> Frame {
    Frame::Ack(Ack {
        room: room(name),
        seq,
        offset: Some(offset),
    })
}

pub fn reject(code: ErrorCode, name: Option<&str>, seq: Option<u64>) -> Frame {
    Frame::Reject(Reject {
        code,
        room: name.map(room),
        seq,
        message: "no".into(),
    })
}
