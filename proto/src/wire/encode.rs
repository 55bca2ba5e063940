//! Frame → bytes. Encoding is canonical (shortest integer and length headers,
//! definite lengths only), so equal frames always encode to equal bytes.

use ciborium_ll::{Encoder, Header, simple};

use super::borrowed::{AckRef, HubDeltaRef};
use super::frame::*;
use super::types::RoomId;

/// A CBOR writer over a `Vec<u8>`. Writing into a `Vec` cannot fail, so the
/// methods return nothing; a failure would only be possible on allocation abort.
pub(super) struct Out<'a>(pub(super) Encoder<&'a mut Vec<u8>>);

impl Out<'_> {
    pub(super) fn head(&mut self, h: Header) {
        let r = self.0.push(h);
        debug_assert!(r.is_ok(), "writing to a Vec cannot fail");
    }
    pub(super) fn array(&mut self, len: usize) {
        self.head(Header::Array(Some(len)));
    }
    pub(super) fn uint(&mut self, v: u64) {
        self.head(Header::Positive(v));
    }
    pub(super) fn bool(&mut self, v: bool) {
        self.head(Header::Simple(if v { simple::TRUE } else { simple::FALSE }));
    }
    pub(super) fn null(&mut self) {
        self.head(Header::Simple(simple::NULL));
    }
    pub(super) fn text(&mut self, s: &str) {
        let r = self.0.text(s, None);
        debug_assert!(r.is_ok(), "writing to a Vec cannot fail");
    }
    pub(super) fn bytes(&mut self, b: &[u8]) {
        let r = self.0.bytes(b, None);
        debug_assert!(r.is_ok(), "writing to a Vec cannot fail");
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
        let mut o = Out(Encoder::from(buf));
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
                o.array(4);
                o.uint(u64::from(w.limits.max_frame_bytes));
                o.uint(u64::from(w.limits.max_rooms));
                o.uint(u64::from(w.limits.rate_frames_per_sec));
                o.uint(u64::from(w.limits.rate_bytes_per_sec));
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
            Frame::PeerJoined(p) => {
                o.array(5);
                o.uint(PEER_JOINED);
                o.text(p.room.as_str());
                o.uint(p.peer.0);
                o.uint(p.replica.0);
                o.opt_bytes(p.user_info.as_deref());
            }
            Frame::PeerLeft(p) => {
                o.array(3);
                o.uint(PEER_LEFT);
                o.text(p.room.as_str());
                o.uint(p.peer.0);
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
                Frame::PeerJoined(p) => {
                    p.room.as_str().len() + p.user_info.as_ref().map_or(0, |b| b.len())
                }
                Frame::Leave(l) => l.room.as_str().len(),
                Frame::Ack(a) => a.room.as_str().len(),
                Frame::PeerLeft(p) => p.room.as_str().len(),
                Frame::Welcome(_) | Frame::Ping { .. } | Frame::Pong { .. } => 0,
            }
    }
}
