//! Time sources. proto never reads a clock; drivers supply both kinds of time.

use syncwire_proto::Instant;
use syncwire_proto::time::WallClockMillis;

/// A driver's source of time.
pub trait Clock: Send + Sync + 'static {
    /// Monotonic time since an arbitrary origin fixed for the life of the clock.
    fn now(&self) -> Instant;
    /// Wall-clock milliseconds since the Unix epoch (for LWW registers).
    fn wall_ms(&self) -> WallClockMillis;
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use super::*;

    /// The operating system's clocks (`std::time::Instant` and `SystemTime`).
    #[derive(Clone, Copy, Debug)]
    pub struct SystemClock {
        origin: std::time::Instant,
    }

    impl Default for SystemClock {
        fn default() -> Self {
            SystemClock {
                origin: std::time::Instant::now(),
            }
        }
    }

    impl Clock for SystemClock {
        fn now(&self) -> Instant {
            let micros = u64::try_from(self.origin.elapsed().as_micros()).unwrap_or(u64::MAX);
            Instant::from_micros(micros)
        }
        fn wall_ms(&self) -> WallClockMillis {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
                .unwrap_or(0)
        }
    }

    impl SystemClock {
        /// The `std::time::Instant` that corresponds to a proto instant of this clock.
        pub fn to_std(&self, t: Instant) -> std::time::Instant {
            self.origin + std::time::Duration::from_micros(t.as_micros())
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub use native::SystemClock;
