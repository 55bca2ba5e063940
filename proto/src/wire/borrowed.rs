//! Frames that borrow from their input or from the caller's state, for hot paths
//! that must not allocate per frame: [`FrameRef`] / [`ClientDeltaRef`] on the
//! decoding side (room and CRDT tag borrowed from the input bytes), [`HubDeltaRef`]
//! and [`AckRef`] on the encoding side (encoded straight from borrowed fields, with
//! exactly the bytes of the owned frames).

use bytes::Bytes;

use super::encode::Out;
use super::frame::{ClientDelta, Frame, frame_type};
use super::room_encoder::{head_len, string_len};
use super::types::{ReplicaId, RoomId};

/// A `ClientDelta` whose room and CRDT tag borrow from the decoded input.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct ClientDeltaRef<'a> {
    /// The room name.
    pub room: &'a str,
    /// The CRDT type tag of the payload.
    pub crdt: &'a str,
    /// The originating replica.
    pub replica: ReplicaId,
    /// Per-room, per-replica sequence number.
    pub seq: u64,
    /// The encoded delta (a slice of the input when decoded from [`Bytes`]).
    pub payload: Bytes,
}

impl ClientDeltaRef<'_> {
    /// The owned frame (allocates the room id and tag).
    pub(crate) fn to_owned_delta(&self) -> ClientDelta {
        ClientDelta {
            room: RoomId::new(self.room),
            crdt: self.crdt.to_owned(),
            replica: self.replica,
            seq: self.seq,
            payload: self.payload.clone(),
        }
    }
}

/// A decoded frame: `ClientDelta` borrowed from the input, every other type owned.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) enum FrameRef<'a> {
    /// A client delta, borrowing its strings.
    ClientDelta(ClientDeltaRef<'a>),
    /// Any other frame.
    Owned(Frame),
}

impl FrameRef<'_> {
    /// The owned frame.
    pub(crate) fn into_owned(self) -> Frame {
        match self {
            FrameRef::ClientDelta(d) => Frame::ClientDelta(d.to_owned_delta()),
            FrameRef::Owned(f) => f,
        }
    }
}

/// A `HubDelta` to encode from borrowed fields (same bytes as [`Frame::HubDelta`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct HubDeltaRef<'a> {
    /// The room name.
    pub room: &'a str,
    /// The CRDT type tag of the payload.
    pub crdt: &'a str,
    /// The room's epoch.
    pub epoch: u64,
    /// This entry's offset in the room's log.
    pub offset: u64,
    /// The originating replica.
    pub replica: ReplicaId,
    /// The origin's sequence number.
    pub seq: u64,
    /// The encoded delta.
    pub payload: &'a [u8],
}

/// An `Ack` to encode from borrowed fields (same bytes as [`Frame::Ack`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct AckRef<'a> {
    /// The room name.
    pub room: &'a str,
    /// Cumulative acknowledged sequence.
    pub seq: u64,
    /// Log offset of the acknowledged entry, if known.
    pub offset: Option<u64>,
}

/// A buffer of exactly `len` bytes' capacity, filled by `write`.
fn exact(len: usize, write: impl FnOnce(&mut Out<'_>)) -> Vec<u8> {
    let mut buf = Vec::with_capacity(len);
    write(&mut Out(&mut buf));
    debug_assert_eq!(buf.len(), len, "encoded_len is exact");
    buf
}

impl HubDeltaRef<'_> {
    pub(super) fn write(&self, o: &mut Out<'_>) {
        o.array(8);
        o.uint(frame_type::HUB_DELTA);
        o.text(self.room);
        o.text(self.crdt);
        o.uint(self.epoch);
        o.uint(self.offset);
        o.uint(self.replica.0);
        o.uint(self.seq);
        o.bytes(self.payload);
    }

    /// The exact encoded size in bytes.
    #[cfg(test)]
    pub(crate) fn encoded_len(&self) -> usize {
        [self.epoch, self.offset, self.replica.0, self.seq]
            .iter()
            .map(|&v| head_len(v))
            .sum::<usize>()
            .saturating_add(2)
            .saturating_add(string_len(self.room.len()))
            .saturating_add(string_len(self.crdt.len()))
            .saturating_add(string_len(self.payload.len()))
    }

    /// Encodes into a new buffer of exactly [`HubDeltaRef::encoded_len`] bytes.
    #[cfg(test)]
    pub(crate) fn encode(&self) -> Vec<u8> {
        exact(self.encoded_len(), |o| self.write(o))
    }
}

impl AckRef<'_> {
    pub(super) fn write(&self, o: &mut Out<'_>) {
        o.array(4);
        o.uint(frame_type::ACK);
        o.text(self.room);
        o.uint(self.seq);
        o.opt_uint(self.offset);
    }

    /// The exact encoded size in bytes.
    pub(crate) fn encoded_len(&self) -> usize {
        let offset = self.offset.map_or(1, head_len);
        (2 + offset)
            .saturating_add(head_len(self.seq))
            .saturating_add(string_len(self.room.len()))
    }

    /// Encodes into a new buffer of exactly [`AckRef::encoded_len`] bytes.
    pub(crate) fn encode(&self) -> Vec<u8> {
        exact(self.encoded_len(), |o| self.write(o))
    }
}
