//! What the redb file reported: every database is opened on a [`Watched`] file that
//! notes each failed operation in a [`DiskLog`], so that after an I/O error the
//! backend knows whether reopening the database is safe
//! ([`redb_reopen`](super::redb_reopen)). redb's own errors cannot tell: its first one
//! is `StorageError::Io` without the operation that failed, the later ones
//! `PreviousIo` without even the kind, and a best-effort write it does not report at
//! all may have failed before.
//!
//! Reopening is safe only when no sync failed and no write failed for another reason
//! than a full disk (`StorageFull`, ENOSPC; `QuotaExceeded`, EDQUOT). After a failed
//! fsync Linux may have marked the pages it could not write clean: they stay in the
//! page cache, a reopened file reads them back (a commit reported failed appears
//! committed) and later acked commits can build on pages that are not on the disk.
//! ENOSPC from a write means that write was not cached, and the writes cached before
//! it are still dirty, not dropped (the residual risk is in
//! [`redb_reopen`](super::redb_reopen)); ENOSPC from a sync may have dropped writes
//! like EIO does (delayed allocation, thin provisioning, NFS), so it is unsafe too.
//! A full ext4 or XFS volume reports ENOSPC on the write (space is reserved when the
//! page is cached), so that case keeps reopening.

use std::fmt;
use std::io;
use std::ops::Bound;
use std::sync::{Arc, Mutex};

use redb::{BackendError, StorageBackend};

/// What the file's operations reported since the database was opened. Clones share it.
#[derive(Clone, Debug, Default)]
pub(crate) struct DiskLog(Arc<Mutex<Seen>>);

#[derive(Debug, Default)]
enum Seen {
    #[default]
    Nothing,
    /// Only writes or resizes that found the disk full (the first one).
    Full,
    /// Another failure (the first one): the database must not be reopened.
    Unsafe(String),
}

/// The operations of a file that can fail.
#[derive(Clone, Copy, Debug)]
enum Op {
    Len,
    Read,
    Resize,
    Sync,
    Write,
}

impl DiskLog {
    fn record(&self, op: Op, e: &io::Error) {
        let full = matches!(
            e.kind(),
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
        );
        let reopenable = full && matches!(op, Op::Write | Op::Resize);
        let mut seen = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match *seen {
            Seen::Unsafe(_) => {}
            _ if !reopenable => *seen = Seen::Unsafe(format!("{op:?} failed: {e}")),
            _ => *seen = Seen::Full,
        }
    }

    /// Why the database must not be reopened, if it must not.
    pub(crate) fn unsafe_cause(&self) -> Option<String> {
        match &*self.0.lock().unwrap_or_else(|p| p.into_inner()) {
            Seen::Unsafe(cause) => Some(cause.clone()),
            Seen::Nothing | Seen::Full => None,
        }
    }
}

/// A redb file (or simulated disk) whose failures are noted in a [`DiskLog`].
pub(crate) struct Watched<B> {
    file: B,
    log: DiskLog,
}

impl<B> Watched<B> {
    pub(crate) fn new(file: B, log: DiskLog) -> Self {
        Watched { file, log }
    }

    fn noted<T>(&self, op: Op, result: io::Result<T>) -> io::Result<T> {
        if let Err(e) = &result {
            self.log.record(op, e);
        }
        result
    }
}

impl<B: fmt::Debug> fmt::Debug for Watched<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.file.fmt(f)
    }
}

impl<B: StorageBackend> StorageBackend for Watched<B> {
    fn len(&self) -> io::Result<u64> {
        self.noted(Op::Len, self.file.len())
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
        self.noted(Op::Read, self.file.read(offset, out))
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.noted(Op::Resize, self.file.set_len(len))
    }

    fn sync_data(&self) -> io::Result<()> {
        self.noted(Op::Sync, self.file.sync_data())
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.noted(Op::Write, self.file.write(offset, data))
    }

    fn close(&self) -> io::Result<()> {
        self.file.close()
    }

    fn try_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.file.try_lock_range(start, end)
    }

    fn try_lock_shared_range(
        &self,
        start: Bound<u64>,
        end: Bound<u64>,
    ) -> Result<bool, BackendError> {
        self.file.try_lock_shared_range(start, end)
    }

    fn lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.file.lock_range(start, end)
    }

    fn lock_shared_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.file.lock_shared_range(start, end)
    }

    fn unlock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.file.unlock_range(start, end)
    }

    fn query_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.file.query_lock_range(start, end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after(failures: &[(Op, io::ErrorKind)]) -> Option<String> {
        let log = DiskLog::default();
        for (op, kind) in failures {
            log.record(*op, &io::Error::new(*kind, "x"));
        }
        log.unsafe_cause()
    }

    #[test]
    fn only_a_full_disk_on_writes_and_resizes_allows_a_reopen() {
        use io::ErrorKind::{Other, QuotaExceeded, StorageFull};
        assert_eq!(after(&[]), None);
        assert_eq!(
            after(&[(Op::Write, StorageFull), (Op::Resize, StorageFull)]),
            None
        );
        assert_eq!(after(&[(Op::Write, QuotaExceeded)]), None);
        assert!(
            after(&[(Op::Sync, StorageFull)]).is_some(),
            "ENOSPC from fsync"
        );
        assert!(after(&[(Op::Sync, Other)]).is_some());
        assert!(after(&[(Op::Read, Other)]).is_some());
        assert!(after(&[(Op::Len, Other)]).is_some());
        // Sticky, and the first unsafe failure is the one told.
        let cause = after(&[
            (Op::Write, Other),
            (Op::Write, StorageFull),
            (Op::Sync, Other),
        ]);
        assert_eq!(cause.as_deref(), Some("Write failed: x"));
    }
}
