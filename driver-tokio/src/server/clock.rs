//! The driver's monotonic clock: a process-local origin turned into proto [`Instant`]s.

use std::time::Duration;

use syncwire_proto::Instant;

/// Converts between tokio's monotonic clock and proto's microsecond [`Instant`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    origin: tokio::time::Instant,
}

impl Clock {
    /// A clock whose origin is now.
    pub(crate) fn new() -> Self {
        Clock {
            origin: tokio::time::Instant::now(),
        }
    }

    /// The current time as a proto instant.
    pub(crate) fn now(&self) -> Instant {
        let micros = self.origin.elapsed().as_micros();
        Instant::from_micros(u64::try_from(micros).unwrap_or(u64::MAX))
    }

    /// The tokio instant corresponding to a proto instant (saturating far in the future).
    pub(crate) fn to_tokio(self, at: Instant) -> tokio::time::Instant {
        let far = Duration::from_secs(86_400 * 365);
        let offset = Duration::from_micros(at.as_micros()).min(far);
        self.origin + offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_both_ways() {
        let clock = Clock::new();
        let a = clock.now();
        let b = clock.now();
        assert!(b >= a);
        let t = clock.to_tokio(Instant::from_millis(5));
        assert_eq!(t - clock.origin, Duration::from_millis(5));
        // "Never" does not overflow.
        assert!(clock.to_tokio(Instant::MAX) > clock.origin);
    }
}
