//! The redb tables of one transaction ([`Tables`]) and the contract's operations on
//! them: reads work in read and write transactions alike, writes need a write one.
//! Each operation validates before it modifies anything, so a refused action leaves
//! the transaction as it was.

use redb::{ReadableTable, Table};
use syncwire_proto::crdt::DeltaMerger;
use syncwire_proto::hub::{
    RoomRecord, StorageAction, StorageCompletion, StoredEntry, StoredSnapshot,
};
use syncwire_proto::wire::{ReplicaId, RoomId};

use super::failed;
use super::redb_backend::Bin;
use super::redb_codec::{self as codec, Meta};
use super::redb_fault::{Fault, corrupt, refused};

/// The four tables, from a read or a write transaction.
pub(crate) struct Tables<R, E, S, P> {
    pub(crate) rooms: R,
    pub(crate) entries: E,
    pub(crate) seqs: S,
    pub(crate) snapshots: P,
}

/// Wraps an action's result into its completion; database faults propagate.
fn complete<T>(
    r: Result<T, Fault>,
    wrap: impl FnOnce(Result<T, syncwire_proto::hub::StorageError>) -> StorageCompletion,
) -> Result<StorageCompletion, Fault> {
    match r {
        Ok(v) => Ok(wrap(Ok(v))),
        Err(Fault::Refused(m)) => Ok(wrap(Err(syncwire_proto::hub::StorageError(m)))),
        Err(db) => Err(db),
    }
}

impl<R, E, S, P> Tables<R, E, S, P>
where
    R: ReadableTable<Bin, Bin>,
    E: ReadableTable<Bin, Bin>,
    S: ReadableTable<Bin, u64>,
    P: ReadableTable<Bin, Bin>,
{
    pub(crate) fn read(&self, action: StorageAction) -> Result<StorageCompletion, Fault> {
        let op = action.op();
        match action {
            StorageAction::Load {
                room, tail_limit, ..
            } => complete(self.load(&room, tail_limit), |result| {
                StorageCompletion::Loaded { op, result }
            }),
            StorageAction::LoadRange {
                room,
                epoch,
                from,
                max_entries,
                ..
            } => complete(self.range(&room, epoch, from, max_entries), |result| {
                StorageCompletion::Range { op, result }
            }),
            other => Ok(failed(&other, "write action in a read transaction")),
        }
    }

    pub(super) fn meta(&self, room: &RoomId) -> Result<Option<Meta>, Fault> {
        match self.rooms.get(room.as_str().as_bytes())? {
            None => Ok(None),
            Some(v) => codec::decode_meta(v.value()).map(Some).ok_or_else(corrupt),
        }
    }

    pub(super) fn entries_between(
        &self,
        room: &RoomId,
        from: u64,
        to: u64,
        max: usize,
    ) -> Result<Vec<StoredEntry>, Fault> {
        let prefix = codec::prefix(room);
        let (lo, hi) = (codec::numbered(&prefix, from), codec::numbered(&prefix, to));
        let mut out = Vec::new();
        for item in self.entries.range(lo.as_slice()..hi.as_slice())?.take(max) {
            let (k, v) = item?;
            let offset = codec::key_number(k.value()).ok_or_else(corrupt)?;
            out.push(codec::decode_entry(offset, v.value()).ok_or_else(corrupt)?);
        }
        Ok(out)
    }

    fn load(&self, room: &RoomId, tail_limit: usize) -> Result<Option<RoomRecord>, Fault> {
        let Some(meta) = self.meta(room)? else {
            return Ok(None);
        };
        let limit = u64::try_from(tail_limit).unwrap_or(u64::MAX);
        let start = meta.head.saturating_sub(limit).max(meta.first_offset);
        let tail = self.entries_between(room, start, meta.head, tail_limit)?;
        let prefix = codec::prefix(room);
        let (lo, hi) = (
            codec::numbered(&prefix, 0),
            codec::numbered(&prefix, u64::MAX),
        );
        let mut seqs = Vec::new();
        for item in self.seqs.range(lo.as_slice()..=hi.as_slice())? {
            let (k, v) = item?;
            let replica = codec::key_number(k.value()).ok_or_else(corrupt)?;
            seqs.push((ReplicaId(replica), v.value()));
        }
        let snapshot = self.stored_snapshot(room)?;
        Ok(Some(RoomRecord {
            crdt: meta.crdt,
            epoch: meta.epoch,
            head: meta.head,
            first_offset: meta.first_offset,
            snapshot,
            seqs,
            tail,
        }))
    }

    pub(super) fn stored_snapshot(&self, room: &RoomId) -> Result<Option<StoredSnapshot>, Fault> {
        match self.snapshots.get(room.as_str().as_bytes())? {
            None => Ok(None),
            Some(v) => Ok(Some(codec::decode_snapshot(v.value()).ok_or_else(corrupt)?)),
        }
    }

    fn range(
        &self,
        room: &RoomId,
        epoch: u64,
        from: u64,
        max: usize,
    ) -> Result<Vec<StoredEntry>, Fault> {
        let Some(meta) = self.meta(room)? else {
            return refused("no such room");
        };
        if meta.epoch != epoch {
            return refused("epoch mismatch");
        }
        if from < meta.first_offset {
            return Ok(Vec::new());
        }
        self.entries_between(room, from, meta.head, max)
    }
}

pub(crate) type WriteTables<'t> =
    Tables<Table<'t, Bin, Bin>, Table<'t, Bin, Bin>, Table<'t, Bin, u64>, Table<'t, Bin, Bin>>;

impl WriteTables<'_> {
    pub(crate) fn write(
        &mut self,
        action: StorageAction,
        merger: &dyn DeltaMerger,
    ) -> Result<StorageCompletion, Fault> {
        let op = action.op();
        match action {
            StorageAction::Create {
                room, crdt, epoch, ..
            } => complete(self.create(&room, crdt, epoch), |result| {
                StorageCompletion::Created { op, result }
            }),
            StorageAction::Append {
                room,
                epoch,
                entries,
                ..
            } => complete(self.append(&room, epoch, &entries), |result| {
                StorageCompletion::Appended { op, result }
            }),
            StorageAction::Fold {
                room, epoch, to, ..
            } => complete(self.fold(&room, epoch, to, merger), |result| {
                StorageCompletion::Folded { op, result }
            }),
            StorageAction::AppendShared { op, .. } => {
                // One node owns an embedded store: shared-log mode needs a shared one.
                let e = syncwire_proto::hub::StorageError(
                    "shared-log mode needs a shared backend (--redis)".into(),
                );
                Ok(StorageCompletion::AppendedShared { op, result: Err(e) })
            }
            read => self.read(read),
        }
    }

    fn put_meta(&mut self, room: &RoomId, meta: &Meta) -> Result<(), Fault> {
        self.rooms.insert(
            room.as_str().as_bytes(),
            codec::encode_meta(meta).as_slice(),
        )?;
        Ok(())
    }

    fn create(&mut self, room: &RoomId, crdt: String, epoch: u64) -> Result<(), Fault> {
        if self.meta(room)?.is_some_and(|m| m.epoch != epoch) {
            // The contract (shared-log mode): never discard a room another node created.
            return refused("room exists at another epoch");
        }
        let prefix = codec::prefix(room);
        let (lo, hi) = (
            codec::numbered(&prefix, 0),
            codec::numbered(&prefix, u64::MAX),
        );
        self.entries
            .retain_in(lo.as_slice()..=hi.as_slice(), |_, _| false)?;
        self.seqs
            .retain_in(lo.as_slice()..=hi.as_slice(), |_, _| false)?;
        self.snapshots.remove(room.as_str().as_bytes())?;
        let meta = Meta {
            epoch,
            first_offset: 0,
            head: 0,
            crdt,
        };
        self.put_meta(room, &meta)
    }

    fn append(&mut self, room: &RoomId, epoch: u64, entries: &[StoredEntry]) -> Result<(), Fault> {
        let Some(mut meta) = self.meta(room)? else {
            return refused("no such room");
        };
        if meta.epoch != epoch {
            return refused("epoch mismatch");
        }
        let mut expected = meta.head;
        for e in entries {
            if e.offset != expected {
                return refused("append not at head");
            }
            expected = expected.saturating_add(1);
        }
        let prefix = codec::prefix(room);
        for e in entries {
            let key = codec::numbered(&prefix, e.offset);
            self.entries
                .insert(key.as_slice(), codec::encode_entry(e).as_slice())?;
            let seq_key = codec::numbered(&prefix, e.replica.0);
            let stored = self.seqs.get(seq_key.as_slice())?.map(|v| v.value());
            if stored.is_none_or(|s| s < e.seq) {
                self.seqs.insert(seq_key.as_slice(), e.seq)?;
            }
        }
        meta.head = expected;
        self.put_meta(room, &meta)
    }

    /// Folds the snapshot and the entries below `to` into a new snapshot and stores
    /// it; returns the snapshot stored afterwards.
    fn fold(
        &mut self,
        room: &RoomId,
        epoch: u64,
        to: u64,
        merger: &dyn DeltaMerger,
    ) -> Result<Option<StoredSnapshot>, Fault> {
        let input = self.fold_input(room, epoch, to)?;
        match input.fold(merger) {
            Some(folded) => {
                self.snapshot(room, epoch, &folded)?;
                Ok(Some(folded))
            }
            None => Ok(input.base),
        }
    }

    pub(super) fn snapshot(
        &mut self,
        room: &RoomId,
        epoch: u64,
        snap: &StoredSnapshot,
    ) -> Result<(), Fault> {
        let Some(mut meta) = self.meta(room)? else {
            return refused("no such room");
        };
        if meta.epoch != epoch || snap.offset > meta.head {
            return refused("snapshot does not fit the log");
        }
        self.snapshots.insert(
            room.as_str().as_bytes(),
            codec::encode_snapshot(snap).as_slice(),
        )?;
        if snap.offset > meta.first_offset {
            let prefix = codec::prefix(room);
            let (lo, hi) = (
                codec::numbered(&prefix, meta.first_offset),
                codec::numbered(&prefix, snap.offset),
            );
            self.entries
                .retain_in(lo.as_slice()..hi.as_slice(), |_, _| false)?;
            meta.first_offset = snap.offset;
            self.put_meta(room, &meta)?;
        }
        Ok(())
    }
}
