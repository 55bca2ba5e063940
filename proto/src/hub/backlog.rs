//! Queuing output for sessions under the backlog bound, rejections, and marking
//! sessions for closing.
//!
//! A session's backlog counts bytes queued here or handed to the driver and not yet
//! reported flushed (`Hub::handle_flushed`). A frame may be queued when the backlog is
//! empty or stays within `max_backlog_bytes` with it; otherwise the session is closed
//! with `SLOW_CONSUMER` (it resumes from its offset). Deltas never hit that bound:
//! they are only pushed while there is room and otherwise delivered later from the
//! log (see [`catch_up`](super::catch_up)). Presence is dropped instead.

use std::collections::{BTreeMap, VecDeque};

use bytes::Bytes;

use super::Hub;
use super::events::HubEvent;
use super::metrics::HubMetrics;
use super::session::Session;
use crate::wire::{CloseCode, ErrorCode, Frame, MAX_MESSAGE_LEN, Reject, RoomId, SessionId};

/// The hub's output side borrowed on its own, so that a room can be walked
/// (borrowing `Hub::rooms`) while frames are queued.
pub(crate) struct Sink<'h> {
    pub(crate) sessions: &'h mut BTreeMap<SessionId, Box<Session>>,
    pub(crate) ready: &'h mut VecDeque<SessionId>,
    pub(crate) metrics: &'h mut HubMetrics,
    pub(crate) max_backlog: usize,
}

/// Whether a data frame of `len` bytes may be queued for the session
/// ([`Session::fits`]).
fn fits(
    sessions: &BTreeMap<SessionId, Box<Session>>,
    max_backlog: usize,
    sid: SessionId,
    len: usize,
) -> bool {
    sessions.get(&sid).is_some_and(|s| s.fits(len, max_backlog))
}

impl Session {
    /// Whether a frame of `len` more bytes fits this session's backlog bound of
    /// `max_backlog` (an open session with an empty backlog takes any single frame):
    /// what a control frame (`Joined`, `Ack`, `Pong`, `Reject`, peers) needs.
    pub(crate) fn has_room(&self, len: usize, max_backlog: usize) -> bool {
        self.closing.is_none()
            && (self.backlog == 0 || self.backlog.saturating_add(len) <= max_backlog)
    }

    /// Whether a data frame of `len` bytes (a delta or batch, the live `Ack` of the
    /// session's own delta, presence: what is delivered later from the log or sent
    /// again when it does not fit) may be queued: it has room and no `Joined` of this
    /// session waits for room ([`LoadedRoom::backlogged`](super::room::LoadedRoom)).
    pub(crate) fn fits(&self, len: usize, max_backlog: usize) -> bool {
        self.backlogged_joins == 0 && self.has_room(len, max_backlog)
    }

    /// Queues bytes checked with [`Session::fits`] for this session, `sid`, putting it
    /// on the `ready` list if its output was empty, and counts them.
    pub(crate) fn queue(
        &mut self,
        sid: SessionId,
        bytes: Bytes,
        ready: &mut VecDeque<SessionId>,
        metrics: &mut HubMetrics,
    ) {
        debug_assert!(self.closing.is_none(), "checked by fits");
        if self.backlog == 0 {
            self.single_frame_allowance = self.single_frame_allowance.max(bytes.len());
        }
        self.backlog = self.backlog.saturating_add(bytes.len());
        metrics.frames_out = metrics.frames_out.saturating_add(1);
        metrics.bytes_out = metrics.bytes_out.saturating_add(bytes.len() as u64);
        if self.out.is_empty() {
            ready.push_back(sid);
        }
        self.out.push(bytes);
    }
}

impl Sink<'_> {
    /// Whether a data frame of `len` bytes may be queued ([`Session::fits`]).
    pub(crate) fn fits(&self, sid: SessionId, len: usize) -> bool {
        fits(self.sessions, self.max_backlog, sid, len)
    }

    /// Queues bytes checked with [`Sink::fits`] (nothing was queued for the session
    /// since); false if the session is gone.
    pub(crate) fn queue(&mut self, sid: SessionId, bytes: Bytes) -> bool {
        let Some(s) = self.sessions.get_mut(&sid) else {
            return false;
        };
        s.queue(sid, bytes, self.ready, self.metrics);
        true
    }
}

impl Hub {
    /// The output side, borrowed apart from the rooms.
    pub(crate) fn sink(&mut self) -> Sink<'_> {
        Sink {
            sessions: &mut self.sessions,
            ready: &mut self.ready,
            metrics: &mut self.metrics,
            max_backlog: self.config.max_backlog_bytes,
        }
    }

    /// Whether a control frame of `len` bytes fits the session's backlog bound
    /// ([`Session::has_room`]).
    pub(crate) fn can_push(&self, sid: SessionId, len: usize) -> bool {
        let max = self.config.max_backlog_bytes;
        self.sessions
            .get(&sid)
            .is_some_and(|s| s.has_room(len, max))
    }

    /// Whether a data frame of `len` bytes may be queued ([`Session::fits`]).
    pub(crate) fn can_push_data(&self, sid: SessionId, len: usize) -> bool {
        fits(&self.sessions, self.config.max_backlog_bytes, sid, len)
    }

    /// Queues bytes for a session; closes it `SLOW_CONSUMER` if they do not fit.
    pub(crate) fn push_bytes(&mut self, sid: SessionId, bytes: Bytes) -> bool {
        if !self.can_push(sid, bytes.len()) {
            if self.sessions.get(&sid).is_some_and(|s| s.closing.is_none()) {
                self.close(sid, CloseCode::SLOW_CONSUMER);
            }
            return false;
        }
        self.sink().queue(sid, bytes)
    }

    /// Encodes and queues one frame.
    pub(crate) fn send(&mut self, sid: SessionId, frame: &Frame) -> bool {
        self.push_bytes(sid, Bytes::from(frame.encode()))
    }

    /// Sends an explicit rejection and records it.
    pub(crate) fn reject(
        &mut self,
        sid: SessionId,
        code: ErrorCode,
        room: Option<RoomId>,
        seq: Option<u64>,
        message: &str,
    ) {
        self.metrics.reject(code);
        self.events.push(HubEvent::Rejected {
            session: sid,
            code,
            room: room.clone(),
        });
        let frame = Frame::Reject(Reject {
            code,
            room,
            seq,
            message: clip_message(message).to_owned(),
        });
        self.send(sid, &frame);
    }

    /// Marks a session for closing with `code`; it is torn down when the current
    /// input has been handled. Output queued before stays queued; later output is dropped.
    pub(crate) fn close(&mut self, sid: SessionId, code: CloseCode) {
        if let Some(s) = self.sessions.get_mut(&sid) {
            if s.closing.is_none() {
                s.closing = Some(code);
                self.to_close.push(sid);
            }
        }
    }

    /// Tears down every session marked for closing (which may mark more).
    pub(crate) fn finish(&mut self) {
        while let Some(sid) = self.to_close.pop() {
            let code = self.sessions.get(&sid).and_then(|s| s.closing);
            if let Some(code) = code {
                self.metrics.close(code);
                self.closes.push_back((sid, code));
                self.teardown(sid, Some(code));
            }
        }
    }
}

/// `message` cut to at most [`MAX_MESSAGE_LEN`] bytes at a character boundary: a
/// `Reject` with a longer one would not decode (PROTOCOL.md §3.3), and a client would
/// close `malformed` instead of hearing why it was refused. The text can come from
/// outside the hub (an authorizer's reason).
fn clip_message(message: &str) -> &str {
    let mut end = message.len().min(MAX_MESSAGE_LEN);
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    &message[..end]
}
