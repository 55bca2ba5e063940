//! The `ydoc` payload check ([`validate_update`]): the bounded scan, yrs's decoder,
//! and — for an update yrs could refuse — integration into an empty document, so the
//! hub accepts exactly the updates a replica can load.

use yrs::Update;
use yrs::updates::decoder::Decode;

use super::bounds::UpdateStats;
use super::{TAG, YDoc, scan};
use crate::crdt::CrdtError;
use crate::crdt::codec::MAX_ENCODED_BYTES;

/// Checks that `bytes` are one Yjs v1 update within the bounds of this type (size,
/// structs, clients, delete ranges, type items, `Any` nesting, 53-bit client ids, clocks
/// within [`MAX_CLOCK`]) that yrs decodes and integrates into an empty document; what
/// it holds. Exactly the updates [`YDoc::decode`] loads pass: an update whose item
/// names another of its structs that is not a type as its parent decodes, but yrs
/// refuses to integrate it (`InvalidParent`), so no replica could load it. Only
/// updates with an item whose parent is given by id are integrated (the others
/// cannot be refused): a keystroke's update costs the scan and the decode alone.
pub fn validate_update(bytes: &[u8]) -> Result<UpdateStats, CrdtError> {
    let (stats, update) = checked_update(bytes)?;
    // yrs refuses only an item whose parent, given by id, is not a type: without
    // such items (a keystroke in a root text) integration cannot fail, and is skipped.
    if stats.parent_ids > 0 {
        YDoc::default().integrate(update)?;
    }
    Ok(stats)
}

/// [`validate_update`], returning the decoded update too.
pub(super) fn checked_update(bytes: &[u8]) -> Result<(UpdateStats, Update), CrdtError> {
    if bytes.len() > MAX_ENCODED_BYTES {
        return Err(CrdtError::TooLarge {
            size: bytes.len(),
            max: MAX_ENCODED_BYTES,
        });
    }
    let stats = scan::scan_update(bytes).map_err(|r| CrdtError::Rejected {
        tag: TAG,
        reason: r.to_string(),
    })?;
    Ok((stats, decode_update(bytes)?))
}

pub(super) fn decode_update(bytes: &[u8]) -> Result<Update, CrdtError> {
    Update::decode_v1(bytes).map_err(|e| CrdtError::decode(TAG, e.to_string()))
}
