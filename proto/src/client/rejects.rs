//! `Reject` frames received while connected.
//!
//! * With a room and a sequence: a local delta was refused (PROTOCOL.md §8.1).
//!   The hub refuses every later delta of the room too (their sequence is no
//!   longer the next one), so the room's queue is rewound to the refused entry and
//!   nothing of the room is sent until the refusals of the deltas sent after it
//!   have arrived. Then, by code: retryable ones (`rate_limited`, `internal`) are
//!   sent again unchanged after `rate_limit_retry` (all deltas pause until then);
//!   `seq_gap` and `unknown_room` re-join the room (the `Joined` renumbers the
//!   queue from the hub's `acked_seq`); any other code withdraws the delta for
//!   good (`DeltaRejected`) and renumbers the later ones one lower.
//! * With a room only, for a `Join`: a retryable code joins again after the same
//!   pause; others make the room `Rejected` and emit `JoinRejected`.
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
        let Some(r) = self.rooms.get_mut(&room) else {
            self.emit(ClientEvent::Error(err));
            return;
        };
        if r.status != RoomStatus::Joined {
            return; // a refusal from before the room's (re-)join: the join settles it
        }
        if r.awaiting_rejects > 0 {
            // Sent after a refused delta: refused because of it, sent again later.
            r.awaiting_rejects -= 1;
            return;
        }
        let Some(later) = self.outbox.rewind(&room, seq) else {
            self.emit(ClientEvent::Error(err)); // not in flight: nothing to do
            return;
        };
        r.awaiting_rejects = later;
        r.awaiting_from = seq;
        if code == ErrorCode::SEQ_GAP || code == ErrorCode::UNKNOWN_ROOM {
            // The hub's view of this replica or of the membership differs from
            // ours: re-join; `Joined.acked_seq` renumbers the queue.
            r.status = RoomStatus::Pending;
            self.emit(ClientEvent::Error(err));
        } else if code.is_retryable() {
            // Kept and sent again, same sequence, after a pause.
            self.pause_for_rate_limit();
            self.emit(ClientEvent::Error(err));
        } else if let Some(e) = self.outbox.withdraw(&room, seq) {
            // Refused for good: withdrawn, later deltas move down one number.
            r.next_seq = r.next_seq.saturating_sub(1).max(1);
            bump(&mut self.metrics.deltas_rejected);
            self.emit(ClientEvent::DeltaRejected {
                room,
                seq: e.seq,
                code,
                message,
            });
        }
    }

    fn on_room_reject(
        &mut self,
        room: RoomId,
        code: ErrorCode,
        message: String,
        err: SessionError,
    ) {
        let Some(r) = self.rooms.get_mut(&room) else {
            // A room left meanwhile: the refused frame may be its `Leave`, and
            // without it the hub keeps the session in the room (listed to the
            // others, sent its deltas). Sent again after the pause; a hub that
            // already let the session go answers `unknown_room`. At most
            // `max_rooms` wait, whatever rooms a hub names.
            let room_bound = self.leaving.len() < self.config.max_rooms;
            if code == ErrorCode::RATE_LIMITED && room_bound {
                self.leaving.insert(room);
                self.pause_for_rate_limit();
            }
            self.emit(ClientEvent::Error(err));
            return;
        };
        match r.status {
            RoomStatus::Joined if code == ErrorCode::RATE_LIMITED => {
                // A joined room's frame without a sequence is its `SetPresence`:
                // the latest state goes again after the pause.
                r.presence_dirty = r.presence.is_some();
                self.pause_for_rate_limit();
                self.emit(ClientEvent::Error(err));
            }
            RoomStatus::Joining if code == ErrorCode::UNKNOWN_ROOM => {
                // A `Join` is never refused `unknown_room`: this answers a `Leave` or
                // `SetPresence` of the membership before the room was joined again.
                self.emit(ClientEvent::Error(err));
            }
            RoomStatus::Joining if code.is_retryable() => {
                // Dropped, not refused (e.g. rate limited): joined again after a pause.
                r.status = RoomStatus::Pending;
                self.pause_for_rate_limit();
                self.emit(ClientEvent::Error(err));
            }
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

    /// Pauses sending rooms' frames (`Join`, `Leave`, presence, deltas) for
    /// `rate_limit_retry`, unless a pause is already running.
    fn pause_for_rate_limit(&mut self) {
        if !self.timers.is_set(Timer::RateLimit) {
            self.timers
                .set(Timer::RateLimit, self.now + self.config.rate_limit_retry);
        }
    }
}
