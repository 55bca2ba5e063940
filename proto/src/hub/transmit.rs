//! Handing queued frames out: a session at a time (`poll_transmit_batch`, what
//! [`Hub::poll_output`] hands the driver: one write and one flush per session per
//! turn) or frame by frame (`poll_transmit`, for the crate's tests and fuzz bodies). Frames wait in their session's `out` buffer, sessions with
//! output in `Hub::ready` in the order their first frame was queued; a torn-down
//! session's frames wait in `Hub::orphans` until handed out.

use bytes::Bytes;

use super::Hub;
use super::frames::Frames;
use crate::wire::SessionId;

/// Largest buffer (in frames) a finished frame-by-frame batch gives back to its
/// session for reuse; bigger ones are freed, so an idle session keeps little.
const RECYCLE_MAX: usize = 16;

/// The batch `poll_transmit` is handing out frame by frame.
#[derive(Debug)]
pub(crate) struct Cursor {
    sid: SessionId,
    frames: Vec<Bytes>,
    next: usize,
}

impl Hub {
    /// The next encoded frame to send, and to which session. Drain first.
    ///
    /// Frames come session by session (all of one session's queued frames, then the
    /// next session's); each session's frames in the order they were queued.
    #[cfg_attr(not(any(test, feature = "fuzzing")), allow(dead_code))]
    pub(crate) fn poll_transmit(&mut self) -> Option<(SessionId, Bytes)> {
        loop {
            if let Some(c) = &mut self.current {
                if let Some(slot) = c.frames.get_mut(c.next) {
                    c.next += 1;
                    return Some((c.sid, std::mem::take(slot)));
                }
            }
            if let Some(done) = self.current.take() {
                self.recycle(done);
            }
            let (sid, frames) = self.next_queued()?;
            self.current = Some(Cursor {
                sid,
                frames: frames.into_iter().collect(),
                next: 0,
            });
        }
    }

    /// Every frame queued for the next session with output, in order: the same frames
    /// as repeated `Hub::poll_transmit`, a session at a time, without a per-frame
    /// hand-over (a driver writes the batch with one flush). The two may be mixed.
    pub(crate) fn poll_transmit_batch(&mut self) -> Option<(SessionId, Frames)> {
        if let Some(mut c) = self.current.take() {
            if c.next < c.frames.len() {
                let rest = c.frames.split_off(c.next);
                return Some((c.sid, rest.into()));
            }
            self.recycle(c);
        }
        let (sid, frames) = self.next_queued()?;
        Some((sid, frames))
    }

    /// Takes the queued frames of the first ready session (a single frame leaves the
    /// session its buffer: see [`Frames`]).
    fn next_queued(&mut self) -> Option<(SessionId, Frames)> {
        if !self.live_due.is_empty() {
            // The turn's durable entries, room by room, in log order.
            self.deliver_live();
        }
        if !self.peers_due.is_empty() {
            // The turn's joins and leaves: one `Peers` frame per member and room.
            self.flush_peers();
            self.finish();
        }
        while let Some(sid) = self.ready.pop_front() {
            if let Some(s) = self.sessions.get_mut(&sid) {
                if !s.out.is_empty() {
                    return Some((sid, Frames::take_from(&mut s.out)));
                }
            } else if let Some(i) = self.orphans.iter().position(|(o, _)| *o == sid) {
                let (sid, frames) = self.orphans.swap_remove(i);
                return Some((sid, frames.into()));
            }
        }
        None
    }

    /// Gives a handed-out batch's buffer back to its session (if small and unused),
    /// so frame-by-frame draining does not allocate one buffer per batch.
    fn recycle(&mut self, mut done: Cursor) {
        if done.frames.capacity() > RECYCLE_MAX {
            return;
        }
        if let Some(s) = self.sessions.get_mut(&done.sid) {
            if s.out.capacity() == 0 {
                done.frames.clear();
                s.out = done.frames;
            }
        }
    }
}
