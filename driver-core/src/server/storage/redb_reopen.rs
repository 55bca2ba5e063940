//! Reopening the redb database after an I/O failure: what opens it again
//! ([`Opener`]), when ([`Backoff`]), how the failed one is closed
//! ([`RedbBackend::close_failed`]), whether it may be reopened, and the reopen
//! ([`RedbBackend::reopen`]).
//!
//! redb latches any failed read, write, resize or sync of its file: from then on
//! every operation on that `Database`, reads included, fails with `PreviousIo`, until
//! it is dropped and opened again. So when a batch fails that way
//! ([`Fault::Io`](super::redb_fault::Fault::Io)), or a fold does (the
//! [`Latch`](super::redb_fold::Latch)), the backend closes the database (after
//! joining its fold thread, which holds it too).
//!
//! Whether it reopens it depends on what the disk reported since it was opened
//! ([`redb_disk`](super::redb_disk)):
//!
//! * Only a full disk on writes or resizes (ENOSPC, EDQUOT): the storage worker
//!   reopens it from the same file, the first attempt [`FIRST_RETRY`] after the
//!   failure, then twice as long after each failed attempt, up to [`LAST_RETRY`]; the
//!   delay starts over once a batch succeeds. Opening repairs the file if it must (the
//!   last close was not clean) and finds the committed transactions: every completion
//!   followed a commit made with `Durability::Immediate` whose sync succeeded, and no
//!   sync failed since the open, so the acked commits are on the disk. An attempt
//!   on a disk still full fails on a probe write, before the repair
//!   ([`redb_open`](super::redb_open)); the cap stays at 5 s so that the recovery
//!   follows soon after space is freed.
//! * Anything else — a failed sync (ENOSPC included), EIO on a write or read: it is
//!   not reopened in this process. After a failed fsync Linux may have marked the
//!   unwritten pages clean: a reopened file would read them from the page cache, so
//!   a commit reported failed could appear committed and later acks build on pages
//!   that are not on the disk (a power loss would then lose acked data). Storage
//!   stays failed (an ERROR log says so once) until the operator checks the disk and
//!   restarts; the page cache survives a restart of the process, so after a failed
//!   fsync the safest course is to reboot the host, or to restore from a copy.
//!
//! Residual risk of the reopen after ENOSPC: the writes of the failed transaction
//! cached before the one that failed are dirty, not yet on the disk. If their
//! writeback fails later, Linux (4.16+) reports it to the next fsync of the reopened
//! file (unless another process saw it first), which then fails and stops the
//! reopening; older kernels may not report it at all.
//!
//! While the database is closed every batch fails at once (joins are refused
//! `internal`), the worker reports storage as failed (`/health` 503,
//! `syncwire_storage_failed`) and counts each reopening
//! (`syncwire_storage_reopens_total`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use redb::{Database, DatabaseError};

use super::redb_backend::RedbBackend;
use super::redb_disk::DiskLog;

/// How long after a failure the first attempt to reopen the database comes.
pub(crate) const FIRST_RETRY: Duration = Duration::from_millis(100);

/// The longest wait between two attempts (the delay doubles up to it).
pub(crate) const LAST_RETRY: Duration = Duration::from_secs(5);

/// Opens the database again (the same file, or in tests the same simulated disk), on
/// a file that notes its failures in the given log.
pub(crate) type Opener = Box<dyn FnMut(DiskLog) -> Result<Database, DatabaseError> + Send>;

/// When to try reopening the database, and why it is closed.
#[derive(Debug)]
pub(crate) struct Backoff {
    /// The wait before the next attempt after another failure.
    delay: Duration,
    /// The next attempt (`Some` while the database is closed and may be reopened).
    next: Option<Instant>,
    /// The last failure, for the actions failed meanwhile.
    why: String,
    /// The database must not be reopened in this process.
    gave_up: bool,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            delay: FIRST_RETRY,
            next: None,
            why: String::new(),
            gave_up: false,
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

    /// The database failed (`why`) after the disk reported `cause`, which makes a
    /// reopen unsafe: no attempt comes.
    pub(crate) fn give_up(&mut self, why: String, cause: String) {
        tracing::error!(
            "redb storage failed: the disk reported an I/O error ({cause}; {why}). The \
             database will not be reopened in this process: check the disk, then restart \
             syncwire. After a failed fsync the safest course is to reboot the host or to \
             restore the data directory from a copy: the page cache may hold writes that \
             never reached the disk."
        );
        self.next = None;
        self.gave_up = true;
        self.why = format!("{cause}; {why}");
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

    /// When the next attempt to reopen is due (`None`: the database is open, or will
    /// not be reopened).
    pub(crate) fn next(&self) -> Option<Instant> {
        self.next
    }

    /// What the actions failed while the database is closed are told.
    pub(crate) fn refusal(&self) -> String {
        if self.gave_up {
            format!(
                "storage failed after a disk I/O error and will not be reopened (check the \
                 disk, then restart): {}",
                self.why
            )
        } else {
            format!("storage failed, reopening: {}", self.why)
        }
    }
}

impl RedbBackend {
    /// The database failed with an I/O error (`why`): ends the fold thread (the folds
    /// it holds fail without merging), closes the database and schedules the reopen,
    /// unless the disk reported more than a full disk.
    pub(crate) fn close_failed(&mut self, why: String) {
        self.latch.set(why.clone());
        drop(self.folder.take());
        self.latch.clear();
        if let Some(db) = self.db.take() {
            close(db);
        }
        match self.disk.unsafe_cause() {
            None => self.backoff.failed(why),
            Some(cause) => self.backoff.give_up(why, cause),
        }
    }

    /// Closes the database if a fold latched it; `true` if it did.
    pub(crate) fn close_if_latched(&mut self) -> bool {
        match self.db.as_ref().and(self.latch.why()) {
            Some(why) => {
                self.close_failed(why);
                true
            }
            None => false,
        }
    }

    /// Opens the database again (and the fold thread on it); `true` if it did. On
    /// failure the next attempt is due after the backoff's delay, if one may come.
    pub(crate) fn reopen(&mut self) -> bool {
        if self.db.is_some() || self.backoff.gave_up {
            return false;
        }
        self.disk = DiskLog::default();
        match Self::open_tables(&mut self.opener, &self.disk) {
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
                match self.disk.unsafe_cause() {
                    None => self.backoff.failed(e.to_string()),
                    Some(cause) => self.backoff.give_up(e.to_string(), cause),
                }
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
        assert!(b.refusal().ends_with("reopening: again"));
        b.give_up("latched".into(), "Sync failed: EIO".into());
        assert_eq!(b.next(), None, "no attempt after an unsafe failure");
        assert!(b.refusal().contains("will not be reopened"));
    }
}
