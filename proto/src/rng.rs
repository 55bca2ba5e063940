//! A small seeded pseudo-random generator (SplitMix64).
//!
//! State machines take their randomness (backoff jitter, ids) from one of these,
//! seeded from config, so that the same seed and the same inputs give the same
//! outputs byte for byte. It is not cryptographic and is never used for secrets.

/// Deterministic SplitMix64 generator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator starting from `seed`.
    pub const fn new(seed: u64) -> Self {
        Rng { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniformly distributed value in `0..=max` (inclusive), without modulo bias
    /// worth caring about for jitter (uses 128-bit multiply-shift).
    pub fn below_inclusive(&mut self, max: u64) -> u64 {
        if max == u64::MAX {
            return self.next_u64();
        }
        ((u128::from(self.next_u64()) * (u128::from(max) + 1)) >> 64) as u64
    }

    /// A new generator whose seed derives from this one (for per-session streams).
    #[cfg(feature = "test-hooks")]
    pub fn fork(&mut self) -> Rng {
        Rng::new(self.next_u64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = Rng::new(42);
        let mut b = Rng::new(42);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_ne!(Rng::new(1).next_u64(), Rng::new(2).next_u64());
    }

    #[test]
    fn below_inclusive_stays_in_range() {
        let mut r = Rng::new(7);
        for max in [0u64, 1, 2, 10, 1_000_000, u64::MAX] {
            for _ in 0..200 {
                assert!(r.below_inclusive(max) <= max);
            }
        }
        let mut saw_top = false;
        for _ in 0..1000 {
            saw_top |= r.below_inclusive(3) == 3;
        }
        assert!(saw_top, "inclusive upper bound is reachable");
    }
}
