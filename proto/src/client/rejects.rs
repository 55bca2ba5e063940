//! `Reject` frames received while connected.
//!
//! * With a room and a sequence: a local delta was refused. `rate_limited`
//!   deltas are kept: renumbered with a fresh sequence (the hub only requires
//!   increase, and later deltas may already have been accepted), moved to the back
//!   of the room's queue, and sent again after `rate_limit_retry` (all deltas pause
//!   until then). Any other code removes the delta for good and emits
//!   `DeltaRejected`.
//! * With a room only: if the room was being joined, it becomes `Rejected` and
//!   `JoinRejected` is emitted; `unknown_room` for a joined room re-joins it (the
//!   hub lost the membership); otherwise an error event.
//! * Without a room: a fatal code (`unauthorized`, `unsupported_version`) fails the
//!   session; others are reported as error events.
//!
//! Every reject is also counted and, unless it has a dedicated event, reported as
//! `ClientEvent::Error`.

use super::Client;
use super::error::{DisconnectReason, SessionError};
use super::event::ClientEvent;
use super::metrics::bump;
use super::outbox::Entry;
use super::rooms::RoomStatus;
use super::timers::Timer;
use crate::wire::{CloseCode, ErrorCode, Reject, RoomId};

impl Client {
    pub(super) fn on_reject(&mut self, r: Reject) {
        let err = SessionError::Rejected {
            code: r.code,
            room: r.room.clone(),
            seq: r.seq,
            message: r.message.clone(),
        };
        self.metrics.errors.count(&err);
        match (r.room, r.seq) {
            (Some(room), Some(seq)) => self.on_delta_reject(room, seq, r.code, r.message, err),
            (Some(room), None) => self.on_room_reject(room, r.code, r.message, err),
            (None, _) if r.code.is_fatal() => {
                self.emit(ClientEvent::Error(err.clone()));
                self.fail(DisconnectReason::Fault(err), CloseCode::NORMAL);
            }
            (None, _) => self.emit(ClientEvent::Error(err)),
        }
    }

    fn on_delta_reject(
        &mut self,
        room: RoomId,
        seq: u64,
        code: ErrorCode,
        message: String,
        err: SessionError,
    ) {
        if code == ErrorCode::RATE_LIMITED {
            self.requeue(&room, seq);
            if !self.timers.is_set(Timer::RateLimit) {
                self.timers
                    .set(Timer::RateLimit, self.now + self.config.rate_limit_retry);
            }
            self.emit(ClientEvent::Error(err));
            return;
        }
        if self.outbox.remove(&room, seq).is_some() {
            bump(&mut self.metrics.deltas_rejected);
            self.emit(ClientEvent::DeltaRejected {
                room,
                seq,
                code,
                message,
            });
        } else {
            self.emit(ClientEvent::Error(err));
        }
    }

    /// Moves a rate-limited delta to the back of its room under a fresh sequence.
    fn requeue(&mut self, room: &RoomId, seq: u64) {
        let Some(r) = self.rooms.get_mut(room) else {
            return;
        };
        let Some(e) = self.outbox.remove(room, seq) else {
            return;
        };
        let Some(new_seq) = r.take_seq() else {
            bump(&mut self.metrics.deltas_rejected);
            return;
        };
        let requeued = Entry {
            seq: new_seq,
            payload: e.payload,
            // The hub dropped it: nothing under `new_seq` can be on the hub.
            ever_sent: false,
        };
        // Cannot fail: the entry was just removed, so the bounds have room for it.
        let _ = self.outbox.append(room, &r.crdt, requeued);
    }

    fn on_room_reject(
        &mut self,
        room: RoomId,
        code: ErrorCode,
        message: String,
        err: SessionError,
    ) {
        let Some(r) = self.rooms.get_mut(&room) else {
            self.emit(ClientEvent::Error(err));
            return;
        };
        match r.status {
            RoomStatus::Joining => {
                r.status = RoomStatus::Rejected(code);
                self.emit(ClientEvent::JoinRejected {
                    room,
                    code,
                    message,
                });
            }
            RoomStatus::Joined if code == ErrorCode::UNKNOWN_ROOM => {
                r.status = RoomStatus::Pending;
                self.emit(ClientEvent::Error(err));
            }
            _ => self.emit(ClientEvent::Error(err)),
        }
    }
}
