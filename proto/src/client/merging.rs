//! When and how queued deltas are merged: through the configured
//! [`DeltaMerger`], only if the merged value is no larger than its parts and still
//! fits one `ClientDelta` frame.

use bytes::Bytes;

use super::config::DELTA_FRAME_OVERHEAD;
use crate::crdt::DeltaMerger;
use crate::wire::RoomId;

/// The largest payload a `ClientDelta` for `room` of type `crdt` can carry in a
/// frame of `frame_limit` bytes.
pub(super) fn max_payload(frame_limit: usize, room: &RoomId, crdt: &str) -> usize {
    frame_limit
        .saturating_sub(DELTA_FRAME_OVERHEAD)
        .saturating_sub(room.as_str().len())
        .saturating_sub(crdt.len())
}

/// `first` merged with `second` if the merge is allowed and useful.
pub(super) fn try_merge(
    merger: &dyn DeltaMerger,
    tag: &str,
    first: &[u8],
    second: &[u8],
    max_entry: usize,
) -> Option<Bytes> {
    let merged = merger.merge(tag, first, second).ok().flatten()?;
    let parts = first.len().saturating_add(second.len());
    (merged.len() <= max_entry && merged.len() <= parts).then(|| Bytes::from(merged))
}
