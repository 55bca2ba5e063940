//! [`Checked`]: a part of the hub state whose consistency check reads only that part,
//! so the check can be skipped while the part was not borrowed mutably since it last
//! passed.
//!
//! `Hub::check_invariants` runs after every hub turn in the simulator and the fuzzers,
//! and most turns change few rooms: walking every loaded room's tail each time was
//! most of the simulator's CPU. A part wrapped in `Checked` is reached through
//! `Deref`/`DerefMut`; every `DerefMut` marks it unchecked, so no change escapes the
//! next check, and the check of an unchanged part is the one that already passed.
//! Outside `test`/`test-hooks` builds the wrapper holds the value alone.

use std::ops::{Deref, DerefMut};
#[cfg(any(test, feature = "test-hooks"))]
use std::sync::atomic::{AtomicBool, Ordering};

/// A value whose pure consistency check is remembered until the next `&mut` borrow.
#[derive(Debug)]
pub(crate) struct Checked<T> {
    value: T,
    /// The check passed and the value was not borrowed mutably since.
    #[cfg(any(test, feature = "test-hooks"))]
    passed: AtomicBool,
}

impl<T> Checked<T> {
    /// Wraps `value`, not yet checked.
    pub(crate) fn new(value: T) -> Self {
        Checked {
            value,
            #[cfg(any(test, feature = "test-hooks"))]
            passed: AtomicBool::new(false),
        }
    }

    /// Runs `check` unless it already passed on this exact value; `check` must read
    /// nothing but the value.
    #[cfg(any(test, feature = "test-hooks"))]
    pub(crate) fn check_with(
        &self,
        check: impl FnOnce(&T) -> Result<(), String>,
    ) -> Result<(), String> {
        if self.passed.load(Ordering::Relaxed) {
            return Ok(());
        }
        check(&self.value)?;
        self.passed.store(true, Ordering::Relaxed);
        Ok(())
    }
}

impl<T> Deref for Checked<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> DerefMut for Checked<T> {
    fn deref_mut(&mut self) -> &mut T {
        #[cfg(any(test, feature = "test-hooks"))]
        self.passed.store(false, Ordering::Relaxed);
        &mut self.value
    }
}

#[cfg(test)]
mod tests {
    use super::Checked;

    #[test]
    fn a_passed_check_is_skipped_until_the_next_mutable_borrow() {
        let runs = std::cell::Cell::new(0);
        let check = |v: &Vec<i32>| {
            runs.set(runs.get() + 1);
            if v.len() < 3 {
                Ok(())
            } else {
                Err("too long".to_string())
            }
        };
        let mut v = Checked::new(vec![1]);
        assert_eq!(v.check_with(check), Ok(()));
        assert_eq!(v.check_with(check), Ok(()), "skipped: unchanged");
        assert_eq!(v.len(), 1, "a shared borrow changes nothing");
        assert_eq!(v.check_with(check), Ok(()));
        assert_eq!(runs.get(), 1);
        v.push(2);
        assert_eq!(v.check_with(check), Ok(()), "checked again");
        assert_eq!(runs.get(), 2);
        v.push(3);
        assert!(v.check_with(check).is_err());
        assert!(v.check_with(check).is_err(), "a failure is not remembered");
        assert_eq!(runs.get(), 4);
    }
}
