//! The in-memory backend follows the storage contract: contiguous appends in the
//! room's epoch, snapshots that let it drop the folded prefix, a seq table on load,
//! and completions held back until released.

use std::sync::Arc;

use super::harness::{SumMerger, sum};
use crate::hub::*;
use crate::wire::{ReplicaId, RoomId};

fn entry(offset: u64, replica: u64, seq: u64) -> StoredEntry {
    StoredEntry {
        offset,
        replica: ReplicaId(replica),
        seq,
        payload: sum(offset + 1),
    }
}

fn append(s: &mut MemoryStorage, epoch: u64, entries: Vec<StoredEntry>) -> bool {
    let room = RoomId::new("r");
    let done = s.execute(StorageAction::Append {
        op: OpId(1),
        room,
        epoch,
        entries,
    });
    matches!(done, StorageCompletion::Appended { result: Ok(()), .. })
}

#[test]
fn memory_storage_keeps_the_contract() {
    let room = RoomId::new("r");
    let mut s = MemoryStorage::new();
    s.set_merger(Arc::new(SumMerger));
    assert!(!append(&mut s, 5, vec![entry(0, 1, 1)]), "no room yet");
    s.execute(StorageAction::Create {
        op: OpId(0),
        room: room.clone(),
        crdt: "sum".into(),
        epoch: 5,
    });
    assert!(append(&mut s, 5, vec![entry(0, 1, 1), entry(1, 2, 1)]));
    assert!(!append(&mut s, 5, vec![entry(3, 1, 2)]), "not at head");
    assert!(!append(&mut s, 6, vec![entry(2, 1, 2)]), "wrong epoch");
    assert!(append(&mut s, 5, vec![entry(2, 1, 4)]));
    let fold = |s: &mut MemoryStorage, epoch, to| {
        s.execute(StorageAction::Fold {
            op: OpId(2),
            room: room.clone(),
            epoch,
            to,
        })
    };
    let StorageCompletion::Folded { result, .. } = fold(&mut s, 6, 2) else {
        panic!("a fold answers Folded")
    };
    assert!(result.is_err(), "wrong epoch");
    assert_eq!(s.entry_count(&room), 3);
    let snapshot = StoredSnapshot {
        offset: 2,
        state: sum(1 + 2),
        seqs: vec![(ReplicaId(1), 1), (ReplicaId(2), 1)],
    };
    let done = fold(&mut s, 5, 2);
    assert_eq!(
        done,
        StorageCompletion::Folded {
            op: OpId(2),
            result: Ok(Some(snapshot.clone()))
        },
        "entries 0 and 1 merged"
    );
    assert_eq!(s.snapshot(&room), Some(&snapshot));
    assert_eq!(s.entry_count(&room), 1, "the folded prefix is dropped");
    let again = fold(&mut s, 5, 2);
    assert!(
        matches!(&again, StorageCompletion::Folded { result: Ok(Some(x)), .. } if *x == snapshot),
        "nothing more to fold: the snapshot is unchanged"
    );
    let done = s.execute(StorageAction::Load {
        op: OpId(3),
        room: room.clone(),
        tail_limit: 10,
    });
    let StorageCompletion::Loaded {
        result: Ok(Some(rec)),
        ..
    } = done
    else {
        panic!("{done:?}")
    };
    assert_eq!(
        (rec.epoch, rec.head, rec.first_offset, rec.tail.len()),
        (5, 3, 2, 1)
    );
    assert_eq!(rec.seqs, vec![(ReplicaId(1), 4), (ReplicaId(2), 1)]);
    let done = s.execute(StorageAction::LoadRange {
        op: OpId(4),
        room: room.clone(),
        epoch: 5,
        from: 0,
        max_entries: 9,
    });
    assert!(
        matches!(done, StorageCompletion::Range { result: Ok(v), .. } if v.is_empty()),
        "gone"
    );

    s.submit(StorageAction::Load {
        op: OpId(5),
        room,
        tail_limit: 1,
    });
    assert_eq!(s.pending(), 1);
    assert_eq!(s.lose_pending(), 1);
    assert!(s.release_next().is_none());
}
