//! Inbound frames: decoding under the size limit, rate limiting, liveness, and
//! dispatch by handshake phase.
//!
//! Liveness is a timestamp (`Session::last_seen`) set by every frame; the session's
//! heartbeat timer checks it when it fires (see `Hub::handle_timeout`), so frames do
//! not re-arm a timer.

use bytes::Bytes;

use super::Hub;
use super::limits::RateVerdict;
use super::session::{Phase, clamp};
use crate::time::Instant;
use crate::wire::{CloseCode, DecodeError, ErrorCode, Frame, FrameRef, RoomId, SessionId};

/// The room and sequence a frame concerns, for rejections.
fn subject(frame: &FrameRef<'_>) -> (Option<RoomId>, Option<u64>) {
    match frame {
        FrameRef::ClientDelta(d) => (Some(RoomId::new(d.room)), Some(d.seq)),
        FrameRef::Owned(Frame::ClientDelta(d)) => (Some(d.room.clone()), Some(d.seq)),
        FrameRef::Owned(Frame::Join(j)) => (Some(j.room.clone()), None),
        FrameRef::Owned(Frame::Leave(l)) => (Some(l.room.clone()), None),
        FrameRef::Owned(Frame::SetPresence(p)) => (Some(p.room.clone()), None),
        FrameRef::Owned(_) => (None, None),
    }
}

impl Hub {
    /// One binary message arrived from a session. Frames of unknown sessions are ignored.
    pub fn handle_frame(&mut self, now: Instant, session: SessionId, bytes: &[u8]) {
        self.handle_input(now, session, bytes, None);
    }

    /// Like [`Hub::handle_frame`], for a message already held as [`Bytes`]: delta
    /// payloads are kept as slices of it instead of being copied (they share its
    /// allocation while the hub holds them). Not public: a server's WebSocket
    /// messages share their connection's read buffer, which a payload kept in the
    /// log would keep alive (see `HubCore::handle_frame`); the tests drive both paths.
    #[cfg(test)]
    pub(crate) fn handle_frame_bytes(&mut self, now: Instant, session: SessionId, bytes: Bytes) {
        self.handle_input(now, session, &bytes, Some(&bytes));
    }

    fn handle_input(
        &mut self,
        now: Instant,
        session: SessionId,
        bytes: &[u8],
        shared: Option<&Bytes>,
    ) {
        let now = clamp(&mut self.now, now);
        let Some(s) = self.sessions.get_mut(&session) else {
            return;
        };
        if s.closing.is_some() {
            return;
        }
        self.metrics.frames_in = self.metrics.frames_in.saturating_add(1);
        self.metrics.bytes_in = self.metrics.bytes_in.saturating_add(bytes.len() as u64);
        s.last_seen = now;
        let max = self.config.max_frame_bytes;
        let decoded = match shared {
            Some(shared) => Frame::decode_ref_bytes(shared, max),
            None => Frame::decode_ref(bytes, max),
        };
        let verdict = s.rate.check(
            now,
            bytes.len(),
            self.config.rate_strikes_to_close,
            self.config.rate_strike_window,
        );
        if let Err(DecodeError::FrameTooLarge { .. }) = decoded {
            // Too large is reported as such, naming the room and sequence of the
            // frame (decoded past the limit only for that: the message is already in
            // memory), so a client knows which delta was refused (§7). A frame that
            // does not decode at all is malformed. It counts against the rate limit.
            let (room, seq) = match Frame::decode_ref(bytes, bytes.len()) {
                Ok(frame) => subject(&frame),
                Err(e) => {
                    self.reject(session, ErrorCode::MALFORMED, None, None, &e.to_string());
                    self.close(session, CloseCode::MALFORMED);
                    self.finish();
                    return;
                }
            };
            let msg = "frame exceeds max_frame_bytes";
            self.reject(session, ErrorCode::PAYLOAD_TOO_LARGE, room, seq, msg);
            if verdict == RateVerdict::Close {
                self.close(session, CloseCode::RATE_LIMITED);
            }
            self.finish();
            return;
        }
        if verdict == RateVerdict::Allow {
            match decoded {
                Ok(frame) => self.dispatch(session, frame),
                Err(e) => {
                    self.reject(session, ErrorCode::MALFORMED, None, None, &e.to_string());
                    self.close(session, CloseCode::MALFORMED);
                }
            }
        } else {
            let (room, seq) = decoded.as_ref().map(subject).unwrap_or((None, None));
            self.reject(session, ErrorCode::RATE_LIMITED, room, seq, "rate limited");
            if verdict == RateVerdict::Close {
                self.close(session, CloseCode::RATE_LIMITED);
            }
        }
        self.finish();
    }

    fn dispatch(&mut self, sid: SessionId, frame: FrameRef<'_>) {
        let Some(s) = self.sessions.get(&sid) else {
            return;
        };
        let unexpected = match (&s.phase, frame) {
            (Phase::Open { .. }, FrameRef::ClientDelta(d)) => {
                self.on_delta(sid, d);
                return;
            }
            (_, FrameRef::Owned(Frame::Ping { nonce })) => {
                self.send(sid, &Frame::Pong { nonce });
                return;
            }
            (_, FrameRef::Owned(Frame::Pong { .. } | Frame::Reject(_))) => return,
            (Phase::AwaitingHello, FrameRef::Owned(Frame::Hello(h))) => {
                self.on_hello(sid, h);
                return;
            }
            (Phase::Open { .. }, FrameRef::Owned(Frame::Join(j))) => {
                self.on_join(sid, j);
                return;
            }
            (Phase::Open { .. }, FrameRef::Owned(Frame::Leave(l))) => {
                self.on_leave(sid, l.room);
                return;
            }
            (Phase::Open { .. }, FrameRef::Owned(Frame::ClientDelta(d))) => {
                let d = crate::wire::ClientDeltaRef {
                    room: d.room.as_str(),
                    crdt: &d.crdt,
                    replica: d.replica,
                    seq: d.seq,
                    payload: d.payload.clone(),
                };
                self.on_delta(sid, d);
                return;
            }
            (Phase::Open { .. }, FrameRef::Owned(Frame::SetPresence(p))) => {
                self.on_set_presence(sid, p);
                return;
            }
            (_, other) => other,
        };
        let (room, seq) = subject(&unexpected);
        let name = match &unexpected {
            FrameRef::ClientDelta(_) => "ClientDelta",
            FrameRef::Owned(f) => f.name(),
        };
        let msg = format!("{name} not allowed here");
        self.reject(sid, ErrorCode::UNEXPECTED_FRAME, room, seq, &msg);
    }
}
