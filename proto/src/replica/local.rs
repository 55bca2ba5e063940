//! The one path of a local operation, typed ([`Replica::apply`]) or not
//! ([`Replica::apply_any`]): prepared against the room's current document and
//! checked like [`Document::apply_local`](crate::crdt::Document::apply_local)
//! checks it (size, nesting), submitted to the client, and only then merged into
//! the document, so an operation the client refuses changes nothing. While the
//! room's gate is closed the operation waits ([`gate`](super::gate)). This part
//! owns no data of its own.

use bytes::Bytes;

use crate::client::ClientError;
use crate::crdt::{DeltaCrdt, DynDocument};
use crate::time::Instant;
use crate::wire::RoomId;

use super::gate::{LocalOp, Prepare, Prepared};
use super::{Replica, ReplicaError};

/// The preparation of `op` on a document of type `C`.
pub(super) fn prepare_op<C: DeltaCrdt>(room: RoomId, op: C::Op) -> Prepare
where
    C::Op: Send,
{
    Box::new(move |doc: &(dyn DynDocument + 'static), wall_ms| {
        let typed = doc.downcast_ref::<C>().ok_or(ReplicaError::TypeMismatch {
            room: room.clone(),
            actual: doc.tag(),
            requested: C::TAG,
        })?;
        let (delta, bytes) = typed.prepare_delta(op.clone(), wall_ms)?;
        let commit = Box::new(move |doc: &mut (dyn DynDocument + 'static)| {
            if let Some(typed) = doc.downcast_mut::<C>() {
                typed.commit_delta(&delta);
            }
        });
        Ok(Prepared { bytes, commit })
    })
}

impl Replica {
    /// Gives `now` to the client for a command that may not reach it (refused
    /// early, or held back by the gate): timers due by `now` fire inside every
    /// input and command, as the client's own commands do.
    pub(super) fn tick(&mut self, now: Instant) {
        self.now = now;
        self.client.handle_timeout(now);
    }

    /// Checks that `room` holds a document of type `C`.
    pub(super) fn check_type<C: DeltaCrdt>(&self, room: &RoomId) -> Result<(), ReplicaError> {
        let doc = self
            .docs
            .get(room)
            .ok_or_else(|| ReplicaError::Client(ClientError::NotJoined(room.clone())))?;
        if doc.downcast_ref::<C>().is_none() {
            return Err(ReplicaError::TypeMismatch {
                room: room.clone(),
                actual: doc.tag(),
                requested: C::TAG,
            });
        }
        Ok(())
    }

    /// Submits `op` at once, or queues it behind the room's gate.
    pub(super) fn local(
        &mut self,
        room: &RoomId,
        mut op: LocalOp,
    ) -> Result<Applied, ReplicaError> {
        if self.gates.must_wait(room) {
            let max = self.client.config().outbox_max_deltas;
            self.gates.push(room, op, max)?;
            return Ok(Applied::Waiting);
        }
        let seq = self.submit_op(room, &mut op)?;
        Ok(Applied::Submitted { seq })
    }

    /// Prepares, submits and commits one operation. The document changes only if
    /// the client took the delta.
    fn submit_op(&mut self, room: &RoomId, op: &mut LocalOp) -> Result<u64, ReplicaError> {
        let doc = self
            .docs
            .get(room)
            .ok_or_else(|| ReplicaError::Client(ClientError::NotJoined(room.clone())))?;
        let Prepared { bytes, commit } = (op.prepare)(doc, op.wall_ms)?;
        let seq = self.client.submit(self.now, room, Bytes::from(bytes))?;
        if let Some(doc) = self.docs.get_mut(room) {
            commit(doc.as_mut());
        }
        Ok(seq)
    }

    /// Submits the operations waiting on `room`, in order, while its gate is open
    /// and the outbox takes them.
    pub(super) fn submit_waiting(&mut self, room: &RoomId) {
        while let Some(mut op) = self.gates.pop_ready(room) {
            match self.submit_op(room, &mut op) {
                Ok(_) => {}
                Err(ReplicaError::Client(ClientError::OutboxFull { .. })) => {
                    // Retried when an ack makes room.
                    self.gates.push_front(room, op);
                    return;
                }
                Err(_) => self.gates.count_failed(),
            }
        }
    }
}

/// What [`Replica::apply`](super::Replica::apply) did with a local operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// The document changed and the delta was queued for the hub under this
    /// sequence number (sent now if connected, kept in the outbox otherwise).
    Submitted {
        /// The delta's sequence number.
        seq: u64,
    },
    /// The room has not caught up yet: the operation waits and is prepared,
    /// submitted and applied, in order, once it has
    /// ([`gate`](super::gate)). Until then the document does not show it.
    Waiting,
}

impl Applied {
    /// The sequence number, if the operation was submitted.
    pub fn seq(self) -> Option<u64> {
        match self {
            Applied::Submitted { seq } => Some(seq),
            Applied::Waiting => None,
        }
    }
}
