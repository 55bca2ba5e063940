//! Fuzz body for `ydoc` payloads: arbitrary bytes through the hub's check
//! (`Registry::validate`), and every pair of values that passes through decode,
//! merge (both orders), the hub's `merge_many` and a replica document. Nothing may
//! panic, validation and decoding must agree, and whatever a merge produces must pass
//! the check again.
//!
//! The merge laws are not asserted here: Yjs assumes every (client, clock) is written
//! once, and arbitrary bytes readily forge two different structs under one id (as a
//! malicious writer could), after which the outcome depends on the order. The laws
//! are property-tested on real histories in `crdt/tests/ydoc.rs`.

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
    for (mut first, second) in [(x.clone(), &y), (y.clone(), &x)] {
        first.merge(second);
        let encoded = first.encode().expect("encodes");
        assert!(
            registry.validate("ydoc", &encoded).is_ok(),
            "a merged document fails the check"
        );
    }
    if let Ok(Some(many)) = registry.merge_many("ydoc", a, &[b]) {
        assert!(
            registry.validate("ydoc", &many).is_ok(),
            "a folded snapshot fails the check"
        );
    }
    if let Ok(mut doc) = registry.new_document("ydoc", ReplicaId(1)) {
        let _ = doc.apply_remote(a);
        let _ = doc.apply_remote(b);
        if let Ok(state) = doc.encode_state() {
            let _ = doc.reset_to_snapshot(Some(&state));
        }
    }
}
