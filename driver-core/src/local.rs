//! Local operations: prepared against a room's document, submitted to the proto
//! client, then applied to the document — at once when the room's gate is open,
//! or later, in order, when it opens ([`crate::gate`]).

use bytes::Bytes;
use syncwire_proto::client::ClientError;
use syncwire_proto::crdt::{DeltaCrdt, DynDocument, OpContext};
use syncwire_proto::wire::RoomId;

use crate::error::DriverError;
use crate::gate::{Prepare, Waiting};
use crate::session::Session;

/// What [`Doc::apply`](crate::Doc::apply) did with a local operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// The document changed and the delta was queued for the hub under this
    /// sequence number (sent now if connected, kept in the outbox otherwise).
    Submitted {
        /// The delta's sequence number.
        seq: u64,
    },
    /// The room has not caught up yet: the operation waits and is prepared,
    /// submitted and applied, in order, once it has ([`crate::gate`]). Until then
    /// the document does not show it.
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

/// The preparation of `op` on a document of type `C`.
fn prepare_op<C: DeltaCrdt>(room: RoomId, op: C::Op) -> Prepare
where
    C::Op: Send + 'static,
{
    Box::new(move |doc: &(dyn DynDocument + 'static), ctx: &OpContext| {
        let typed = doc.downcast_ref::<C>().ok_or(DriverError::TypeMismatch {
            room: room.clone(),
            actual: doc.tag(),
            requested: C::TAG,
        })?;
        let delta = typed.state().prepare(op.clone(), ctx)?;
        Ok(delta.encode()?)
    })
}

impl Session {
    /// Applies (or queues) a local operation on `room`; see [`crate::Doc::apply`].
    pub(crate) fn apply_local<C: DeltaCrdt>(
        &mut self,
        room: &RoomId,
        op: C::Op,
    ) -> Result<Applied, DriverError>
    where
        C::Op: Send + 'static,
    {
        let doc = self
            .docs
            .get(room)
            .ok_or_else(|| DriverError::Client(ClientError::NotJoined(room.clone())))?;
        if doc.downcast_ref::<C>().is_none() {
            return Err(DriverError::TypeMismatch {
                room: room.clone(),
                actual: doc.tag(),
                requested: C::TAG,
            });
        }
        let mut waiting = Waiting {
            prepare: prepare_op::<C>(room.clone(), op),
            wall_ms: self.clock.wall_ms(),
        };
        if self.gates.must_wait(room) {
            let max = self.client.config().outbox_max_deltas;
            self.gates.push(room, waiting, max)?;
            return Ok(Applied::Waiting);
        }
        let seq = self.submit_op(room, &mut waiting)?;
        Ok(Applied::Submitted { seq })
    }

    /// Prepares, submits and applies one operation. The document changes only if
    /// the client took the delta.
    fn submit_op(&mut self, room: &RoomId, op: &mut Waiting) -> Result<u64, DriverError> {
        let ctx = OpContext::new(self.client.replica(), op.wall_ms);
        let doc = self
            .docs
            .get(room)
            .ok_or_else(|| DriverError::Client(ClientError::NotJoined(room.clone())))?;
        let bytes = (op.prepare)(doc.as_ref(), &ctx)?;
        let now = self.clock.now();
        let seq = self.client.submit(now, room, Bytes::from(bytes.clone()))?;
        if let Some(doc) = self.docs.get_mut(room) {
            doc.apply_remote(&bytes)?;
        }
        self.changes = self.changes.wrapping_add(1);
        self.notify(room);
        self.wake();
        Ok(seq)
    }

    /// Submits the operations waiting on `room`, in order, while its gate is open
    /// and the outbox takes them.
    pub(crate) fn submit_waiting(&mut self, room: &RoomId) {
        while let Some(mut op) = self.gates.pop_ready(room) {
            match self.submit_op(room, &mut op) {
                Ok(_) => {}
                Err(DriverError::Client(ClientError::OutboxFull { .. })) => {
                    // Retried when an ack makes room.
                    self.gates.push_front(room, op);
                    return;
                }
                Err(_) => self.gates.count_failed(),
            }
        }
    }
}
