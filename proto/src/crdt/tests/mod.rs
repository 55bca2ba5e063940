//! Tests of the CRDT module: property tests of the laws for every type
//! (`laws`), type semantics (`semantics`), the codec (`codec`), the registry
//! and the document (`registry`), input order and cost of the sorted inner
//! collections (`order`).

mod cbor;
mod codec;
mod harness;
mod laws;
mod order;
mod registry;
mod semantics;
#[cfg(feature = "ydoc")]
mod ydoc;
#[cfg(feature = "ydoc")]
mod ydoc_clock;
#[cfg(feature = "ydoc")]
mod ydoc_wire;
