//! Reconnection delays: exponential backoff with full jitter.
//!
//! Attempt `n` (1-based) waits a uniformly random time in
//! `0..=min(cap, base · 2^(n-1))` (the "full jitter" of the AWS architecture blog),
//! drawn from the session's seeded generator. The policy around it (immediate
//! first retry after losing an established connection, reset after a stable
//! connection, `max_attempts`) lives in `lifecycle.rs`.

use core::time::Duration;

use crate::rng::Rng;

/// The ceiling of the delay for attempt `attempt` (1-based): `min(cap, base · 2^(attempt-1))`.
pub(super) fn ceiling(base: Duration, cap: Duration, attempt: u32) -> Duration {
    let base_us = u64::try_from(base.as_micros()).unwrap_or(u64::MAX);
    let cap_us = u64::try_from(cap.as_micros()).unwrap_or(u64::MAX);
    let shift = attempt.saturating_sub(1).min(63);
    let factor = 1u64 << shift;
    Duration::from_micros(base_us.saturating_mul(factor).min(cap_us))
}

/// A random delay in `0..=ceiling(base, cap, attempt)`.
pub(super) fn jittered(rng: &mut Rng, base: Duration, cap: Duration, attempt: u32) -> Duration {
    let top = u64::try_from(ceiling(base, cap, attempt).as_micros()).unwrap_or(u64::MAX);
    Duration::from_micros(rng.below_inclusive(top))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_then_caps_without_overflow() {
        let base = Duration::from_millis(100);
        let cap = Duration::from_secs(1);
        assert_eq!(ceiling(base, cap, 1), Duration::from_millis(100));
        assert_eq!(ceiling(base, cap, 2), Duration::from_millis(200));
        assert_eq!(ceiling(base, cap, 4), Duration::from_millis(800));
        assert_eq!(ceiling(base, cap, 5), cap);
        assert_eq!(ceiling(base, cap, u32::MAX), cap);
        assert_eq!(
            ceiling(Duration::MAX, Duration::MAX, 99),
            Duration::from_micros(u64::MAX)
        );
    }

    #[test]
    fn jitter_stays_below_ceiling_and_is_seeded() {
        let base = Duration::from_millis(100);
        let cap = Duration::from_secs(1);
        let mut a = Rng::new(9);
        let mut b = Rng::new(9);
        let mut distinct = std::collections::BTreeSet::new();
        for attempt in 1..20 {
            let d = jittered(&mut a, base, cap, attempt);
            assert!(d <= ceiling(base, cap, attempt));
            assert_eq!(d, jittered(&mut b, base, cap, attempt));
            distinct.insert(d);
        }
        assert!(distinct.len() > 10, "delays are spread, not constant");
    }
}
