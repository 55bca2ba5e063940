//! Opening the redb database: on its file ([`RedbBackend::open`]) or, in tests, on a
//! simulated disk, always [watched](super::redb_disk::Watched) so that the backend
//! knows what the disk reported; and its tables, created durably.
//!
//! Before every open of the file — at the start and on each reopen after a full disk
//! ([`redb_reopen`](super::redb_reopen)) — the opener writes and removes a probe of
//! [`PROBE`] bytes next to it. While the disk is still full that fails at once, so an
//! attempt does not run the repair that opening a database not closed cleanly costs
//! (three scans of the whole file, and the failed database was not closed cleanly)
//! only to fail on its first write. Once the probe fits, the attempt runs as before
//! (the repair's writes may still fail; the backoff goes on). A longer backoff would
//! only have delayed the recovery after space is freed.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use redb::Database;
use redb::backends::FileBackend;
use syncwire_proto::crdt::DeltaMerger;

use super::redb_backend::{ACK_DURABILITY, ENTRIES, ROOMS, RedbBackend, SEQS, SNAPSHOTS};
use super::redb_disk::{DiskLog, Watched};
use super::redb_reopen::{Backoff, Opener};
use crate::server::ServerError;

/// The bytes of the probe written before opening the file.
pub(crate) const PROBE: usize = 64 * 1024;

impl RedbBackend {
    /// Opens (or creates) `dir/syncwire.redb`. redb repairs the file if the previous
    /// process died mid-write. Folds merge with `merger`.
    pub(crate) fn open(dir: &Path, merger: Arc<dyn DeltaMerger>) -> Result<Self, ServerError> {
        let err =
            |e: &dyn std::fmt::Display| ServerError::Storage(format!("{}: {e}", dir.display()));
        std::fs::create_dir_all(dir).map_err(|e| err(&e))?;
        let opener = file_opener(dir.join("syncwire.redb"));
        Self::with_opener(opener, merger).map_err(|e| err(&e))
    }

    /// Opens (or creates) a database on `backend` (tests: simulated disks; a reopen
    /// opens a clone of it, which shares its bytes).
    #[cfg(test)]
    pub(crate) fn on_backend(backend: impl redb::StorageBackend + Clone) -> Result<Self, String> {
        let merger = Arc::new(syncwire_proto::crdt::Registry::with_builtin());
        Self::on_backend_with(backend, merger)
    }

    /// [`RedbBackend::on_backend`], folding with `merger`.
    #[cfg(test)]
    pub(crate) fn on_backend_with(
        backend: impl redb::StorageBackend + Clone,
        merger: Arc<dyn DeltaMerger>,
    ) -> Result<Self, String> {
        let opener = move |log| {
            let disk = Watched::new(backend.clone(), log);
            Database::builder().create_with_backend(disk)
        };
        Self::with_opener(Box::new(opener), merger).map_err(|e| e.to_string())
    }

    /// The database `opener` opens, with every table created (durably).
    fn with_opener(
        mut opener: Opener,
        merger: Arc<dyn DeltaMerger>,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        let disk = DiskLog::default();
        let db = Self::open_tables(&mut opener, &disk)?;
        Ok(RedbBackend {
            db: Some(Arc::new(db)),
            merger,
            folder: None,
            deferred: None,
            opener,
            backoff: Backoff::default(),
            disk,
            latch: Arc::default(),
        })
    }

    /// Opens the database with `opener` (its failures noted in `disk`) and creates
    /// every table (durably).
    pub(super) fn open_tables(
        opener: &mut Opener,
        disk: &DiskLog,
    ) -> Result<Database, Box<dyn std::error::Error>> {
        let db = opener(disk.clone())?;
        let mut txn = db.begin_write()?;
        txn.set_durability(ACK_DURABILITY)?;
        {
            txn.open_table(ROOMS)?;
            txn.open_table(ENTRIES)?;
            txn.open_table(SEQS)?;
            txn.open_table(SNAPSHOTS)?;
        }
        txn.commit()?;
        Ok(db)
    }
}

/// Opens (or creates) the database file `path`, watched, after the probe.
fn file_opener(path: PathBuf) -> Opener {
    Box::new(move |log| {
        probe(&path)?;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)?;
        let file = Watched::new(FileBackend::new(file)?, log);
        Database::builder().create_with_backend(file)
    })
}

/// Writes [`PROBE`] bytes into a file next to `path`, and removes it.
fn probe(path: &Path) -> io::Result<()> {
    let probe = path.with_extension("redb-probe");
    let written = std::fs::write(&probe, vec![0; PROBE]);
    let _ = std::fs::remove_file(&probe);
    written.map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", probe.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        probe(&dir.path().join("syncwire.redb")).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let missing = probe(&dir.path().join("no/such/dir/syncwire.redb")).unwrap_err();
        assert!(missing.to_string().contains("redb-probe"), "{missing}");
    }
}
