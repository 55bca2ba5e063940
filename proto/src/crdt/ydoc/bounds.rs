//! The bounds a Yjs update must keep to ([`MAX_UPDATE_STRUCTS`] and the others), what
//! a scan found ([`UpdateStats`]) and why one was refused ([`UpdateRejection`]). This
//! part owns the limits; the scan that applies them is `scan`.

use thiserror::Error;

/// Most structs (items, GC and skip ranges) in one update or snapshot.
pub const MAX_UPDATE_STRUCTS: usize = 1 << 20;
/// Most clients (writers) named in one update or snapshot, in structs or deletions.
pub const MAX_UPDATE_CLIENTS: usize = 1 << 16;
/// Most deleted ranges in one update's or snapshot's delete set.
pub const MAX_DELETE_RANGES: usize = 1 << 20;
/// Most nested type items (arrays, maps, texts, XML nodes) in one update or snapshot.
pub const MAX_TYPE_ITEMS: usize = 1 << 16;
/// Deepest nesting of `Any` arrays and maps inside one value.
pub const MAX_ANY_DEPTH: usize = 64;
/// Largest Yjs client id: 53 bits, what a JavaScript number holds exactly.
pub const MAX_CLIENT_ID: u64 = (1 << 53) - 1;
/// Largest clock: no struct or deleted range may end past it (clock plus length) and
/// no id may name a clock past it. yrs 0.28.1 computes a struct's distance to the
/// document's clock as `local as i32 - clock as i32` (`Update::integrate`); from
/// 2^31 on, that difference has the wrong sign, no skip is put before a struct
/// landing past the document's clock, and `BlockStore::push`, taking it for the
/// filling of a skip, unwraps a `find_index` of `None` (or underflows in
/// `ClientBlockList::find_index`). Honest writers stay far below: a clock counts
/// the elements one client id ever inserted (2^31 UTF-16 units is 4 GiB of text).
pub const MAX_CLOCK: u32 = (1 << 31) - 1;

/// Why a Yjs update was refused before decoding.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum UpdateRejection {
    /// The bytes end inside a value.
    #[error("update truncated")]
    Truncated,
    /// Bytes follow the delete set.
    #[error("trailing bytes after the delete set")]
    TrailingBytes,
    /// A variable-length integer is longer than 10 bytes or out of its field's range.
    #[error("integer out of range")]
    BadInteger,
    /// A client id does not fit [`MAX_CLIENT_ID`].
    #[error("client id beyond 53 bits")]
    BadClientId,
    /// A clock, or a clock plus a length, is past [`MAX_CLOCK`].
    #[error("clock beyond 2^31 - 1")]
    ClockOverflow,
    /// A GC or skip range, or a deleted range, of length 0.
    #[error("empty range")]
    EmptyRange,
    /// One client has two struct sections. Yjs and yrs write each client once; yrs's
    /// decoder appends the second section to the first, giving one client overlapping
    /// structs, which yrs 0.28.1 mishandles on integration (an overflow, or a block of
    /// the store replaced while still linked; docs/CRDTS.md, known limits).
    #[error("client listed twice")]
    DuplicateClient,
    /// A string is not UTF-8.
    #[error("string is not UTF-8")]
    BadUtf8,
    /// A content, type or `Any` kind this type does not accept.
    #[error("unsupported content kind {0}")]
    Unsupported(u8),
    /// A count or nesting is over one of the bounds of this module.
    #[error("{what}: more than {max}")]
    Bound {
        /// Which bound.
        what: &'static str,
        /// The bound.
        max: usize,
    },
}

/// What a scanned update holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UpdateStats {
    /// Structs (items, GC and skip ranges).
    pub structs: usize,
    /// Deleted ranges.
    pub delete_ranges: usize,
    /// Nested type items.
    pub type_items: usize,
    /// Items whose parent is given by an id (a nested type's first item): the only
    /// structs yrs can refuse to integrate (a parent that is not a type).
    pub parent_ids: usize,
}
