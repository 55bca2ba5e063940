//! Merging encoded deltas by type tag, without knowing the concrete types.
//!
//! The client outbox merges queued deltas of one room so that it stays small while
//! offline; the hub folds a log prefix into a snapshot and checks incoming delta
//! payloads. Both only hold encoded bytes and a type tag, so they merge and validate
//! through this trait.

use super::CrdtError;

/// Merges encoded deltas (or states) of a CRDT type named by its wire tag.
pub trait DeltaMerger: Send + Sync {
    /// Returns one encoded value equivalent to merging `first` and then `second`,
    /// `Ok(None)` if this merger does not know `tag` (the caller then keeps both),
    /// or an error if either value does not decode.
    fn merge(&self, tag: &str, first: &[u8], second: &[u8]) -> Result<Option<Vec<u8>>, CrdtError>;

    /// Returns one encoded value equivalent to merging `base` and then each of
    /// `deltas` in order; `Ok(None)` as for [`DeltaMerger::merge`] (unknown tag, or
    /// a result the merger will not produce). The hub folds a log prefix into its
    /// snapshot through this: a merger that decodes `base` once and encodes the
    /// result once makes a fold cost O(state + deltas) instead of O(state × deltas).
    /// The default merges pairwise.
    fn merge_many(
        &self,
        tag: &str,
        base: &[u8],
        deltas: &[&[u8]],
    ) -> Result<Option<Vec<u8>>, CrdtError> {
        let mut acc = base.to_vec();
        for d in deltas {
            match self.merge(tag, &acc, d)? {
                Some(next) => acc = next,
                None => return Ok(None),
            }
        }
        Ok(Some(acc))
    }

    /// Checks that `payload` decodes as a delta (or state) of type `tag`. The hub
    /// refuses to log a delta that fails this check, so no replica ever receives an
    /// undecodable payload. Tags this merger does not know pass; so does everything
    /// by default.
    fn validate(&self, tag: &str, payload: &[u8]) -> Result<(), CrdtError> {
        let _ = (tag, payload);
        Ok(())
    }

    /// Whether the hub may hold rooms of type `tag`: a join naming a type this
    /// returns `false` for is rejected `CRDT_MISMATCH`, so no room holds payloads
    /// nobody checks. A [`Registry`](super::Registry) accepts exactly its registered
    /// types; the default accepts every tag (a merger that checks nothing, such as
    /// [`NoMerge`], lets any type through).
    fn accepts_type(&self, tag: &str) -> bool {
        let _ = tag;
        true
    }
}

/// A merger that knows no type: deltas are kept one by one.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoMerge;

impl DeltaMerger for NoMerge {
    fn merge(
        &self,
        _tag: &str,
        _first: &[u8],
        _second: &[u8],
    ) -> Result<Option<Vec<u8>>, CrdtError> {
        Ok(None)
    }
}
