//! When and how queued deltas are merged: through the configured
//! [`DeltaMerger`], only if the merged value is no larger than its parts and still
//! fits one `ClientDelta` frame and the hub's announced payload limit.

use bytes::Bytes;

use super::config::DELTA_FRAME_OVERHEAD;
use crate::crdt::DeltaMerger;
use crate::wire::RoomId;

/// The size bounds a payload the client sends must meet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct SizeBounds {
    /// The largest frame the client may build (its own limit and the hub's).
    pub(super) frame: usize,
    /// The hub's announced limit for this kind of payload (`max_payload_bytes` for
    /// deltas, `max_presence_bytes` for presence, PROTOCOL.md §7), or
    /// `usize::MAX` before any `Welcome`.
    pub(super) payload: usize,
}

impl SizeBounds {
    /// Bounded by the frame only (no hub limit known).
    #[cfg(test)]
    pub(super) fn frame(frame: usize) -> SizeBounds {
        SizeBounds {
            frame,
            payload: usize::MAX,
        }
    }
}

/// The largest payload a `ClientDelta` (or, with `crdt` empty, a `SetPresence`) for
/// `room` of type `crdt` can carry within `bounds`.
pub(super) fn max_payload(bounds: SizeBounds, room: &RoomId, crdt: &str) -> usize {
    bounds
        .frame
        .saturating_sub(DELTA_FRAME_OVERHEAD)
        .saturating_sub(room.as_str().len())
        .saturating_sub(crdt.len())
        .min(bounds.payload)
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
