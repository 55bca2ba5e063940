//! The client's named timers and its clock. The driver only ever sees the
//! earliest deadline ([`TimerTable::next`], converted to the driver's clock); the
//! client fires expired timers itself on every input (`Client::advance`, called
//! first by every input and command).
//!
//! The session keeps its own monotonic time, which advances by every forward step
//! of the driver's `now` (from one input to the next) and stands still when `now`
//! steps back. So a deadline armed `d` ahead still fires after `d` of the driver's
//! time in total, and a clock stepped back never postpones a timeout. Deadlines
//! are handed to the driver in its own clock: the most recent `now` plus the time
//! left.
//! (Clamping `now` to the latest value instead would freeze every timer for as
//! long as the step was: simulator seeds 720 and 2210 of `realistic` stayed
//! `Connecting` for 80 s after a clock stepped back during a black-holed attempt.)

use super::Client;
use crate::time::Instant;

/// A named timer of the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Timer {
    /// The transport must open and the hub must answer `Hello` before this.
    Handshake,
    /// Time to send the next `Ping`.
    Ping,
    /// No frame from the hub since `heartbeat_timeout`: it is dead.
    Idle,
    /// Time for the next reconnection attempt.
    Backoff,
    /// The connection has been up for `stable_after`: reset the attempt counter.
    Stable,
    /// Deltas paused after a `rate_limited` reject may be sent again.
    RateLimit,
    /// The earliest `Join` sent may have gone unanswered (`join_timeout`).
    Join,
    /// The pacer's budget allows the next room frame (`pacing.rs`).
    Pace,
}

impl Timer {
    const ALL: [Timer; 8] = [
        Timer::Handshake,
        Timer::Ping,
        Timer::Idle,
        Timer::Backoff,
        Timer::Stable,
        Timer::RateLimit,
        Timer::Join,
        Timer::Pace,
    ];

    fn index(self) -> usize {
        match self {
            Timer::Handshake => 0,
            Timer::Ping => 1,
            Timer::Idle => 2,
            Timer::Backoff => 3,
            Timer::Stable => 4,
            Timer::RateLimit => 5,
            Timer::Join => 6,
            Timer::Pace => 7,
        }
    }
}

/// One optional deadline per [`Timer`].
#[derive(Clone, Debug, Default)]
pub(super) struct TimerTable {
    at: [Option<Instant>; 8],
}

impl TimerTable {
    /// Arms `timer` for `at` (replacing any earlier deadline).
    pub(super) fn set(&mut self, timer: Timer, at: Instant) {
        self.at[timer.index()] = Some(at);
    }

    /// Disarms `timer`.
    pub(super) fn stop(&mut self, timer: Timer) {
        self.at[timer.index()] = None;
    }

    /// The deadline of `timer`, if armed.
    pub(super) fn get(&self, timer: Timer) -> Option<Instant> {
        self.at[timer.index()]
    }

    /// Whether `timer` is armed.
    pub(super) fn is_set(&self, timer: Timer) -> bool {
        self.get(timer).is_some()
    }

    /// The earliest armed deadline.
    pub(super) fn next(&self) -> Option<Instant> {
        self.at.iter().flatten().min().copied()
    }

    /// The armed timer with the earliest deadline at or before `now` (ties go to
    /// the order of declaration), disarmed and returned.
    pub(super) fn pop_expired(&mut self, now: Instant) -> Option<Timer> {
        let mut best: Option<(Instant, Timer)> = None;
        for t in Timer::ALL {
            if let Some(at) = self.get(t) {
                if at <= now && best.is_none_or(|(b, _)| at < b) {
                    best = Some((at, t));
                }
            }
        }
        let (_, t) = best?;
        self.stop(t);
        Some(t)
    }
}

impl Client {
    /// Advances the session's time by the driver's forward step to `now` (none if
    /// `now` stepped back) and fires every timer that expired.
    pub(super) fn advance(&mut self, now: Instant) {
        self.now = self.now + (now - self.driver_now);
        self.driver_now = now;
        // Each timer fired is disarmed and re-armed only in the future, so this
        // terminates quickly; the bound is a guard.
        for _ in 0..32 {
            match self.timers.pop_expired(self.now) {
                Some(t) => self.fire(t),
                None => break,
            }
        }
    }

    /// `at` of the session's time, in the driver's clock (never before the most
    /// recent `now`).
    pub(super) fn to_driver_time(&self, at: Instant) -> Instant {
        self.driver_now + (at - self.now)
    }

    /// Handles an expired timer.
    fn fire(&mut self, timer: Timer) {
        match timer {
            Timer::Handshake => self.on_handshake_timer(),
            Timer::Ping => self.on_ping_timer(),
            Timer::Idle => self.on_idle_timer(),
            Timer::Backoff => self.on_backoff_timer(),
            Timer::Stable => self.attempts = 0,
            Timer::RateLimit | Timer::Pace => {}
            Timer::Join => self.on_join_timer(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earliest_deadline_fires_first_and_is_disarmed() {
        let mut t = TimerTable::default();
        assert_eq!(t.next(), None);
        t.set(Timer::Idle, Instant::from_millis(30));
        t.set(Timer::Ping, Instant::from_millis(10));
        assert_eq!(t.next(), Some(Instant::from_millis(10)));
        assert_eq!(t.pop_expired(Instant::from_millis(5)), None);
        assert_eq!(t.pop_expired(Instant::from_millis(40)), Some(Timer::Ping));
        assert_eq!(t.pop_expired(Instant::from_millis(40)), Some(Timer::Idle));
        assert_eq!(t.pop_expired(Instant::from_millis(40)), None);
        assert!(!t.is_set(Timer::Idle));
    }
}
