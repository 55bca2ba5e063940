//! Delta-state CRDTs, the type registry and the replica-side document.
//!
//! * [`DeltaCrdt`]: the one trait (local operation → delta; merge; encode /
//!   decode; wire tag). Built-in types: [`GCounter`], [`PnCounter`],
//!   [`LwwRegister`], [`MvRegister`], [`OrSet`], [`OrMap`] (nested values) and
//!   [`AnyCrdt`] (a run-time typed value); with the feature `ydoc`, `YDoc` (a
//!   Yjs document on yrs, module `ydoc`).
//! * [`Document`] / [`DynDocument`]: one room's state on a replica.
//! * [`Registry`]: types by tag, implementing [`DeltaMerger`] for the hub and
//!   the client outbox; applications register their own types.
//! * [`codec`]: bounded CBOR encoding shared by all types.
//!
//! docs/CRDTS.md lists the types, operations, wire tags and size behaviour.

mod any;
mod causal;
mod cbor;
pub mod codec;
mod document;
mod error;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzz;
mod gcounter;
mod lww;
mod map;
mod merge;
mod mvreg;
mod orset;
mod pncounter;
mod registry;
mod traits;
mod value;
mod value_map;
#[cfg(feature = "ydoc")]
pub mod ydoc;

pub use any::{AnyCrdt, AnyOp};
pub use causal::{CausalContext, Dot};
pub use codec::{MAX_ENCODED_BYTES, MAX_NESTING};
pub use document::{DEFAULT_MAX_DELTA_BYTES, Document, DynDocument};
pub use error::CrdtError;
pub use gcounter::{GCounter, GCounterOp};
pub use lww::{LwwOp, LwwRegister};
pub use map::{MAX_MAP_DEPTH, MapOp, OrMap};
pub use merge::{DeltaMerger, NoMerge};
pub use mvreg::{MvOp, MvRegister};
pub use orset::{OrSet, OrSetOp};
pub use pncounter::{PnCounter, PnCounterOp};
pub use registry::{MAX_REGISTERED_TYPES, Registry};
pub use traits::{CrdtValue, DeltaCrdt, OpContext, join_all};
pub use value::{Value, ValueMap};
#[cfg(feature = "ydoc")]
pub use ydoc::{YDoc, YOp, YTransaction};

#[cfg(test)]
mod tests;
