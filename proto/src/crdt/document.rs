//! [`Document`]: the replica-side state of one room, as a driver exposes it to
//! the application, and [`DynDocument`], its type-erased form.
//!
//! The application changes the document with [`Document::apply_local`], which
//! returns the encoded delta for the session to send (`ClientDelta` payload).
//! The session feeds remote deltas ([`Document::apply_remote`]) and snapshots
//! ([`Document::reset_to_snapshot`]). Every change bumps [`Document::version`]
//! and raises a flag read by [`Document::take_changed`], so a UI re-renders
//! once per batch of changes.
//!
//! After a snapshot reset the session should re-apply its unacknowledged local
//! deltas with `apply_remote` (the snapshot may predate them); merging is
//! idempotent, so re-applying ones the snapshot already has is harmless.

use core::any::Any;
use core::fmt::Debug;

use super::codec::MAX_ENCODED_BYTES;
use super::{CrdtError, DeltaCrdt, OpContext};
use crate::time::WallClockMillis;
use crate::wire::{DEFAULT_MAX_FRAME_BYTES, ReplicaId};

/// Default largest encoded local delta: the default frame limit minus room for
/// the frame header (room id, tag, ids).
pub const DEFAULT_MAX_DELTA_BYTES: usize = DEFAULT_MAX_FRAME_BYTES - 1024;

/// One replica's copy of a room's CRDT state.
#[derive(Clone, Debug)]
pub struct Document<C: DeltaCrdt> {
    state: C,
    replica: ReplicaId,
    version: u64,
    changed: bool,
    max_delta_bytes: usize,
}

impl<C: DeltaCrdt> Document<C> {
    /// An empty document edited by `replica`.
    pub fn new(replica: ReplicaId) -> Self {
        Document {
            state: C::default(),
            replica,
            version: 0,
            changed: false,
            max_delta_bytes: DEFAULT_MAX_DELTA_BYTES,
        }
    }

    /// Sets the largest encoded local delta [`apply_local`](Self::apply_local)
    /// accepts (match it to the hub's announced frame limit).
    pub fn set_max_delta_bytes(&mut self, max: usize) {
        self.max_delta_bytes = max.min(MAX_ENCODED_BYTES);
    }

    /// The replica editing this document.
    pub fn replica(&self) -> ReplicaId {
        self.replica
    }

    /// The current state.
    pub fn state(&self) -> &C {
        &self.state
    }

    /// Counts changes: bumped by every local or remote change and reset.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Whether the state changed since the last call (then clears the flag).
    pub fn take_changed(&mut self) -> bool {
        core::mem::take(&mut self.changed)
    }

    fn note(&mut self, changed: bool) {
        if changed {
            self.version = self.version.wrapping_add(1);
            self.changed = true;
        }
    }

    /// Applies a local operation at wall-clock time `now` and returns the
    /// encoded delta to send. On error (the operation does not fit, the delta
    /// would exceed the size limit or nesting limits) nothing changes.
    pub fn apply_local(&mut self, op: C::Op, now: WallClockMillis) -> Result<Vec<u8>, CrdtError> {
        let (delta, bytes) = self.prepare_checked(op, now)?;
        let changed = self.state.merge(&delta);
        self.note(changed);
        Ok(bytes)
    }

    /// The encoded delta of a local operation at wall-clock time `now`, checked
    /// like [`apply_local`](Self::apply_local) checks it, without changing the
    /// document: a caller that must first hand the delta to the session commits
    /// it afterwards with [`apply_remote`](Self::apply_remote) (the replica layer
    /// does so, so that a delta the session refuses changes nothing).
    pub fn prepare_local(&self, op: C::Op, now: WallClockMillis) -> Result<Vec<u8>, CrdtError> {
        self.prepare_checked(op, now).map(|(_, bytes)| bytes)
    }

    /// The delta of a local operation and its encoding, checked like
    /// [`prepare_local`](Self::prepare_local); merge it with
    /// [`commit_delta`](Self::commit_delta) once the session took it.
    pub(crate) fn prepare_delta(
        &self,
        op: C::Op,
        now: WallClockMillis,
    ) -> Result<(C, Vec<u8>), CrdtError> {
        self.prepare_checked(op, now)
    }

    /// Merges a delta prepared by [`prepare_delta`](Self::prepare_delta); returns
    /// whether the state changed.
    pub(crate) fn commit_delta(&mut self, delta: &C) -> bool {
        let changed = self.state.merge(delta);
        self.note(changed);
        changed
    }

    fn prepare_checked(&self, op: C::Op, now: WallClockMillis) -> Result<(C, Vec<u8>), CrdtError> {
        let ctx = OpContext::new(self.replica, now);
        let delta = self.state.prepare(op, &ctx)?;
        let bytes = delta.encode()?;
        C::check_encoded(&bytes, self.max_delta_bytes)?;
        Ok((delta, bytes))
    }

    /// Merges an encoded remote delta (or state); returns whether the state
    /// changed. A delta that does not decode is an error and changes nothing.
    pub fn apply_remote(&mut self, delta: &[u8]) -> Result<bool, CrdtError> {
        let changed = self.state.merge_encoded(delta)?;
        self.note(changed);
        Ok(changed)
    }

    /// Replaces the state with a snapshot (`None`: the empty state).
    pub fn reset_to_snapshot(&mut self, snapshot: Option<&[u8]>) -> Result<(), CrdtError> {
        let state = match snapshot {
            Some(bytes) => C::decode(bytes)?,
            None => C::default(),
        };
        let changed = state != self.state;
        self.state = state;
        self.note(changed);
        Ok(())
    }

    /// The encoded state (for persistence or a snapshot).
    pub fn encode_state(&self) -> Result<Vec<u8>, CrdtError> {
        self.state.encode()
    }
}

/// A [`Document`] with its CRDT type erased, for drivers that hold rooms of
/// different types. Downcast with `downcast_mut` (on `dyn DynDocument`)
/// to apply typed local operations.
///
/// `dyn DynDocument` is `Debug` (its tag, version and changed flag, not its state:
/// the state's `Debug` through the trait object's vtable would keep every
/// registered type's formatting code, floats included, in a browser bundle that
/// never prints a document).
pub trait DynDocument: Send + Sync {
    /// The wire tag of the document's CRDT type.
    fn tag(&self) -> &'static str;
    /// See [`Document::apply_remote`].
    fn apply_remote(&mut self, delta: &[u8]) -> Result<bool, CrdtError>;
    /// See [`Document::reset_to_snapshot`].
    fn reset_to_snapshot(&mut self, snapshot: Option<&[u8]>) -> Result<(), CrdtError>;
    /// See [`Document::encode_state`].
    fn encode_state(&self) -> Result<Vec<u8>, CrdtError>;
    /// See [`Document::version`].
    fn version(&self) -> u64;
    /// See [`Document::take_changed`].
    fn take_changed(&mut self) -> bool;
    /// For downcasting.
    fn as_any(&self) -> &dyn Any;
    /// For downcasting.
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<C: DeltaCrdt> DynDocument for Document<C> {
    fn tag(&self) -> &'static str {
        C::TAG
    }
    fn apply_remote(&mut self, delta: &[u8]) -> Result<bool, CrdtError> {
        Document::apply_remote(self, delta)
    }
    fn reset_to_snapshot(&mut self, snapshot: Option<&[u8]>) -> Result<(), CrdtError> {
        Document::reset_to_snapshot(self, snapshot)
    }
    fn encode_state(&self) -> Result<Vec<u8>, CrdtError> {
        Document::encode_state(self)
    }
    fn version(&self) -> u64 {
        Document::version(self)
    }
    fn take_changed(&mut self) -> bool {
        Document::take_changed(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

impl Debug for dyn DynDocument {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DynDocument")
            .field("tag", &self.tag())
            .field("version", &self.version())
            .finish_non_exhaustive()
    }
}

impl dyn DynDocument {
    /// The typed document, if its CRDT type is `C`.
    pub fn downcast_ref<C: DeltaCrdt>(&self) -> Option<&Document<C>> {
        self.as_any().downcast_ref()
    }

    /// The typed document, if its CRDT type is `C`.
    pub fn downcast_mut<C: DeltaCrdt>(&mut self) -> Option<&mut Document<C>> {
        self.as_any_mut().downcast_mut()
    }
}
