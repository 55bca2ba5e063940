//! Inbound frames: decoding under the size limit, rate limiting, liveness, and
//! dispatch by handshake phase.

use super::Hub;
use super::limits::RateVerdict;
use super::session::{Phase, clamp};
use super::timers::TimerKey;
use crate::time::Instant;
use crate::wire::{CloseCode, DecodeError, ErrorCode, Frame, RoomId, SessionId};

/// The room and sequence a frame concerns, for rejections.
fn subject(frame: &Frame) -> (Option<RoomId>, Option<u64>) {
    match frame {
        Frame::ClientDelta(d) => (Some(d.room.clone()), Some(d.seq)),
        Frame::Join(j) => (Some(j.room.clone()), None),
        Frame::Leave(l) => (Some(l.room.clone()), None),
        Frame::SetPresence(p) => (Some(p.room.clone()), None),
        _ => (None, None),
    }
}

impl Hub {
    /// One binary message arrived from a session. Frames of unknown sessions are ignored.
    pub fn handle_frame(&mut self, now: Instant, session: SessionId, bytes: &[u8]) {
        let now = clamp(&mut self.now, now);
        let heartbeat = self.config.heartbeat_timeout;
        let Some(s) = self.sessions.get_mut(&session) else {
            return;
        };
        if s.closing.is_some() {
            return;
        }
        self.metrics.frames_in = self.metrics.frames_in.saturating_add(1);
        self.metrics.bytes_in = self.metrics.bytes_in.saturating_add(bytes.len() as u64);
        if s.is_open() {
            self.timers
                .set(TimerKey::Session(session), now.saturating_add(heartbeat));
        }
        let decoded = Frame::decode_with_limit(bytes, self.config.max_frame_bytes);
        let (room, seq) = decoded.as_ref().map(subject).unwrap_or((None, None));
        let verdict = s.rate.check(
            now,
            bytes.len(),
            self.config.rate_strikes_to_close,
            self.config.rate_strike_window,
        );
        if let Err(DecodeError::FrameTooLarge { .. }) = decoded {
            // Too large is reported as such; it still counts against the rate limit.
            let msg = "frame exceeds max_frame_bytes";
            self.reject(session, ErrorCode::PAYLOAD_TOO_LARGE, None, None, msg);
            if verdict == RateVerdict::Close {
                self.close(session, CloseCode::RATE_LIMITED);
            }
            self.finish();
            return;
        }
        match verdict {
            RateVerdict::Allow => match decoded {
                Ok(frame) => self.dispatch(session, frame),
                Err(e) => {
                    self.reject(session, ErrorCode::MALFORMED, None, None, &e.to_string());
                    self.close(session, CloseCode::MALFORMED);
                }
            },
            RateVerdict::Reject => {
                self.reject(session, ErrorCode::RATE_LIMITED, room, seq, "rate limited");
            }
            RateVerdict::Close => {
                self.reject(session, ErrorCode::RATE_LIMITED, room, seq, "rate limited");
                self.close(session, CloseCode::RATE_LIMITED);
            }
        }
        self.finish();
    }

    fn dispatch(&mut self, sid: SessionId, frame: Frame) {
        let Some(s) = self.sessions.get(&sid) else {
            return;
        };
        let unexpected = match (&s.phase, frame) {
            (_, Frame::Ping { nonce }) => {
                self.send(sid, &Frame::Pong { nonce });
                return;
            }
            (_, Frame::Pong { .. }) | (_, Frame::Reject(_)) => return,
            (Phase::AwaitingHello, Frame::Hello(h)) => {
                self.on_hello(sid, h);
                return;
            }
            (Phase::Open { .. }, Frame::Join(j)) => {
                self.on_join(sid, j);
                return;
            }
            (Phase::Open { .. }, Frame::Leave(l)) => {
                self.on_leave(sid, l.room);
                return;
            }
            (Phase::Open { .. }, Frame::ClientDelta(d)) => {
                self.on_delta(sid, d);
                return;
            }
            (Phase::Open { .. }, Frame::SetPresence(p)) => {
                self.on_set_presence(sid, p);
                return;
            }
            (_, other) => other,
        };
        let (room, seq) = subject(&unexpected);
        let msg = format!("{} not allowed here", unexpected.name());
        self.reject(sid, ErrorCode::UNEXPECTED_FRAME, room, seq, &msg);
    }
}
