//! The replica: one client session plus the documents of its rooms, and the
//! contract between them, written once for every driver, the simulator and the
//! fuzzers.
//!
//! A [`Replica`] owns the [`Client`] (handshake, heartbeat, reconnection, outbox),
//! one CRDT document per joined room, and the join gate. It applies remote deltas
//! and resyncs to the documents itself, re-applies the room's own unacknowledged
//! deltas after a resync, and decides when a local operation may be prepared.
//!
//! Parts, by the data each owns: `documents.rs` (the rooms' documents; remote
//! deltas, resync and replay), `gate.rs` (local operations waiting for their room
//! to catch up), `saved.rs` ([`SavedSession`]: export and restore), `local.rs` (the
//! one path of a local operation, [`Applied`]), `output.rs` (the driver's inputs and
//! [`Output`]),
//! `error.rs` ([`ReplicaError`]).
//!
//! # Method families
//!
//! * **Construction** — [`new`](Replica::new), [`restore`](Replica::restore).
//! * **Getters** — [`client`](Replica::client), [`origin`](Replica::origin),
//!   [`document`](Replica::document), [`documents`](Replica::documents),
//!   [`read`](Replica::read), [`take_changed`](Replica::take_changed),
//!   [`waiting_ops`](Replica::waiting_ops), [`failed_waiting_ops`](Replica::failed_waiting_ops),
//!   [`unacknowledged`](Replica::unacknowledged), [`apply_errors`](Replica::apply_errors),
//!   [`export`](Replica::export).
//! * **Inputs from the driver** — [`handle_transport_open`](Replica::handle_transport_open),
//!   [`handle_frame`](Replica::handle_frame),
//!   [`handle_transport_closed`](Replica::handle_transport_closed),
//!   [`handle_timeout`](Replica::handle_timeout).
//! * **Application commands** — [`connect`](Replica::connect), [`join`](Replica::join) /
//!   [`join_tag`](Replica::join_tag), [`apply`](Replica::apply) /
//!   [`apply_any`](Replica::apply_any), [`set_presence`](Replica::set_presence),
//!   [`leave`](Replica::leave), [`close`](Replica::close). Caller mistakes return
//!   a [`ReplicaError`] and change nothing; faults of the hub become events.
//! * **Outputs** — [`poll_output`](Replica::poll_output) and
//!   [`poll_timeout`](Replica::poll_timeout).
//!
//! Every input and command takes `now` from a monotonic clock (see
//! [`client`](crate::client) for a clock stepping back); local operations also take
//! the wall-clock time an LWW register records. Proto reads no clock.
//!
//! # The one way out
//!
//! After every input or command the driver calls [`poll_output`](Replica::poll_output)
//! until `None`, performing each [`Output`] as it comes (the order is given in
//! [`Output`]'s docs), then [`poll_timeout`](Replica::poll_timeout), and sleeps until
//! the next frame or the deadline.

mod documents;
mod error;
pub mod gate;
mod local;
mod output;
mod saved;

pub use error::ReplicaError;
pub use local::Applied;
pub use output::Output;
pub use saved::{SavedDoc, SavedSession};

use bytes::Bytes;

use crate::client::{Client, ClientConfig, ConfigError};
use crate::crdt::{
    AnyOp, DeltaCrdt, Document, DynDocument, GCounter, LwwRegister, MvRegister, OrMap, OrSet,
    PnCounter, Registry, Value,
};
use crate::time::{Instant, WallClockMillis};
use crate::wire::RoomId;
use documents::Documents;
use gate::{Gates, LocalOp};

/// Where a replica's id came from: an input, since proto draws no ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplicaOrigin {
    /// Drawn at random for this instance: nothing was ever written under it, so
    /// local operations apply at once.
    Fresh,
    /// Given by the caller (or restored with saved state): earlier instances may have
    /// written under it, so rooms joined wait until they caught up ([`gate`]).
    Chosen,
}

/// One replica: the client session, its rooms' documents and the join gate. See
/// the [module docs](self) for the API families and the output order.
#[derive(Debug)]
pub struct Replica {
    client: Client,
    docs: Documents,
    gates: Gates,
    origin: ReplicaOrigin,
    /// The most recent `now` given; waiting operations submitted while outputs are
    /// polled use it.
    now: Instant,
}

impl Replica {
    /// A disconnected replica without rooms; `config.replica` must be set, and
    /// `origin` says whether it was drawn fresh for this instance.
    pub fn new(
        config: ClientConfig,
        now: Instant,
        origin: ReplicaOrigin,
    ) -> Result<Replica, ConfigError> {
        Ok(Replica::from_parts(Client::new(config, now)?, origin, now))
    }

    fn from_parts(client: Client, origin: ReplicaOrigin, now: Instant) -> Replica {
        Replica {
            client,
            docs: Documents::default(),
            gates: Gates::default(),
            origin,
            now,
        }
    }

    /// A disconnected replica continuing `saved`: its rooms stay joined (resuming
    /// from their positions once connected), its documents hold their saved state
    /// plus every unacknowledged local delta, and those deltas are sent again.
    /// Documents are rebuilt by type tag from `registry`; the application attaches
    /// to a restored room with [`join`](Replica::join). `config.replica` must be the
    /// saved replica. Restored rooms take local operations at once; rooms joined
    /// later wait until they caught up. The save may be older than the replica's
    /// last acknowledgements: own deltas the hub logged after it come back in the
    /// first replay of each restored room; deltas submitted after it that the hub
    /// never logged are lost (they were never acknowledged).
    pub fn restore(
        config: ClientConfig,
        now: Instant,
        saved: SavedSession,
        registry: &Registry,
    ) -> Result<Replica, ReplicaError> {
        saved::restore(config, now, saved, registry)
    }

    /// The state to save ([`SavedSession`]).
    pub fn export(&self) -> SavedSession {
        saved::export(self)
    }

    /// The client session (state, metrics, rooms, outbox).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Replaces the token of the next `Hello` ([`Client::set_token`]).
    pub fn set_token(&mut self, token: Option<String>) -> Result<(), ConfigError> {
        self.client.set_token(token)
    }

    /// Whether the replica id was drawn fresh for this instance.
    pub fn origin(&self) -> ReplicaOrigin {
        self.origin
    }

    /// `room`'s document, if joined.
    pub fn document(&self, room: &RoomId) -> Option<&(dyn DynDocument + 'static)> {
        self.docs.get(room)
    }

    /// Every room's document, in room order.
    pub fn documents(&self) -> impl Iterator<Item = (&RoomId, &(dyn DynDocument + 'static))> {
        self.docs.iter()
    }

    /// The state of `room`'s document of type `C`.
    pub fn read<C: DeltaCrdt>(&self, room: &RoomId) -> Result<&C, ReplicaError> {
        self.check_type::<C>(room)?;
        let doc = self.docs.get(room).and_then(|d| d.downcast_ref::<C>());
        doc.map(Document::state).ok_or_else(|| {
            ReplicaError::Client(crate::client::ClientError::NotJoined(room.clone()))
        })
    }

    /// Whether `room`'s document changed since the last call (then clears the flag).
    pub fn take_changed(&mut self, room: &RoomId) -> bool {
        self.docs.get_mut(room).is_some_and(|d| d.take_changed())
    }

    /// Local operations waiting for their room to catch up.
    pub fn waiting_ops(&self) -> usize {
        self.gates.waiting()
    }

    /// Waiting local operations dropped because they failed once prepared (the room
    /// turned out read-only or was rejected, the CRDT refused the operation).
    pub fn failed_waiting_ops(&self) -> u64 {
        self.gates.failed()
    }

    /// Local changes the hub has not acknowledged: deltas in the outbox plus
    /// operations still waiting for their room.
    pub fn unacknowledged(&self) -> usize {
        self.client.outbox_len() + self.gates.waiting()
    }

    /// Remote deltas or snapshots that could not be applied to their room's document.
    pub fn apply_errors(&self) -> u64 {
        self.docs.apply_errors()
    }

    /// Starts connecting.
    pub fn connect(&mut self, now: Instant) {
        self.now = now;
        self.client.connect(now);
    }

    /// Closes the session: unacknowledged deltas stay unacknowledged and operations
    /// still waiting for their room are never submitted.
    pub fn close(&mut self, now: Instant) {
        self.now = now;
        self.client.close(now);
    }

    /// Joins `room` as a document of type `C`. A room restored by
    /// [`restore`](Replica::restore) is not joined again: the first `join` attaches
    /// to it (keeping its restored state) if its type is `C`'s.
    pub fn join<C: DeltaCrdt>(&mut self, now: Instant, room: RoomId) -> Result<(), ReplicaError> {
        self.tick(now);
        if self.docs.is_restored(&room) {
            return saved::attach::<C>(self, &room);
        }
        // Typed by the caller: `OrSet<String>` and `OrSet<Value>` share a wire tag.
        let doc = Box::new(Document::<C>::new(self.client.replica()));
        self.join_doc(now, room, doc)
    }

    /// Joins `room` with a document of type tag `tag` built by `registry`; a
    /// restored room of that tag is attached to as by [`join`](Replica::join).
    pub fn join_tag(
        &mut self,
        now: Instant,
        room: RoomId,
        tag: &str,
        registry: &Registry,
    ) -> Result<(), ReplicaError> {
        self.tick(now);
        if saved::attach_tag(self, &room, tag, registry)? {
            return Ok(());
        }
        let doc = registry.new_document(tag, self.client.replica())?;
        self.join_doc(now, room, doc)
    }

    /// Leaves `room`, forgets its document and drops its waiting operations.
    pub fn leave(&mut self, now: Instant, room: &RoomId) -> Result<(), ReplicaError> {
        self.now = now;
        self.client.leave(now, room)?;
        self.docs.remove(room);
        self.gates.remove(room);
        Ok(())
    }

    /// Applies a local operation on `room`'s document of type `C` at wall-clock
    /// time `wall_ms`. When the room's gate is open the delta is prepared and
    /// checked (size, nesting), submitted to the client and only then merged into
    /// the document, so a refused operation changes nothing: [`Applied::Submitted`].
    /// When the gate is closed ([`gate`]) the operation waits, bounded by
    /// `outbox_max_deltas` ([`ReplicaError::TooManyWaiting`]): [`Applied::Waiting`].
    pub fn apply<C: DeltaCrdt>(
        &mut self,
        now: Instant,
        wall_ms: WallClockMillis,
        room: &RoomId,
        op: C::Op,
    ) -> Result<Applied, ReplicaError>
    where
        C::Op: Send,
    {
        self.tick(now);
        self.check_type::<C>(room)?;
        let prepare = local::prepare_op::<C>(room.clone(), op);
        self.local(room, LocalOp { prepare, wall_ms })
    }

    /// [`apply`](Replica::apply) for a room of a built-in type chosen at run time:
    /// the operation's kind picks the type (sets, registers and maps of [`Value`]).
    pub fn apply_any(
        &mut self,
        now: Instant,
        wall_ms: WallClockMillis,
        room: &RoomId,
        op: AnyOp,
    ) -> Result<Applied, ReplicaError> {
        match op {
            AnyOp::GCounter(op) => self.apply::<GCounter>(now, wall_ms, room, op),
            AnyOp::PnCounter(op) => self.apply::<PnCounter>(now, wall_ms, room, op),
            AnyOp::Lww(op) => self.apply::<LwwRegister<Value>>(now, wall_ms, room, op),
            AnyOp::MvReg(op) => self.apply::<MvRegister<Value>>(now, wall_ms, room, op),
            AnyOp::OrSet(op) => self.apply::<OrSet<Value>>(now, wall_ms, room, op),
            AnyOp::Map(op) => self.apply::<OrMap>(now, wall_ms, room, op),
        }
    }

    /// Sets this replica's ephemeral presence state in `room` (never logged).
    pub fn set_presence(
        &mut self,
        now: Instant,
        room: &RoomId,
        state: Bytes,
    ) -> Result<(), ReplicaError> {
        self.now = now;
        Ok(self.client.set_presence(now, room, state)?)
    }
}
