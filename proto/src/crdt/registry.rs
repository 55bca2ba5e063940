//! [`Registry`]: CRDT types by wire tag, for code that only holds encoded bytes.
//!
//! The hub merges deltas of known types to compact a room's log into a snapshot
//! (and needs [`Registry::empty_state`] for a room with no history); the client
//! outbox merges queued deltas; drivers create [`DynDocument`]s by tag.
//! Applications plug in their own types (for example a text CRDT wrapping a
//! well-kept library) by implementing [`DeltaCrdt`] and calling
//! [`Registry::register`]; proto does not change.

use std::marker::PhantomData;
use std::sync::Arc;

use super::codec::MAX_ENCODED_BYTES;
use super::{
    AnyCrdt, CrdtError, DeltaCrdt, DeltaMerger, Document, DynDocument, GCounter, LwwRegister,
    MvRegister, OrMap, OrSet, PnCounter, Value,
};
use crate::vecmap::VecMap;
use crate::wire::{MAX_CRDT_TAG_LEN, ReplicaId};

/// Most types one registry holds.
pub const MAX_REGISTERED_TYPES: usize = 64;

/// Byte-level operations on one registered CRDT type.
///
/// `merge_many` (the hub's fold) is not built for `wasm32`: no hub runs in the
/// browser (driver-core's server is native only), and a trait object keeps every
/// method of every registered type, so the browser bundle would carry seven folds
/// it never calls. There [`DeltaMerger::merge_many`] of a [`Registry`] is the
/// trait's default, which merges pairwise through `merge`: the same merged value
/// (`None` also when an intermediate merge would exceed `MAX_ENCODED_BYTES`), in
/// O(state × deltas) (driver-wasm/README.md, "Bundle size").
trait ErasedType: Send + Sync {
    fn merge(&self, first: &[u8], second: &[u8]) -> Result<Option<Vec<u8>>, CrdtError>;
    #[cfg(not(target_arch = "wasm32"))]
    fn merge_many(&self, base: &[u8], deltas: &[&[u8]]) -> Result<Option<Vec<u8>>, CrdtError>;
    fn empty_state(&self) -> Result<Vec<u8>, CrdtError>;
    fn validate(&self, bytes: &[u8]) -> Result<(), CrdtError>;
    fn new_document(&self, replica: ReplicaId) -> Box<dyn DynDocument>;
}

struct Typed<C>(PhantomData<fn() -> C>);

impl<C: DeltaCrdt> ErasedType for Typed<C> {
    fn merge(&self, first: &[u8], second: &[u8]) -> Result<Option<Vec<u8>>, CrdtError> {
        let mut a = C::decode(first)?;
        let b = C::decode(second)?;
        a.merge(&b);
        let bytes = a.encode()?;
        Ok((bytes.len() <= MAX_ENCODED_BYTES).then_some(bytes))
    }
    #[cfg(not(target_arch = "wasm32"))]
    fn merge_many(&self, base: &[u8], deltas: &[&[u8]]) -> Result<Option<Vec<u8>>, CrdtError> {
        let bytes = C::merge_many_encoded(base, deltas)?;
        Ok((bytes.len() <= MAX_ENCODED_BYTES).then_some(bytes))
    }
    fn empty_state(&self) -> Result<Vec<u8>, CrdtError> {
        C::default().encode()
    }
    fn validate(&self, bytes: &[u8]) -> Result<(), CrdtError> {
        C::validate(bytes)
    }
    fn new_document(&self, replica: ReplicaId) -> Box<dyn DynDocument> {
        Box::new(Document::<C>::new(replica))
    }
}

/// CRDT types by wire tag; cheap to clone (types are shared).
#[derive(Clone, Default)]
pub struct Registry {
    /// By tag, in order (a sorted vector: at most 64 types).
    types: VecMap<String, Arc<dyn ErasedType>>,
}

impl core::fmt::Debug for Registry {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_set().entries(self.types.keys()).finish()
    }
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Registry::default()
    }

    /// A registry with the built-in types: `gcounter`, `pncounter`, `lww`,
    /// `mvreg`, `orset` (registers and sets of [`Value`]), `map` and `any`, and
    /// `ydoc` when the crate's feature `ydoc` is on.
    pub fn with_builtin() -> Self {
        let mut r = Registry::new();
        // Built-in tags are distinct, valid and fewer than the maximum.
        let _ = r.register::<GCounter>();
        let _ = r.register::<PnCounter>();
        let _ = r.register::<LwwRegister<Value>>();
        let _ = r.register::<MvRegister<Value>>();
        let _ = r.register::<OrSet<Value>>();
        let _ = r.register::<OrMap>();
        let _ = r.register::<AnyCrdt>();
        #[cfg(feature = "ydoc")]
        let _ = r.register::<super::YDoc>();
        r
    }

    /// Registers type `C` under [`DeltaCrdt::TAG`]. Fails if the tag is empty,
    /// longer than the wire allows, already taken, or the registry is full.
    pub fn register<C: DeltaCrdt>(&mut self) -> Result<(), CrdtError> {
        let tag = C::TAG;
        let refuse = |reason| CrdtError::InvalidRegistration {
            tag: tag.to_owned(),
            reason,
        };
        if tag.is_empty() || tag.len() > MAX_CRDT_TAG_LEN {
            return Err(refuse("tag must be 1 to 64 bytes"));
        }
        if self.types.contains_key(tag) {
            return Err(CrdtError::DuplicateType(tag.to_owned()));
        }
        if self.types.len() >= MAX_REGISTERED_TYPES {
            return Err(refuse("registry is full"));
        }
        self.types
            .insert(tag.to_owned(), Arc::new(Typed::<C>(PhantomData)));
        Ok(())
    }

    /// Whether `tag` is registered.
    pub fn contains(&self, tag: &str) -> bool {
        self.types.contains_key(tag)
    }

    /// The registered tags, in order.
    pub fn tags(&self) -> impl Iterator<Item = &str> {
        self.types.keys().map(String::as_str)
    }

    fn get(&self, tag: &str) -> Result<&dyn ErasedType, CrdtError> {
        self.types
            .get(tag)
            .map(|t| &**t)
            .ok_or_else(|| CrdtError::UnknownType(tag.to_owned()))
    }

    /// The encoded empty state of `tag`.
    pub fn empty_state(&self, tag: &str) -> Result<Vec<u8>, CrdtError> {
        self.get(tag)?.empty_state()
    }

    /// Checks that `bytes` decode as a state or delta of `tag`.
    pub fn validate(&self, tag: &str, bytes: &[u8]) -> Result<(), CrdtError> {
        self.get(tag)?.validate(bytes)
    }

    /// A new empty document of type `tag` edited by `replica`.
    pub fn new_document(
        &self,
        tag: &str,
        replica: ReplicaId,
    ) -> Result<Box<dyn DynDocument>, CrdtError> {
        Ok(self.get(tag)?.new_document(replica))
    }
}

impl DeltaMerger for Registry {
    /// Decodes both values as type `tag`, merges and re-encodes them.
    /// `Ok(None)` for unknown tags and when the merged value would exceed
    /// [`MAX_ENCODED_BYTES`] (the caller keeps both).
    fn merge(&self, tag: &str, first: &[u8], second: &[u8]) -> Result<Option<Vec<u8>>, CrdtError> {
        match self.types.get(tag) {
            Some(t) => t.merge(first, second),
            None => Ok(None),
        }
    }

    /// Decodes `base` once, joins the deltas with each other (in pairs), merges the
    /// result into `base` and encodes once: O(state + deltas × log deltas), where
    /// merging each delta into the state in turn would walk an OR-set's or a map's
    /// whole state once per delta. (On `wasm32`, where no hub runs, the trait's
    /// pairwise default: see `ErasedType`.)
    #[cfg(not(target_arch = "wasm32"))]
    fn merge_many(
        &self,
        tag: &str,
        base: &[u8],
        deltas: &[&[u8]],
    ) -> Result<Option<Vec<u8>>, CrdtError> {
        match self.types.get(tag) {
            Some(t) => t.merge_many(base, deltas),
            None => Ok(None),
        }
    }

    /// Decodes `payload` as type `tag` ([`Registry::validate`]); unknown tags pass
    /// (the hub never holds a room of an unknown type: see `accepts_type`).
    fn validate(&self, tag: &str, payload: &[u8]) -> Result<(), CrdtError> {
        match self.types.get(tag) {
            Some(t) => t.validate(payload),
            None => Ok(()),
        }
    }

    /// Only registered types: a hub configured with a registry refuses joins of
    /// any other type.
    fn accepts_type(&self, tag: &str) -> bool {
        self.contains(tag)
    }
}
