//! The join deadline: a hub that answers a `Join` neither with `Joined` nor with
//! `Reject` within `join_timeout` is treated like a silent hub.
//!
//! One timer ([`Timer::Join`]) covers every `Joining` room: it is armed when a
//! `Join` is sent and no join deadline is pending, and on expiry it either finds a
//! room that has waited `join_timeout` (→ `SessionError::JoinTimeout`, close
//! `HEARTBEAT_TIMEOUT`, reconnect, and the `Join` is sent again on the next
//! connection) or re-arms itself for the earliest remaining `Joining` room. So
//! while a room is `Joining` the timer is armed no later than `join_sent +
//! join_timeout` (checked by `check_invariants`).

use super::Client;
use super::error::SessionError;
use super::rooms::RoomStatus;
use super::timers::Timer;
use crate::time::Instant;
use crate::wire::{CloseCode, RoomId};

impl Client {
    /// The join timer fired.
    pub(super) fn on_join_timer(&mut self) {
        let timeout = self.config.join_timeout;
        let mut expired: Option<RoomId> = None;
        let mut next: Option<Instant> = None;
        for (id, r) in &self.rooms {
            if r.status != RoomStatus::Joining {
                continue;
            }
            let due = r.join_sent + timeout;
            if due <= self.now {
                expired.get_or_insert_with(|| id.clone());
            } else if next.is_none_or(|n| due < n) {
                next = Some(due);
            }
        }
        if let Some(room) = expired {
            self.fault(
                SessionError::JoinTimeout { room },
                CloseCode::HEARTBEAT_TIMEOUT,
            );
        } else if let Some(at) = next {
            self.timers.set(Timer::Join, at);
        }
    }
}
