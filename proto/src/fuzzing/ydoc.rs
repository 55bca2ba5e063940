//! Fuzz body for `ydoc` payloads: arbitrary bytes through the hub's check
//! (`Registry::validate`), and every pair of values that passes through decode,
//! merge (both orders, and twice), the hub's `merge_many` and a replica document.
//! Nothing may panic; merging must be commutative and idempotent, and what it
//! produces must pass the check again.

use crate::crdt::{DeltaCrdt, DeltaMerger, Registry, YDoc};
use crate::wire::ReplicaId;

/// Interprets `data` as `[split point, bytes...]`: two candidate Yjs v1 updates.
pub fn ydoc_update(data: &[u8]) {
    let (Some(split), Some(rest)) = (data.first(), data.get(1..)) else {
        return;
    };
    let registry = Registry::with_builtin();
    let (a, b) = rest.split_at(usize::from(*split).min(rest.len()));
    let _ = registry.validate("ydoc", rest);
    let valid_a = registry.validate("ydoc", a).is_ok();
    assert_eq!(
        valid_a,
        YDoc::decode(a).is_ok(),
        "validate and decode disagree"
    );
    if !valid_a || registry.validate("ydoc", b).is_err() {
        return;
    }
    let (x, y) = (
        YDoc::decode(a).expect("valid"),
        YDoc::decode(b).expect("valid"),
    );
    let mut xy = x.clone();
    xy.merge(&y);
    let mut yx = y.clone();
    yx.merge(&x);
    assert_eq!(xy, yx, "merge is not commutative");
    let mut again = xy.clone();
    assert!(!again.merge(&y), "merging twice changed the document");
    let encoded = xy.encode().expect("encodes");
    assert!(
        registry.validate("ydoc", &encoded).is_ok(),
        "a merged document fails the check"
    );
    if let Ok(Some(many)) = registry.merge_many("ydoc", a, &[b]) {
        assert_eq!(
            YDoc::decode(&many).expect("valid"),
            xy,
            "merge_many differs"
        );
    }
    if let Ok(mut doc) = registry.new_document("ydoc", ReplicaId(1)) {
        let _ = doc.apply_remote(a);
        let _ = doc.apply_remote(b);
        let _ = doc.reset_to_snapshot(Some(&encoded));
    }
}
