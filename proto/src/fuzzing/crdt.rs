//! Fuzz body for the CRDT decoders and merges: runs
//! [`crdt::fuzz::decode_and_merge`](crate::crdt::fuzz::decode_and_merge) and then
//! checks the merge laws on the same input: a merge of two valid values is valid,
//! merging is idempotent and commutative on the resulting document state, and
//! applying the merged value equals applying both halves in turn.

use crate::crdt::{DeltaMerger, Registry};
use crate::wire::ReplicaId;

/// Decodes and merges `data` as two values of a built-in CRDT type.
pub fn crdt_merge(data: &[u8]) {
    crate::crdt::fuzz::decode_and_merge(data);
    let registry = Registry::with_builtin();
    // `ydoc` has a body of its own (`ydoc_update`); leaving it out keeps the seeds'
    // type selection as it was.
    let tags: Vec<&str> = registry.tags().filter(|t| *t != "ydoc").collect();
    let (Some(sel), Some(split), Some(rest)) = (data.first(), data.get(1), data.get(2..)) else {
        return;
    };
    let Some(tag) = tags.get(usize::from(*sel) % tags.len().max(1)).copied() else {
        return;
    };
    let (a, b) = rest.split_at(usize::from(*split).min(rest.len()));
    if registry.validate(tag, a).is_err() || registry.validate(tag, b).is_err() {
        return;
    }
    let Ok(Some(ab)) = registry.merge(tag, a, b) else {
        return; // too large to merge: the caller keeps both
    };
    assert!(
        registry.validate(tag, &ab).is_ok(),
        "{tag}: merge of valid values is invalid"
    );
    let state = |parts: &[&[u8]]| {
        let mut doc = registry
            .new_document(tag, ReplicaId(1))
            .expect("built-in tag");
        for p in parts {
            doc.apply_remote(p).expect("validated value applies");
        }
        doc.encode_state().expect("state encodes")
    };
    let merged = state(&[&ab]);
    assert_eq!(
        merged,
        state(&[a, b]),
        "{tag}: merge(a,b) != apply a then b"
    );
    assert_eq!(merged, state(&[b, a]), "{tag}: merge is not commutative");
    assert_eq!(merged, state(&[&ab, &ab]), "{tag}: merge is not idempotent");
}
