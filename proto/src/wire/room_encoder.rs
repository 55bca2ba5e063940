//! [`RoomEncoder`]: the hub's per-delta frames (`HubDelta`, `Ack`) of one room,
//! encoded from a cached prefix. Every field before the per-entry ones (array
//! header, frame type, room, CRDT tag, epoch) is the same for all frames of a room
//! at one epoch, so it is encoded once; each frame then costs one copy of the
//! prefix plus its own fields, in a buffer of exactly its size. The bytes are
//! those of [`Frame::encode`](super::Frame::encode).

use super::encode::Out;
use super::frame::frame_type;
use super::types::ReplicaId;

/// Encoded size of a CBOR header with argument `v`.
pub(super) use crate::cbor_head::arg_len as head_len;

/// Encoded size of a text or byte string of `len` bytes.
pub(super) fn string_len(len: usize) -> usize {
    head_len(len as u64).saturating_add(len)
}

/// Encodes the `HubDelta` and `Ack` frames of one room at one epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RoomEncoder {
    /// `[8, 8, room, crdt, epoch` of every `HubDelta`.
    hub_delta: Vec<u8>,
    /// `[4, 10, room` of every `Ack`.
    ack: Vec<u8>,
}

impl RoomEncoder {
    /// The encoder of `room`'s frames, whose CRDT tag is `crdt`, at `epoch`.
    pub(crate) fn new(room: &str, crdt: &str, epoch: u64) -> Self {
        let mut hub_delta = Vec::new();
        let mut o = Out(&mut hub_delta);
        o.array(8);
        o.uint(frame_type::HUB_DELTA);
        o.text(room);
        o.text(crdt);
        o.uint(epoch);
        let mut ack = Vec::new();
        let mut o = Out(&mut ack);
        o.array(4);
        o.uint(frame_type::ACK);
        o.text(room);
        RoomEncoder { hub_delta, ack }
    }

    /// The exact size of [`RoomEncoder::hub_delta`] with these fields.
    pub(crate) fn hub_delta_len(
        &self,
        offset: u64,
        replica: ReplicaId,
        seq: u64,
        payload: usize,
    ) -> usize {
        (head_len(offset) + head_len(replica.0) + head_len(seq))
            .saturating_add(self.hub_delta.len())
            .saturating_add(string_len(payload))
    }

    /// A `HubDelta` of this room (`len` from [`RoomEncoder::hub_delta_len`] sizes the
    /// buffer; any value is correct, the exact one avoids reallocation).
    pub(crate) fn hub_delta(
        &self,
        len: usize,
        offset: u64,
        replica: ReplicaId,
        seq: u64,
        payload: &[u8],
    ) -> Vec<u8> {
        let mut buf = Vec::with_capacity(len);
        buf.extend_from_slice(&self.hub_delta);
        let mut o = Out(&mut buf);
        o.uint(offset);
        o.uint(replica.0);
        o.uint(seq);
        o.bytes(payload);
        buf
    }

    /// The exact size of [`RoomEncoder::ack`] with these fields.
    pub(crate) fn ack_len(&self, seq: u64, offset: Option<u64>) -> usize {
        (head_len(seq) + offset.map_or(1, head_len)).saturating_add(self.ack.len())
    }

    /// An `Ack` of this room (`len` as for [`RoomEncoder::hub_delta`]).
    pub(crate) fn ack(&self, len: usize, seq: u64, offset: Option<u64>) -> Vec<u8> {
        let mut buf = Vec::with_capacity(len);
        buf.extend_from_slice(&self.ack);
        let mut o = Out(&mut buf);
        o.uint(seq);
        o.opt_uint(offset);
        buf
    }
}
