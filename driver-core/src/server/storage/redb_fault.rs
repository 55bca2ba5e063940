//! [`Fault`]: why an action of the redb backend did not complete — refused by the
//! backend contract (the action fails alone), a database error (the batch fails), or
//! an I/O error that latched the database (the batch fails and the database is
//! closed, and reopened if that is safe: [`redb_reopen`](super::redb_reopen)) — and
//! redb's errors sorted into those kinds.

/// Why one action did not complete.
pub(crate) enum Fault {
    /// The action was refused; the transaction is intact.
    Refused(String),
    /// The database failed; the transaction must not commit.
    Db(String),
    /// The file failed (redb's `StorageError::Io`, or `PreviousIo` for an operation
    /// after one): redb has latched the failure, every later operation on this
    /// `Database` fails, and it must be closed (and reopened, unless the disk reported
    /// more than a full disk: [`redb_disk`](super::redb_disk)). The transaction did
    /// not commit.
    Io(String),
}

impl Fault {
    /// A failure of the database, [`Fault::Io`] when `storage` latched it.
    fn of_db(storage: Option<&redb::StorageError>, message: String) -> Fault {
        // Every failed read, write, resize or sync of the file latches redb; its first
        // error is `Io`, the later ones `PreviousIo`. (A best-effort write of a page
        // that does not latch can report `Io` too: that reopen is merely needless.)
        match storage {
            Some(redb::StorageError::Io(_) | redb::StorageError::PreviousIo) => Fault::Io(message),
            _ => Fault::Db(message),
        }
    }

    /// Whether the database latched it ([`Fault::Io`]).
    pub(crate) fn is_io(&self) -> bool {
        matches!(self, Fault::Io(_))
    }

    /// The message, whatever the kind.
    pub(crate) fn message(self) -> String {
        let (Fault::Refused(m) | Fault::Db(m) | Fault::Io(m)) = self;
        m
    }
}

impl From<redb::StorageError> for Fault {
    fn from(e: redb::StorageError) -> Self {
        Fault::of_db(Some(&e), e.to_string())
    }
}

impl From<redb::TableError> for Fault {
    fn from(e: redb::TableError) -> Self {
        let storage = match &e {
            redb::TableError::Storage(s) => Some(s),
            _ => None,
        };
        Fault::of_db(storage, e.to_string())
    }
}

impl From<redb::TransactionError> for Fault {
    fn from(e: redb::TransactionError) -> Self {
        let storage = match &e {
            redb::TransactionError::Storage(s) => Some(s),
            _ => None,
        };
        Fault::of_db(storage, e.to_string())
    }
}

impl From<redb::CommitError> for Fault {
    fn from(e: redb::CommitError) -> Self {
        let storage = match &e {
            redb::CommitError::Storage(s) => Some(s),
            _ => None,
        };
        Fault::of_db(storage, e.to_string())
    }
}

impl From<redb::SetDurabilityError> for Fault {
    fn from(e: redb::SetDurabilityError) -> Self {
        Fault::Db(e.to_string())
    }
}

pub(crate) fn refused<T>(msg: &str) -> Result<T, Fault> {
    Err(Fault::Refused(msg.to_owned()))
}

pub(crate) fn corrupt() -> Fault {
    Fault::Refused("corrupt record".to_owned())
}
