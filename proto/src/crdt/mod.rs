//! Delta-state CRDTs (issue #5; in progress).
//!
//! This module currently holds the interface the client outbox and the hub's
//! compaction use to merge encoded deltas: [`DeltaMerger`].

mod error;
mod merge;

pub use error::CrdtError;
pub use merge::{DeltaMerger, NoMerge};
