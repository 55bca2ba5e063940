//! Frame → bytes. Encoding is canonical (shortest integer and length headers,
//! definite lengths only), so equal frames always encode to equal bytes.

use super::borrowed::{AckRef, HubDeltaRef};
use super::frame::*;
use super::types::RoomId;

use crate::cbor_head::{self, MAJOR_ARRAY, MAJOR_BYTES, MAJOR_TEXT, MAJOR_UINT};

/// The simple values `false`, `true` and `null` (major type 7).
const FALSE: u8 = 0xf4;
const TRUE: u8 = 0xf5;
const NULL: u8 = 0xf6;

/// A CBOR writer appending to a `Vec<u8>`, always in the shortest form of each
/// header (the canonical encoding of docs/PROTOCOL.md). Writing into a `Vec`
/// cannot fail, so the methods return nothing.
pub(super) struct Out<'a>(pub(super) &'a mut Vec<u8>);

impl Out<'_> {
    /// A header of major type `major` with argument `v`, shortest form.
    #[inline]
    fn head(&mut self, major: u8, v: u64) {
        cbor_head::write_arg(self.0, major, v);
    }
    pub(super) fn array(&mut self, len: usize) {
        self.head(MAJOR_ARRAY, len as u64);
    }
    pub(super) fn uint(&mut self, v: u64) {
        self.head(MAJOR_UINT, v);
    }
    pub(super) fn bool(&mut self, v: bool) {
        self.0.push(if v { TRUE } else { FALSE });
    }
    pub(super) fn null(&mut self) {
        self.0.push(NULL);
    }
    pub(super) fn text(&mut self, s: &str) {
        self.head(MAJOR_TEXT, s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }
    pub(super) fn bytes(&mut self, b: &[u8]) {
        self.head(MAJOR_BYTES, b.len() as u64);
        self.0.extend_from_slice(b);
    }
    pub(super) fn opt_text(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.text(s),
            None => self.null(),
        }
    }
    pub(super) fn opt_bytes(&mut self, b: Option<&[u8]>) {
        match b {
            Some(b) => self.bytes(b),
            None => self.null(),
        }
    }
    pub(super) fn opt_uint(&mut self, v: Option<u64>) {
        match v {
            Some(v) => self.uint(v),
            None => self.null(),
        }
    }
}

impl Frame {
    /// Encodes the frame into a new buffer.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.size_hint());
        self.encode_into(&mut out);
        out
    }

    /// Appends the encoded frame to `buf`.
    pub fn encode_into(&self, buf: &mut Vec<u8>) {
        use frame_type::*;
        let mut o = Out(buf);
        match self {
            Frame::Hello(h) => {
                o.array(5);
                o.uint(HELLO);
                o.array(h.versions.len());
                for v in &h.versions {
                    o.uint(u64::from(*v));
                }
                o.uint(h.replica.0);
                o.opt_text(h.token.as_deref());
                o.opt_bytes(h.user_info.as_deref());
            }
            Frame::Welcome(w) => {
                o.array(5);
                o.uint(WELCOME);
                o.uint(u64::from(w.version));
                o.uint(w.session.0);
                o.uint(u64::from(w.heartbeat_ms));
                let l = &w.limits;
                o.array(9);
                for v in [
                    l.max_frame_bytes,
                    l.max_rooms,
                    l.rate_frames_per_sec,
                    l.rate_bytes_per_sec,
                    l.rate_frame_burst,
                    l.rate_byte_burst,
                    l.max_payload_bytes,
                    l.max_presence_bytes,
                    l.heartbeat_timeout_ms,
                ] {
                    o.uint(u64::from(v));
                }
            }
            Frame::Reject(r) => {
                o.array(5);
                o.uint(REJECT);
                o.uint(u64::from(r.code.0));
                o.opt_text(r.room.as_ref().map(RoomId::as_str));
                o.opt_uint(r.seq);
                o.text(&r.message);
            }
            Frame::Join(j) => {
                o.array(4);
                o.uint(JOIN);
                o.text(j.room.as_str());
                o.text(&j.crdt);
                match j.resume {
                    Some(p) => {
                        o.array(2);
                        o.uint(p.epoch);
                        o.uint(p.offset);
                    }
                    None => o.null(),
                }
            }
            Frame::Joined(j) => {
                o.array(10);
                o.uint(JOINED);
                o.text(j.room.as_str());
                o.text(&j.crdt);
                o.uint(j.epoch);
                o.uint(j.start);
                o.uint(j.head);
                o.uint(j.acked_seq);
                o.bool(j.writable);
                o.bool(j.resync);
                o.opt_bytes(j.snapshot.as_deref());
            }
            Frame::Leave(l) => {
                o.array(2);
                o.uint(LEAVE);
                o.text(l.room.as_str());
            }
            Frame::ClientDelta(d) => {
                o.array(6);
                o.uint(CLIENT_DELTA);
                o.text(d.room.as_str());
                o.text(&d.crdt);
                o.uint(d.replica.0);
                o.uint(d.seq);
                o.bytes(&d.payload);
            }
            Frame::HubDelta(d) => HubDeltaRef {
                room: d.room.as_str(),
                crdt: &d.crdt,
                epoch: d.epoch,
                offset: d.offset,
                replica: d.replica,
                seq: d.seq,
                payload: &d.payload,
            }
            .write(&mut o),
            Frame::DeltaBatch(b) => {
                o.array(6);
                o.uint(DELTA_BATCH);
                o.text(b.room.as_str());
                o.text(&b.crdt);
                o.uint(b.epoch);
                o.uint(b.first_offset);
                o.array(b.entries.len());
                for e in &b.entries {
                    o.array(3);
                    o.uint(e.replica.0);
                    o.uint(e.seq);
                    o.bytes(&e.payload);
                }
            }
            Frame::Ack(a) => AckRef {
                room: a.room.as_str(),
                seq: a.seq,
                offset: a.offset,
            }
            .write(&mut o),
            Frame::Ping { nonce } => {
                o.array(2);
                o.uint(PING);
                o.uint(*nonce);
            }
            Frame::Pong { nonce } => {
                o.array(2);
                o.uint(PONG);
                o.uint(*nonce);
            }
            Frame::SetPresence(p) => {
                o.array(3);
                o.uint(SET_PRESENCE);
                o.text(p.room.as_str());
                o.bytes(&p.state);
            }
            Frame::Presence(p) => {
                o.array(4);
                o.uint(PRESENCE);
                o.text(p.room.as_str());
                o.uint(p.peer.0);
                o.bytes(&p.state);
            }
            Frame::Peers(p) => {
                o.array(6);
                o.uint(PEERS);
                o.text(p.room.as_str());
                o.uint(p.mode.code());
                o.uint(p.count);
                o.array(p.joined.len());
                for e in &p.joined {
                    o.array(4);
                    o.uint(e.peer.0);
                    o.uint(e.replica.0);
                    o.opt_bytes(e.user_info.as_deref());
                    o.opt_bytes(e.state.as_deref());
                }
                o.array(p.left.len());
                for s in &p.left {
                    o.uint(s.0);
                }
            }
        }
    }

    /// An upper-bound guess of the encoded size, used to size buffers.
    fn size_hint(&self) -> usize {
        const FIXED: usize = 64;
        FIXED
            + match self {
                Frame::Hello(h) => {
                    h.token.as_ref().map_or(0, String::len)
                        + h.user_info.as_ref().map_or(0, |b| b.len())
                        + 9 * h.versions.len()
                }
                Frame::Reject(r) => {
                    r.message.len() + r.room.as_ref().map_or(0, |r| r.as_str().len())
                }
                Frame::Join(j) => j.room.as_str().len() + j.crdt.len(),
                Frame::Joined(j) => {
                    j.room.as_str().len()
                        + j.crdt.len()
                        + j.snapshot.as_ref().map_or(0, |b| b.len())
                }
                Frame::ClientDelta(d) => d.room.as_str().len() + d.crdt.len() + d.payload.len(),
                Frame::HubDelta(d) => d.room.as_str().len() + d.crdt.len() + d.payload.len(),
                Frame::DeltaBatch(b) => {
                    b.room.as_str().len()
                        + b.crdt.len()
                        + b.entries
                            .iter()
                            .map(|e| e.payload.len() + 24)
                            .sum::<usize>()
                }
                Frame::SetPresence(p) => p.room.as_str().len() + p.state.len(),
                Frame::Presence(p) => p.room.as_str().len() + p.state.len(),
                Frame::Peers(p) => {
                    p.room.as_str().len()
                        + p.joined.iter().map(PeerInfo::size_hint).sum::<usize>()
                        + 9 * p.left.len()
                }
                Frame::Leave(l) => l.room.as_str().len(),
                Frame::Ack(a) => a.room.as_str().len(),
                Frame::Welcome(_) | Frame::Ping { .. } | Frame::Pong { .. } => 0,
            }
    }
}
