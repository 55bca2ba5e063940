//! Per-session rate limiting: integer token buckets for frames and bytes, and the
//! strike counter that turns persistent abuse into a close.
//!
//! Exactly as docs/PROTOCOL.md §7 states it: both buckets start full; a frame passes
//! only if both hold its tokens (one frame, `len` bytes) and then takes them; a frame
//! that does not pass takes nothing and is a strike. The first strike opens a window;
//! the `strikes_to_close`-th strike within it closes the session; a strike after the
//! window has ended opens a new one.

use core::time::Duration;

use crate::time::Instant;

const MICRO: u64 = 1_000_000;

/// A token bucket in micro-tokens (integer arithmetic, deterministic).
#[derive(Clone, Debug)]
pub(crate) struct TokenBucket {
    tokens: u64,
    capacity: u64,
    per_sec: u64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket of `burst` tokens refilling at `per_sec` tokens per second.
    pub(crate) fn new(burst: u32, per_sec: u32, now: Instant) -> Self {
        let capacity = u64::from(burst).saturating_mul(MICRO);
        TokenBucket {
            tokens: capacity,
            capacity,
            per_sec: u64::from(per_sec),
            last: now,
        }
    }
    fn refill(&mut self, now: Instant) {
        let elapsed = now.as_micros().saturating_sub(self.last.as_micros());
        self.last = self.last.max(now);
        // `elapsed` µs at `per_sec` tokens/s is `elapsed * per_sec` micro-tokens.
        let add = elapsed.saturating_mul(self.per_sec);
        self.tokens = self.tokens.saturating_add(add).min(self.capacity);
    }
    /// Whether `cost` tokens are available now (without taking them).
    pub(crate) fn has(&mut self, now: Instant, cost: u64) -> bool {
        self.refill(now);
        self.tokens >= cost.saturating_mul(MICRO)
    }
    /// Takes `cost` tokens (call after [`TokenBucket::has`] returned true).
    pub(crate) fn take(&mut self, cost: u64) {
        self.tokens = self.tokens.saturating_sub(cost.saturating_mul(MICRO));
    }
}

/// Frame and byte buckets plus the strike window of one session.
#[derive(Clone, Debug)]
pub(crate) struct RateLimiter {
    frames: TokenBucket,
    bytes: TokenBucket,
    strikes: u32,
    window_start: Instant,
}

/// What to do with an inbound frame.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum RateVerdict {
    /// Within limits: process it.
    Allow,
    /// Over the limit: reject it and drop it.
    Reject,
    /// Over the limit too often: reject it and close the session.
    Close,
}

impl RateLimiter {
    pub(crate) fn new(frames: (u32, u32), bytes: (u32, u32), now: Instant) -> Self {
        RateLimiter {
            frames: TokenBucket::new(frames.0, frames.1, now),
            bytes: TokenBucket::new(bytes.0, bytes.1, now),
            strikes: 0,
            window_start: now,
        }
    }

    /// Charges one frame of `len` bytes; a frame that does not pass is a strike.
    pub(crate) fn check(
        &mut self,
        now: Instant,
        len: usize,
        strikes_to_close: u32,
        window: Duration,
    ) -> RateVerdict {
        let len = u64::try_from(len).unwrap_or(u64::MAX);
        let frames_ok = self.frames.has(now, 1);
        let bytes_ok = self.bytes.has(now, len);
        if frames_ok && bytes_ok {
            self.frames.take(1);
            self.bytes.take(len);
            return RateVerdict::Allow;
        }
        if self.strikes == 0 || now.saturating_duration_since(self.window_start) > window {
            self.window_start = now;
            self.strikes = 0;
        }
        self.strikes = self.strikes.saturating_add(1);
        if self.strikes >= strikes_to_close {
            RateVerdict::Close
        } else {
            RateVerdict::Reject
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_burst_then_refills_at_rate() {
        let t0 = Instant::from_millis(0);
        let mut b = TokenBucket::new(3, 10, t0);
        for _ in 0..3 {
            assert!(b.has(t0, 1));
            b.take(1);
        }
        assert!(!b.has(t0, 1));
        // 10 tokens per second: one token after 100 ms.
        assert!(!b.has(Instant::from_millis(99), 1));
        assert!(b.has(Instant::from_millis(100), 1));
        // Never above capacity, time going backwards is harmless.
        assert!(b.has(Instant::from_millis(100_000), 3));
        assert!(!b.has(Instant::from_millis(5), 4));
    }

    #[test]
    fn strikes_close_only_when_repeated_within_the_window() {
        let t0 = Instant::ZERO;
        let w = Duration::from_secs(10);
        let mut r = RateLimiter::new((1, 1), (1000, 1000), t0);
        assert_eq!(r.check(t0, 10, 3, w), RateVerdict::Allow);
        assert_eq!(r.check(t0, 10, 3, w), RateVerdict::Reject);
        assert_eq!(r.check(t0, 10, 3, w), RateVerdict::Reject);
        assert_eq!(r.check(t0, 10, 3, w), RateVerdict::Close);
        // The window opens at the first strike, not when the session opened.
        let at = |s: u64| Instant::from_millis(s * 1000);
        let mut r = RateLimiter::new((1, 1), (1000, 1000), t0);
        assert_eq!(r.check(t0, 10, 3, w), RateVerdict::Allow);
        assert_eq!(r.check(at(9), 2000, 3, w), RateVerdict::Reject);
        assert_eq!(r.check(at(15), 2000, 3, w), RateVerdict::Reject);
        assert_eq!(r.check(at(19), 2000, 3, w), RateVerdict::Close);
        // A strike after the window has ended opens a new one, counting 1.
        let mut r = RateLimiter::new((1, 1), (1000, 1000), t0);
        assert_eq!(r.check(at(1), 2000, 3, w), RateVerdict::Reject);
        assert_eq!(r.check(at(12), 2000, 3, w), RateVerdict::Reject);
        assert_eq!(r.check(at(13), 2000, 3, w), RateVerdict::Reject);
        assert_eq!(r.check(at(14), 2000, 3, w), RateVerdict::Close);
        let later = Instant::from_millis(20_000);
        let mut r = RateLimiter::new((1, 1), (1000, 1000), t0);
        assert_eq!(r.check(t0, 2000, 2, w), RateVerdict::Reject);
        assert_eq!(r.check(later, 2000, 2, w), RateVerdict::Reject);
    }
}
