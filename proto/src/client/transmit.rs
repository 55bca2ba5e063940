//! Building outgoing frames on demand in `poll_transmit`.
//!
//! Nothing is queued: each call picks the most urgent frame owed to the hub from
//! the session state, in this priority order: `Hello` (handshake), `Pong` (latest
//! hub ping), `Ping` (heartbeat), then, unless paused after a `rate_limited`
//! reject or held back by the pacer (`pacing.rs`), `Leave`, `Join` (rooms pending), `SetPresence`
//! (joined rooms whose presence changed or must be re-sent), and finally
//! `ClientDelta` (the next unsent outbox entry of a joined, writable room; none
//! while paused after a `rate_limited` reject, and none for a room still owed
//! the refusals of deltas sent after a refused one).

use bytes::Bytes;

use super::Client;
use super::lifecycle::ClientState;
use super::merging::SizeBounds;
use super::metrics::{add, bump};
use super::rooms::RoomStatus;
use super::timers::Timer;
use crate::wire::{
    ClientDelta, Frame, Hello, Join, Leave, Limits, SUPPORTED_VERSIONS, SetPresence,
};

impl Client {
    /// The next encoded frame to write to the current connection, if any.
    pub(crate) fn poll_transmit(&mut self) -> Option<Bytes> {
        let frame = self.next_frame()?;
        let bytes = frame.encode();
        if let Some(p) = self.pacer.as_mut() {
            p.charge(self.now, bytes.len());
        }
        bump(&mut self.metrics.frames_sent);
        add(&mut self.metrics.bytes_sent, bytes.len());
        Some(Bytes::from(bytes))
    }

    /// The largest frame the hub accepts on this connection and this client builds.
    /// The bounds of a delta payload (`presence` false) or a presence state:
    /// the frame limit and the latest announced payload limit (PROTOCOL.md §7).
    pub(super) fn size_bounds(&self, presence: bool) -> SizeBounds {
        let announced = |l: &Limits| {
            let max = if presence {
                l.max_presence_bytes
            } else {
                l.max_payload_bytes
            };
            usize::try_from(max).unwrap_or(usize::MAX)
        };
        let hub_frame = self
            .hub_limits
            .as_ref()
            .map(|l| usize::try_from(l.max_frame_bytes).unwrap_or(usize::MAX))
            .filter(|&l| l > 0)
            .unwrap_or(usize::MAX);
        SizeBounds {
            frame: self.frame_limit().min(hub_frame),
            payload: self
                .hub_limits
                .as_ref()
                .map(announced)
                .filter(|&l| l > 0)
                .unwrap_or(usize::MAX),
        }
    }

    pub(super) fn frame_limit(&self) -> usize {
        let hub = self
            .session
            .as_ref()
            .map(|w| usize::try_from(w.limits.max_frame_bytes).unwrap_or(usize::MAX))
            .filter(|&l| l > 0)
            .unwrap_or(usize::MAX);
        self.config.max_frame_bytes.min(hub)
    }

    fn next_frame(&mut self) -> Option<Frame> {
        match self.state {
            ClientState::Handshaking => {
                if !self.hello_sent {
                    self.hello_sent = true;
                    return Some(Frame::Hello(Hello {
                        versions: SUPPORTED_VERSIONS.to_vec(),
                        replica: self.replica,
                        token: self.config.token.clone(),
                        user_info: self.config.user_info.clone(),
                    }));
                }
                return self
                    .heartbeat
                    .pong_due
                    .take()
                    .map(|nonce| Frame::Pong { nonce });
            }
            ClientState::Connected => {}
            _ => return None,
        }
        if let Some(nonce) = self.heartbeat.pong_due.take() {
            return Some(Frame::Pong { nonce });
        }
        if let Some(nonce) = self.heartbeat.take_ping(self.now) {
            return Some(Frame::Ping { nonce });
        }
        let paused = self.timers.is_set(Timer::RateLimit);
        if paused {
            return None;
        }
        if let Some(at) = self.pacer.as_mut().and_then(|p| p.wait(self.now)) {
            self.timers.set(Timer::Pace, at);
            return None;
        }
        if let Some(room) = self.leaving.pop_first() {
            return Some(Frame::Leave(Leave { room }));
        }
        for (id, r) in &mut self.rooms {
            if r.status == RoomStatus::Pending {
                r.status = RoomStatus::Joining;
                r.join_sent = self.now;
                if !self.timers.is_set(Timer::Join) {
                    self.timers
                        .set(Timer::Join, self.now + self.config.join_timeout);
                }
                return Some(Frame::Join(Join {
                    room: id.clone(),
                    crdt: r.crdt.clone(),
                    resume: r.position,
                }));
            }
        }
        for (id, r) in &mut self.rooms {
            if r.status == RoomStatus::Joined && r.presence_dirty {
                r.presence_dirty = false;
                if let Some(state) = &r.presence {
                    return Some(Frame::SetPresence(SetPresence {
                        room: id.clone(),
                        state: state.clone(),
                    }));
                }
            }
        }
        for (id, r) in &self.rooms {
            if r.status != RoomStatus::Joined || !r.writable || r.awaiting_rejects > 0 {
                continue;
            }
            if let Some(e) = self.outbox.next_unsent(id) {
                return Some(Frame::ClientDelta(ClientDelta {
                    room: id.clone(),
                    crdt: r.crdt.clone(),
                    replica: self.replica,
                    seq: e.seq,
                    payload: e.payload,
                }));
            }
        }
        None
    }
}
