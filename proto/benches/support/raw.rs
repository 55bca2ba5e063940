//! The baseline codec: raw ciborium + serde (with `serde_bytes`) on tuple structs
//! carrying the same fields as syncwire's frames, which CBOR encodes as arrays
//! like syncwire's own encoding. What a hand-rolled server would write.

use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use super::{CRDT, PAYLOAD_BYTES, ROOM};

/// Baseline `ClientDelta`: (type, room, crdt, replica, seq, payload).
#[derive(Serialize, Deserialize)]
pub struct RawClientDelta(
    pub u8,
    pub String,
    pub String,
    pub u64,
    pub u64,
    pub ByteBuf,
);

/// Baseline `HubDelta`: (type, room, crdt, epoch, offset, replica, seq, payload).
#[derive(Serialize, Deserialize)]
pub struct RawHubDelta(
    pub u8,
    pub String,
    pub String,
    pub u64,
    pub u64,
    pub u64,
    pub u64,
    pub ByteBuf,
);

/// Baseline `Ack`: (type, room, seq).
#[derive(Serialize, Deserialize)]
pub struct RawAck(pub u8, pub String, pub u64);

/// A baseline client delta of `replica` with sequence `seq` and a 64-byte payload.
pub fn client_delta(replica: u64, seq: u64) -> RawClientDelta {
    let p = ByteBuf::from(vec![0xA5u8; PAYLOAD_BYTES]);
    RawClientDelta(6, ROOM.into(), CRDT.into(), replica, seq, p)
}

/// A baseline hub delta with a 64-byte payload.
pub fn hub_delta() -> RawHubDelta {
    let p = ByteBuf::from(vec![0xA5u8; PAYLOAD_BYTES]);
    RawHubDelta(
        7,
        ROOM.into(),
        CRDT.into(),
        0xDEAD_BEEF,
        123_456,
        42,
        1_000_000,
        p,
    )
}

/// Encodes `value` into a new buffer (not inlined, so profilers can find it).
#[inline(never)]
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    ciborium::into_writer(value, &mut out).expect("encode to Vec");
    out
}

/// Decodes a `T` from `bytes` (not inlined, so profilers can find it).
#[inline(never)]
pub fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> T {
    ciborium::from_reader(bytes).expect("decode")
}

/// What a hand-written client does for a counter increment: bump its own entry,
/// encode the one-entry delta `{replica: count}`, wrap it in a `ClientDelta` frame.
#[inline(never)]
pub fn counter_increment_frame(
    counts: &mut std::collections::BTreeMap<u64, u64>,
    replica: u64,
    seq: u64,
) -> Vec<u8> {
    let count = counts.entry(replica).or_insert(0);
    *count += 1;
    let delta: std::collections::BTreeMap<u64, u64> = [(replica, *count)].into();
    let payload = ByteBuf::from(encode(&delta));
    encode(&RawClientDelta(
        7,
        ROOM.into(),
        CRDT.into(),
        replica,
        seq,
        payload,
    ))
}
