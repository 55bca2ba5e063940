//! Fuzz body for the CRDT layer (feature `fuzzing`; the cargo-fuzz target is a
//! shim calling [`decode_and_merge`]).

use super::{DeltaMerger, Registry};
use crate::wire::ReplicaId;

/// Interprets `data` as `[tag selector, split point, bytes...]`: decodes both
/// halves as the selected built-in type, merges them through the registry, and
/// applies them to a document. Must never panic.
pub fn decode_and_merge(data: &[u8]) {
    let registry = Registry::with_builtin();
    let tags: Vec<&str> = registry.tags().filter(|t| *t != "ydoc").collect();
    let (Some(sel), Some(split), Some(rest)) = (data.first(), data.get(1), data.get(2..)) else {
        return;
    };
    let Some(tag) = tags.get(usize::from(*sel) % tags.len().max(1)) else {
        return;
    };
    let (first, second) = rest.split_at(usize::from(*split).min(rest.len()));
    let _ = registry.validate(tag, first);
    if let Ok(Some(merged)) = registry.merge(tag, first, second) {
        if let Ok(mut doc) = registry.new_document(tag, ReplicaId(1)) {
            let _ = doc.reset_to_snapshot(Some(&merged));
            let _ = doc.apply_remote(first);
            let _ = doc.encode_state();
        }
    }
}
