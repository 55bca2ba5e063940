//! The storage interface: actions the hub emits and completions the driver feeds back.
//!
//! The hub never performs I/O. It describes what must be stored or loaded as a
//! [`StorageAction`] (handed out by `Hub::poll_output`), the driver executes it on a
//! backend (memory, an embedded crash-safe store, a distributed log) and reports the
//! result as a [`StorageCompletion`] naming the same [`OpId`] (`Hub::handle_storage`).
//!
//! # Contract for backends
//!
//! Per room a backend keeps: the CRDT type, the epoch, the log entries
//! `first_offset..head` of that epoch, the latest snapshot and the per-replica
//! sequence table.
//! * Actions of one room must take effect in the order they were emitted.
//! * [`StorageAction::Create`] starts (or restarts) a room at a new epoch with no
//!   entries, discarding anything stored for it before.
//! * [`StorageAction::Append`] must be refused (`Err`) unless its epoch is the room's
//!   epoch and its first entry's offset equals the stored head: the log stays contiguous.
//!   Its completion means the entries are durable.
//! * [`StorageAction::Fold`] folds the room's stored snapshot and its stored entries
//!   from the snapshot's offset up to (not including) `to` into a new snapshot, with
//!   [`fold_snapshot`](super::fold::fold_snapshot) and the backend's
//!   [`DeltaMerger`](crate::crdt::DeltaMerger) (the same types as the hub's), stores
//!   it and may then delete the entries below its offset (never entries at or above
//!   it). The fold and the store take effect together or not at all (a crash
//!   mid-fold leaves the old snapshot and every entry). It returns the room's snapshot
//!   after the action: below `to` when a run did not fold to the end, unchanged (or
//!   `None`) when nothing folded. This is where the O(state) work of compaction
//!   happens — on the storage side, never on the hub's task. A backend may finish a
//!   fold after actions emitted later (off its main thread; the hub has one fold in
//!   flight per room and waits for its completion): the fold then reads its input
//!   in order and stores its result only if the room is unchanged since (same epoch
//!   and snapshot); appends, loads and ranges meanwhile see the state before it.
//! * [`StorageAction::Load`] returns a [`RoomRecord`]: `seqs` is the highest sequence
//!   per replica over the snapshot's table and every stored entry (this is how the
//!   deduplication table survives restarts and compaction), and `tail` is the last
//!   (at most `tail_limit`) entries, ending at `head`. `None` means no history.
//! * [`StorageAction::LoadRange`] returns up to `max_entries` consecutive entries
//!   starting at `from` (fewer, or none, if they are gone).
//!
//! ## Shared-log mode (several hubs, one log: `HubConfig::shared_log`)
//!
//! * [`StorageAction::AppendShared`] carries entries without offsets: the backend is
//!   the only place where offsets are assigned and the sequence rule is decided, in
//!   one atomic step per action. It is refused (`Err`, nothing stored) unless its
//!   epoch is the room's; otherwise each entry, in order, is
//!   [`AppendOutcome::Logged`] at the next offset if its `seq` is the replica's
//!   stored sequence + 1, [`AppendOutcome::Duplicate`] if it is not above the stored
//!   sequence, and [`AppendOutcome::Gap`] (not stored) otherwise. Its completion
//!   means the logged entries are durable.
//! * The driver feeds entries appended by any node (its own included: the hub
//!   ignores what it already has) to `Hub::handle_appended`, in any grouping, late or
//!   repeated; the hub fills holes with [`StorageAction::LoadRange`].

use thiserror::Error;

use crate::wire::RoomId;

mod stored;

pub use stored::{AppendOutcome, NewEntry, RoomRecord, StoredEntry, StoredSnapshot};

/// Names one storage action; its completion carries the same id.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct OpId(pub u64);

/// Work the driver must perform on the storage backend.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum StorageAction {
    /// Load a room's record, with at most `tail_limit` trailing entries.
    Load {
        /// Operation id.
        op: OpId,
        /// The room.
        room: RoomId,
        /// Most trailing entries to return.
        tail_limit: usize,
    },
    /// Start the room afresh at `epoch` with type `crdt` and no entries.
    Create {
        /// Operation id.
        op: OpId,
        /// The room.
        room: RoomId,
        /// The CRDT type tag.
        crdt: String,
        /// The new epoch.
        epoch: u64,
    },
    /// Append consecutive entries at the room's head; complete once durable.
    Append {
        /// Operation id.
        op: OpId,
        /// The room.
        room: RoomId,
        /// The epoch the entries belong to.
        epoch: u64,
        /// The entries, consecutive, first at the stored head.
        entries: Vec<StoredEntry>,
    },
    /// Shared-log mode: append the entries at the room's head, offsets assigned and
    /// the sequence rule checked by the backend, atomically; complete once durable.
    AppendShared {
        /// Operation id.
        op: OpId,
        /// The room.
        room: RoomId,
        /// The epoch the entries belong to.
        epoch: u64,
        /// The entries, in the order their offsets must follow.
        entries: Vec<NewEntry>,
    },
    /// Load up to `max_entries` entries starting at `from`.
    LoadRange {
        /// Operation id.
        op: OpId,
        /// The room.
        room: RoomId,
        /// The epoch expected.
        epoch: u64,
        /// First offset wanted.
        from: u64,
        /// Most entries to return.
        max_entries: usize,
    },
    /// Fold the stored snapshot and the stored entries below `to` into a new snapshot
    /// and store it (entries below its offset may then be deleted).
    Fold {
        /// Operation id.
        op: OpId,
        /// The room.
        room: RoomId,
        /// The epoch expected.
        epoch: u64,
        /// First offset the new snapshot should not cover.
        to: u64,
    },
}

impl StorageAction {
    /// The action's operation id.
    pub fn op(&self) -> OpId {
        match self {
            StorageAction::Load { op, .. }
            | StorageAction::Create { op, .. }
            | StorageAction::Append { op, .. }
            | StorageAction::AppendShared { op, .. }
            | StorageAction::LoadRange { op, .. }
            | StorageAction::Fold { op, .. } => *op,
        }
    }
    /// The completion reporting that the action failed with `error`.
    pub fn failed(&self, error: StorageError) -> StorageCompletion {
        let (op, e) = (self.op(), error);
        match self {
            StorageAction::Load { .. } => StorageCompletion::Loaded { op, result: Err(e) },
            StorageAction::Create { .. } => StorageCompletion::Created { op, result: Err(e) },
            StorageAction::Append { .. } => StorageCompletion::Appended { op, result: Err(e) },
            StorageAction::AppendShared { .. } => {
                StorageCompletion::AppendedShared { op, result: Err(e) }
            }
            StorageAction::LoadRange { .. } => StorageCompletion::Range { op, result: Err(e) },
            StorageAction::Fold { .. } => StorageCompletion::Folded { op, result: Err(e) },
        }
    }
    /// The room the action concerns.
    pub fn room(&self) -> &RoomId {
        match self {
            StorageAction::Load { room, .. }
            | StorageAction::Create { room, .. }
            | StorageAction::Append { room, .. }
            | StorageAction::AppendShared { room, .. }
            | StorageAction::LoadRange { room, .. }
            | StorageAction::Fold { room, .. } => room,
        }
    }
}

/// A backend failure, reported back to the hub.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("storage error: {0}")]
pub struct StorageError(pub String);

impl StorageError {
    /// The message of [`StorageError::fold_busy`].
    pub const FOLD_BUSY: &'static str = "fold lease held by another node";

    /// A fold declined because another node of a shared log is folding the same
    /// room (its fold lease): nothing failed, the hub folds later. Not counted in
    /// `HubMetrics::storage_failures` but in `folds_deferred`.
    pub fn fold_busy() -> StorageError {
        StorageError(Self::FOLD_BUSY.to_owned())
    }

    /// Whether this is [`StorageError::fold_busy`].
    pub fn is_fold_busy(&self) -> bool {
        self.0 == Self::FOLD_BUSY
    }
}

/// The outcome of a [`StorageAction`], fed back with `Hub::handle_storage`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum StorageCompletion {
    /// Answer to [`StorageAction::Load`]; `Ok(None)` means the room has no history.
    Loaded {
        /// Operation id.
        op: OpId,
        /// The record.
        result: Result<Option<RoomRecord>, StorageError>,
    },
    /// Answer to [`StorageAction::Create`].
    Created {
        /// Operation id.
        op: OpId,
        /// Success or failure.
        result: Result<(), StorageError>,
    },
    /// Answer to [`StorageAction::Append`]: the entries are durable.
    Appended {
        /// Operation id.
        op: OpId,
        /// Success or failure.
        result: Result<(), StorageError>,
    },
    /// Answer to [`StorageAction::AppendShared`]: one outcome per entry, in order;
    /// the logged entries are durable.
    AppendedShared {
        /// Operation id.
        op: OpId,
        /// The outcomes, or the failure (then nothing was stored).
        result: Result<Vec<AppendOutcome>, StorageError>,
    },
    /// Answer to [`StorageAction::LoadRange`].
    Range {
        /// Operation id.
        op: OpId,
        /// The entries found.
        result: Result<Vec<StoredEntry>, StorageError>,
    },
    /// Answer to [`StorageAction::Fold`]: the room's stored snapshot after the fold.
    Folded {
        /// Operation id.
        op: OpId,
        /// The snapshot now stored (`None`: the room has none, nothing folded).
        result: Result<Option<StoredSnapshot>, StorageError>,
    },
}

impl StorageCompletion {
    /// The same completion reporting a failure instead (its effect, if any, stays:
    /// e.g. a write whose commit could not be confirmed).
    pub fn into_failure(self, error: StorageError) -> StorageCompletion {
        let (op, e) = (self.op(), error);
        match self {
            StorageCompletion::Loaded { .. } => StorageCompletion::Loaded { op, result: Err(e) },
            StorageCompletion::Created { .. } => StorageCompletion::Created { op, result: Err(e) },
            StorageCompletion::Appended { .. } => {
                StorageCompletion::Appended { op, result: Err(e) }
            }
            StorageCompletion::AppendedShared { .. } => {
                StorageCompletion::AppendedShared { op, result: Err(e) }
            }
            StorageCompletion::Range { .. } => StorageCompletion::Range { op, result: Err(e) },
            StorageCompletion::Folded { .. } => StorageCompletion::Folded { op, result: Err(e) },
        }
    }
    /// The operation this completes.
    pub fn op(&self) -> OpId {
        match self {
            StorageCompletion::Loaded { op, .. }
            | StorageCompletion::Created { op, .. }
            | StorageCompletion::Appended { op, .. }
            | StorageCompletion::AppendedShared { op, .. }
            | StorageCompletion::Range { op, .. }
            | StorageCompletion::Folded { op, .. } => *op,
        }
    }
}
