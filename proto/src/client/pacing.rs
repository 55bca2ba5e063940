//! Pacing: the client keeps under the rate limits the hub announced in `Welcome`
//! (PROTOCOL.md §7), so a burst of queued frames (every outbox entry re-sent after a
//! reconnect) is spread out instead of being refused `rate_limited` frame after
//! frame until the strikes close the session (4004) — on every reconnect again.
//!
//! Two budgets in micro-tokens, integer arithmetic: frames and bytes, each a token
//! bucket like the hub's at the hub's rate, but half its burst: the other half is
//! slack for frames the network bunches on the way (a delayed frame releases
//! the ones behind it at once). A room frame (`Join`, `Leave`,
//! `SetPresence`, `ClientDelta`) is built only while both budgets are positive
//! (a whole frame token, any byte token); every frame sent is charged, heartbeat
//! frames too, and the byte budget may go into debt by one frame (the hub's byte
//! burst is never below its frame limit, §7).

use crate::time::Instant;
use crate::wire::Limits;

const MICRO: i64 = 1_000_000;

/// One token bucket of the pacer.
#[derive(Clone, Debug)]
struct Budget {
    tokens: i64,
    capacity: i64,
    /// Tokens per second; 0 leaves this budget unpaced.
    per_sec: i64,
    /// Tokens needed to send (micro-tokens).
    needed: i64,
    last: Instant,
}

impl Budget {
    fn new(burst: u32, per_sec: u32, needed: i64, now: Instant) -> Budget {
        let capacity = i64::from((burst / 2).max(1)).saturating_mul(MICRO);
        let per_sec = if burst == 0 || per_sec == 0 {
            0
        } else {
            i64::from(per_sec)
        };
        Budget {
            tokens: capacity,
            capacity,
            per_sec,
            needed,
            last: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = i64::try_from(now.as_micros().saturating_sub(self.last.as_micros()))
            .unwrap_or(i64::MAX);
        self.last = self.last.max(now);
        let add = elapsed.saturating_mul(self.per_sec);
        self.tokens = self.tokens.saturating_add(add).min(self.capacity);
    }

    /// When a frame may be sent: `None` now, else the earliest time.
    fn wait(&mut self, now: Instant) -> Option<Instant> {
        if self.per_sec == 0 {
            return None;
        }
        self.refill(now);
        let short = self.needed.saturating_sub(self.tokens);
        if short <= 0 {
            return None;
        }
        // ⌈short / per_sec⌉ µs (`per_sec` tokens/s is `per_sec` micro-tokens/µs).
        let micros = (short + self.per_sec - 1) / self.per_sec;
        let micros = u64::try_from(micros).unwrap_or(u64::MAX);
        Some(now + core::time::Duration::from_micros(micros))
    }

    fn charge(&mut self, now: Instant, cost: usize) {
        self.refill(now);
        let cost = i64::try_from(cost).unwrap_or(i64::MAX);
        self.tokens = self
            .tokens
            .saturating_sub(cost.saturating_mul(MICRO))
            .max(-self.capacity.saturating_mul(64));
    }
}

/// The frame and byte budgets of one connection.
#[derive(Clone, Debug)]
pub(super) struct Pacer {
    frames: Budget,
    bytes: Budget,
}

impl Pacer {
    /// Full budgets for a connection whose hub announced `limits`.
    pub(super) fn new(limits: &Limits, now: Instant) -> Pacer {
        Pacer {
            frames: Budget::new(
                limits.rate_frame_burst,
                limits.rate_frames_per_sec,
                MICRO,
                now,
            ),
            bytes: Budget::new(limits.rate_byte_burst, limits.rate_bytes_per_sec, 1, now),
        }
    }

    /// `None` if a room frame may be sent now, else when one may.
    pub(super) fn wait(&mut self, now: Instant) -> Option<Instant> {
        match (self.frames.wait(now), self.bytes.wait(now)) {
            (None, None) => None,
            (a, b) => a.max(b),
        }
    }

    /// Counts one frame of `len` bytes sent at `now`.
    pub(super) fn charge(&mut self, now: Instant, len: usize) {
        self.frames.charge(now, 1);
        self.bytes.charge(now, len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::time::Duration;

    fn limits(per_sec: u32, burst: u32) -> Limits {
        Limits {
            max_frame_bytes: 1 << 20,
            max_rooms: 64,
            rate_frames_per_sec: per_sec,
            rate_bytes_per_sec: 1 << 20,
            rate_frame_burst: burst,
            rate_byte_burst: 2 << 20,
            max_payload_bytes: 1 << 19,
            max_presence_bytes: 4096,
            heartbeat_timeout_ms: 45_000,
        }
    }

    #[test]
    fn half_the_burst_goes_at_once_then_the_rate() {
        let t0 = Instant::from_millis(0);
        let mut p = Pacer::new(&limits(8, 8), t0);
        for _ in 0..4 {
            assert_eq!(p.wait(t0), None);
            p.charge(t0, 10);
        }
        // 8 frames per second: the next one in 1/8 s.
        let next = p.wait(t0).expect("the budget is spent");
        assert_eq!(next - t0, Duration::from_micros(125_000));
        assert_eq!(p.wait(next), None);
    }

    #[test]
    fn a_large_frame_spends_the_byte_budget_into_debt_and_waits_it_out() {
        let t0 = Instant::from_millis(0);
        let mut p = Pacer::new(&limits(10_000, 20_000), t0);
        p.charge(t0, 3 << 20); // 1 MiB of budget, 3 MiB sent
        let next = p.wait(t0).expect("in debt");
        // 2 MiB + 1 byte owed at 1 MiB per second: 2 s.
        let waited = next - t0;
        assert!(waited > Duration::from_millis(1_999) && waited < Duration::from_millis(2_001));
        assert_eq!(p.wait(next), None);
    }

    #[test]
    fn a_hub_announcing_no_rate_is_not_paced() {
        let t0 = Instant::from_millis(0);
        let mut p = Pacer::new(&limits(0, 0), t0);
        for _ in 0..1000 {
            p.charge(t0, 1);
        }
        assert_eq!(p.wait(t0), None);
    }
}
