//! What the storage tests share: entries, a merger that shows what a fold merged
//! ([`Concat`]), a redb backend in a directory, and a room "f" to fold.

use std::sync::Arc;

use bytes::Bytes;
use syncwire_proto::crdt::{CrdtError, DeltaMerger};
use syncwire_proto::hub::{
    OpId, StorageAction as A, StorageCompletion, StoredEntry, StoredSnapshot,
};
use syncwire_proto::wire::{ReplicaId, RoomId};

use super::Backend;
use super::redb_backend::RedbBackend;

pub(super) fn entry(offset: u64, replica: u64, seq: u64) -> StoredEntry {
    StoredEntry {
        offset,
        replica: ReplicaId(replica),
        seq,
        payload: Bytes::from(format!("p{offset}")),
    }
}

/// Folds by concatenating, so a fold's result shows what it merged, in order.
pub(super) struct Concat;

impl DeltaMerger for Concat {
    fn merge(&self, _: &str, a: &[u8], b: &[u8]) -> Result<Option<Vec<u8>>, CrdtError> {
        Ok(Some([a, b].concat()))
    }
}

/// A redb backend in `dir`, folding with [`Concat`].
pub(super) fn redb(dir: &std::path::Path) -> RedbBackend {
    RedbBackend::open(dir, Arc::new(Concat)).unwrap()
}

/// A room "f" of type "c" with entries `p0..p{n-1}`, created and appended in one batch.
pub(super) fn room_with(backend: &mut dyn Backend, n: u64) -> Vec<StorageCompletion> {
    let room = RoomId::new("f");
    backend.execute_batch(vec![
        A::Create {
            op: OpId(1),
            room: room.clone(),
            crdt: "c".into(),
            epoch: 3,
        },
        A::Append {
            op: OpId(2),
            room,
            epoch: 3,
            entries: (0..n).map(|o| entry(o, 1, o + 1)).collect(),
        },
    ])
}

pub(super) fn fold_to(op: u64, to: u64) -> A {
    A::Fold {
        op: OpId(op),
        room: RoomId::new("f"),
        epoch: 3,
        to,
    }
}

pub(super) fn snapshot_of(backend: &mut dyn Backend) -> Option<StoredSnapshot> {
    let load = A::Load {
        op: OpId(99),
        room: RoomId::new("f"),
        tail_limit: 100,
    };
    match backend.execute_batch(vec![load]).pop() {
        Some(StorageCompletion::Loaded {
            result: Ok(Some(record)),
            ..
        }) => record.snapshot,
        other => panic!("{other:?}"),
    }
}
