//! Reopening the redb database after an I/O failure: what opens it again
//! ([`Opener`]), when ([`Backoff`]), how the failed one is closed
//! ([`RedbBackend::close_failed`]) and the reopen ([`RedbBackend::reopen`]).
//!
//! redb latches any failed read, write, resize or sync of its file: from then on
//! every operation on that `Database`, reads included, fails with `PreviousIo`, until
//! it is dropped and opened again. So when a batch fails that way
//! ([`Fault::Io`](super::redb_fault::Fault::Io)), the backend closes the database
//! (after joining its fold thread, which holds it too) and the storage worker reopens
//! it from the same file: the first attempt [`FIRST_RETRY`] after the failure, then
//! twice as long after each failed attempt, up to [`LAST_RETRY`]; the delay starts
//! over once a batch succeeds. Opening repairs the file if it must (the last close
//! was not clean) and finds exactly the committed transactions: every completion
//! followed a commit made with `Durability::Immediate`, so nothing acked is lost.
//! Meanwhile every batch fails at once (joins are refused `internal`), the worker
//! reports storage as failed (`/health` 503, `syncwire_storage_failed`) and counts
//! each reopening (`syncwire_storage_reopens_total`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use redb::{Database, DatabaseError};

use super::redb_backend::RedbBackend;

/// How long after a failure the first attempt to reopen the database comes.
pub(crate) const FIRST_RETRY: Duration = Duration::from_millis(100);

/// The longest wait between two attempts (the delay doubles up to it).
pub(crate) const LAST_RETRY: Duration = Duration::from_secs(5);

/// Opens the database again (the same file, or in tests the same simulated disk).
pub(crate) type Opener = Box<dyn FnMut() -> Result<Database, DatabaseError> + Send>;

/// When to try reopening the database, and why it is closed.
#[derive(Debug)]
pub(crate) struct Backoff {
    /// The wait before the next attempt after another failure.
    delay: Duration,
    /// The next attempt (`Some` while the database is closed).
    next: Option<Instant>,
    /// The last failure, for the actions failed meanwhile.
    why: String,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            delay: FIRST_RETRY,
            next: None,
            why: String::new(),
        }
    }
}

impl Backoff {
    /// The database failed, or did not reopen, because of `why`: the next attempt
    /// comes after the current delay, and the one after that twice as late.
    pub(crate) fn failed(&mut self, why: String) {
        tracing::warn!(
            "redb storage failed ({why}); reopening the database in {:?}",
            self.delay
        );
        self.next = Some(Instant::now() + self.delay);
        self.delay = self.delay.saturating_mul(2).min(LAST_RETRY);
        self.why = why;
    }

    /// The database is open again.
    pub(crate) fn reopened(&mut self) {
        tracing::info!("redb storage reopened after: {}", self.why);
        self.next = None;
    }

    /// A batch succeeded: the next failure starts over at [`FIRST_RETRY`].
    pub(crate) fn worked(&mut self) {
        self.delay = FIRST_RETRY;
    }

    /// When the next attempt to reopen is due (`None`: the database is open).
    pub(crate) fn next(&self) -> Option<Instant> {
        self.next
    }

    /// Why the database is closed.
    pub(crate) fn why(&self) -> &str {
        &self.why
    }
}

impl RedbBackend {
    /// The database failed with an I/O error (`why`): ends the fold thread (its
    /// queued folds fail on the latched database and are answered), closes the
    /// database and schedules the reopen.
    pub(crate) fn close_failed(&mut self, why: String) {
        drop(self.folder.take());
        if let Some(db) = self.db.take() {
            close(db);
        }
        self.backoff.failed(why);
    }

    /// Opens the database again (and the fold thread on it); `true` if it did. On
    /// failure the next attempt is due after the backoff's delay.
    pub(crate) fn reopen(&mut self) -> bool {
        if self.db.is_some() {
            return false;
        }
        match Self::open_tables(&mut self.opener) {
            Ok(db) => {
                let db = Arc::new(db);
                // Without the thread, folds run in the worker's batches.
                if let Err(e) = self.start_folder(&db) {
                    tracing::error!("fold thread not restarted: {e}");
                }
                self.db = Some(db);
                self.backoff.reopened();
                true
            }
            Err(e) => {
                self.backoff.failed(e.to_string());
                false
            }
        }
    }
}

/// Closes a failed database. The fold thread, the other holder, has ended: a handle
/// left would keep the file open (and locked), and the reopen would fail.
fn close(db: Arc<Database>) {
    match Arc::try_unwrap(db) {
        // A latched database reports the failure again; it is closed all the same.
        Ok(db) => {
            if let Err(e) = db.close() {
                tracing::debug!("closing the failed redb database: {e}");
            }
        }
        Err(_) => {
            debug_assert!(false, "the failed redb database is still in use");
            tracing::error!("the failed redb database is still in use; it stays open");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_doubles_up_to_the_last_and_starts_over_after_a_success() {
        let mut b = Backoff::default();
        let mut waits = Vec::new();
        for _ in 0..8 {
            let before = Instant::now();
            b.failed("full".into());
            waits.push(b.next().unwrap() - before);
        }
        let expected = [100, 200, 400, 800, 1600, 3200, 5000, 5000].map(Duration::from_millis);
        for (wait, want) in waits.iter().zip(expected) {
            assert!(
                *wait >= want && *wait < want + Duration::from_millis(50),
                "{waits:?}"
            );
        }
        b.reopened();
        assert_eq!(b.next(), None);
        b.worked();
        b.failed("again".into());
        assert!(b.next().unwrap() <= Instant::now() + FIRST_RETRY);
        assert_eq!(b.why(), "again");
    }
}
