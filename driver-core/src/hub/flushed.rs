//! [`FlushedBytes`]: how a connection reports the bytes it has written and flushed to
//! the hub task without one message per write.
//!
//! The connection adds what it flushed; only the add that finds the counter at zero
//! asks for a `Flushed` message, and the hub task takes the whole sum when it handles
//! that message. While the hub task is busy (the case that matters: a fan-out at full
//! speed) later writes only add to the counter, so the hub handles one `Flushed` per
//! turn of its own loop per connection instead of one per write, and the backlog it
//! releases is the same.

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::AcqRel;

/// Bytes a connection flushed that the hub has not taken yet (cheap to clone: both
/// sides hold the same counter).
#[derive(Clone, Debug, Default)]
pub struct FlushedBytes(Arc<AtomicUsize>);

impl FlushedBytes {
    /// A counter at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Connection side: `bytes` more were flushed. Returns whether the connection
    /// must send the hub a `Flushed` message (the counter was at zero, so no message
    /// is pending). Adding zero never asks for one.
    pub fn add(&self, bytes: usize) -> bool {
        bytes > 0 && self.0.fetch_add(bytes, AcqRel) == 0
    }

    /// Hub side, on a `Flushed` message: takes everything added since the last take.
    pub fn take(&self) -> usize {
        self.0.swap(0, AcqRel)
    }
}

#[cfg(test)]
mod tests {
    use super::FlushedBytes;

    #[test]
    fn only_the_first_add_after_a_take_asks_for_a_message() {
        let f = FlushedBytes::new();
        let conn = f.clone();
        assert!(!conn.add(0), "nothing flushed, nothing to report");
        assert!(conn.add(100));
        assert!(!conn.add(50), "a message is already pending");
        assert_eq!(f.take(), 150, "the hub releases the whole sum");
        assert_eq!(f.take(), 0);
        assert!(conn.add(7), "after the take, the next add asks again");
        assert_eq!(f.take(), 7);
    }

    #[test]
    fn concurrent_adds_are_all_taken_and_each_pending_sum_has_one_message() {
        let f = FlushedBytes::new();
        let writers: Vec<_> = (0..4)
            .map(|_| {
                let c = f.clone();
                std::thread::spawn(move || (0..10_000).filter(|_| c.add(1)).count())
            })
            .collect();
        let (mut taken, mut nonzero_takes) = (0, 0);
        let mut take = || {
            let n = f.take();
            taken += n;
            nonzero_takes += usize::from(n > 0);
        };
        while writers.iter().any(|w| !w.is_finished()) {
            take();
        }
        let messages: usize = writers.into_iter().map(|w| w.join().unwrap()).sum();
        take();
        assert_eq!(taken, 40_000, "no byte is lost or counted twice");
        // Every message is answered by exactly one take that finds bytes, and every
        // take that finds bytes answers one message: none is lost, none is extra.
        assert_eq!(messages, nonzero_takes);
    }
}
