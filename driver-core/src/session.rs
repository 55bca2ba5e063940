//! The shared session: the proto client, the rooms' documents and the subscribers,
//! behind one mutex. Handles lock it to issue commands; the driver's I/O task locks
//! it to feed inputs and [`drain`](Session::drain) outputs, then performs the I/O
//! without holding the lock.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use futures_channel::mpsc;
use syncwire_proto::Instant;
use syncwire_proto::client::{
    Client, ClientConfig, ClientEvent, ConnectionId, TransportClosed, TransportCommand,
};
use syncwire_proto::crdt::{DeltaCrdt, Document, DynDocument};
use syncwire_proto::wire::RoomId;

use crate::clock::Clock;
use crate::doc::{Doc, Watchers};
use crate::error::DriverError;
use crate::events::{EventStream, Listeners, SUBSCRIBER_QUEUE};
use crate::fresh::{ReplicaOrigin, resolve};
use crate::gate::Gates;

/// A session shared between handles and the driver task.
pub type SharedSession = Arc<Mutex<Session>>;

/// The driver's wake-up signal: a handle changed the session (e.g. submitted a delta).
pub type WakeReceiver = mpsc::Receiver<()>;

/// Outputs of one [`Session::drain`], to be performed by the driver in this order:
/// write `transmits` to the current connection, then perform `transport` commands,
/// then sleep until a message, a wake-up, or `deadline`.
#[derive(Debug, Default)]
pub struct Drained {
    /// Encoded frames for the current connection.
    pub transmits: Vec<Bytes>,
    /// Open / close commands for the transport.
    pub transport: Vec<TransportCommand>,
    /// When to call [`Session::handle_timeout`] next.
    pub deadline: Option<Instant>,
}

/// The proto client with its rooms' documents and the event subscribers.
pub struct Session {
    pub(crate) client: Client,
    pub(crate) docs: HashMap<RoomId, Box<dyn DynDocument>>,
    pub(crate) watchers: HashMap<RoomId, Watchers>,
    listeners: Listeners,
    wake: mpsc::Sender<()>,
    pub(crate) clock: Arc<dyn Clock>,
    /// Documents that failed to apply a remote delta (a peer sent bytes of another type).
    apply_errors: u64,
    /// Rooms restored from persisted state that no handle has attached to yet.
    pub(crate) restored: HashSet<RoomId>,
    /// Bumped whenever the durable state may have changed (see [`Session::change_count`]).
    pub(crate) changes: u64,
    /// Whether the replica id is fresh (rooms joined need not wait to catch up).
    pub(crate) origin: ReplicaOrigin,
    /// Local operations waiting for their room to catch up.
    pub(crate) gates: Gates,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("client", &self.client)
            .field("rooms", &self.docs.len())
            .finish()
    }
}

impl Session {
    /// A new, disconnected session (call [`Session::connect`] to start) and the
    /// receiver the driver task waits on for wake-ups. A configuration without a
    /// replica id gets a fresh random one ([`crate::fresh_replica_id`]); a seed of 0
    /// becomes random.
    pub fn new(
        config: ClientConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<(SharedSession, WakeReceiver), DriverError> {
        let (config, origin) = resolve(config)?;
        let client =
            Client::new(config, clock.now()).map_err(|e| DriverError::Config(e.to_string()))?;
        Ok(Session::wrap(client, origin, HashMap::new(), clock))
    }

    pub(crate) fn wrap(
        client: Client,
        origin: ReplicaOrigin,
        docs: HashMap<RoomId, Box<dyn DynDocument>>,
        clock: Arc<dyn Clock>,
    ) -> (SharedSession, WakeReceiver) {
        let (wake, rx) = mpsc::channel(0);
        let restored: HashSet<RoomId> = docs.keys().cloned().collect();
        let mut gates = Gates::default();
        for room in &restored {
            // A restored document holds the replica's own entries up to its position.
            gates.add(room.clone(), true);
        }
        let session = Session {
            client,
            docs,
            watchers: HashMap::new(),
            listeners: Listeners::default(),
            wake,
            clock,
            apply_errors: 0,
            restored,
            changes: 0,
            origin,
            gates,
        };
        (Arc::new(Mutex::new(session)), rx)
    }

    /// Locks a shared session. A handle that panicked while holding the lock does not
    /// make the session unusable: the state machine is still consistent between calls.
    pub fn lock(shared: &SharedSession) -> MutexGuard<'_, Session> {
        shared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The proto client (state, metrics, rooms).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Whether the replica id was drawn fresh for this session.
    pub fn replica_origin(&self) -> ReplicaOrigin {
        self.origin
    }

    /// Local operations waiting for their room to catch up ([`Doc::apply`]).
    pub fn waiting_ops(&self) -> usize {
        self.gates.waiting()
    }

    /// Local changes the hub has not acknowledged: deltas in the outbox plus
    /// operations still waiting for their room.
    pub fn unacknowledged(&self) -> usize {
        self.client.outbox_len() + self.gates.waiting()
    }

    /// Waiting local operations dropped because they failed once prepared (the room
    /// turned out read-only or was rejected, the CRDT refused the operation).
    pub fn failed_waiting_ops(&self) -> u64 {
        self.gates.failed()
    }

    /// Remote deltas that could not be applied to their room's document.
    pub fn apply_errors(&self) -> u64 {
        self.apply_errors
    }

    /// A new subscriber to application events.
    pub fn subscribe(&mut self) -> EventStream {
        self.listeners.subscribe(SUBSCRIBER_QUEUE)
    }

    /// Starts connecting.
    pub fn connect(&mut self) {
        let now = self.clock.now();
        self.client.connect(now);
        self.wake();
    }

    /// Closes the session: queued deltas that are not acknowledged stay unacknowledged,
    /// local operations still waiting for their room are dropped.
    pub fn close(&mut self) {
        let now = self.clock.now();
        self.client.close(now);
        self.wake();
    }

    /// Joins `room` as a document of type `C` and returns its handle. A room restored
    /// by [`Session::restore`] is not joined again: the first `join` attaches to it
    /// (keeping its restored state) if its type tag is `C`'s.
    pub fn join<C: DeltaCrdt>(shared: &SharedSession, room: RoomId) -> Result<Doc<C>, DriverError> {
        let mut s = Session::lock(shared);
        if s.restored.contains(&room) {
            s.attach::<C>(&room)?;
            drop(s);
            return Ok(Doc::new(shared.clone(), room));
        }
        let now = s.clock.now();
        s.client.join(now, room.clone(), C::TAG)?;
        let replica = s.client.replica();
        // Nothing was ever written under a fresh id: no need to wait for the replay.
        let open = s.origin == ReplicaOrigin::Fresh;
        s.gates.add(room.clone(), open);
        // Typed by the caller: `OrSet<String>` and `OrSet<Value>` share a wire tag.
        s.docs
            .insert(room.clone(), Box::new(Document::<C>::new(replica)));
        s.changes = s.changes.wrapping_add(1);
        s.wake();
        drop(s);
        Ok(Doc::new(shared.clone(), room))
    }

    /// Leaves `room` and forgets its document.
    pub fn leave(&mut self, room: &RoomId) -> Result<(), DriverError> {
        let now = self.clock.now();
        self.client.leave(now, room)?;
        self.docs.remove(room);
        self.gates.remove(room);
        self.watchers.remove(room);
        self.restored.remove(room);
        self.changes = self.changes.wrapping_add(1);
        self.wake();
        Ok(())
    }

    /// Counts changes that may affect the durable state (events drained, local
    /// operations applied). A driver that persists the session compares it with the
    /// count at its last save.
    pub fn change_count(&self) -> u64 {
        self.changes
    }

    /// Wakes the driver task so it drains the session.
    pub(crate) fn wake(&mut self) {
        // A full channel means a wake-up is already pending.
        let _ = self.wake.try_send(());
    }

    /// Input: the transport the driver opened is ready.
    pub fn handle_transport_open(&mut self, conn: ConnectionId) {
        let now = self.clock.now();
        self.client.handle_transport_open(now, conn);
    }

    /// Input: a binary message arrived.
    pub fn handle_frame(&mut self, conn: ConnectionId, bytes: &[u8]) {
        let now = self.clock.now();
        self.client.handle_frame(now, conn, bytes);
    }

    /// Input: the transport closed or failed without being asked to.
    pub fn handle_transport_closed(&mut self, conn: ConnectionId, closed: TransportClosed) {
        let now = self.clock.now();
        self.client.handle_transport_closed(now, conn, closed);
    }

    /// Input: the deadline passed (the driver checked `now >= deadline`).
    pub fn handle_timeout(&mut self) {
        let now = self.clock.now();
        self.client.handle_timeout(now);
    }

    /// Drains the client's outputs in the documented order. Events are applied to the
    /// rooms' documents first, then fanned out to subscribers.
    pub fn drain(&mut self) -> Drained {
        let mut out = Drained::default();
        loop {
            while let Some(frame) = self.client.poll_transmit() {
                out.transmits.push(frame);
            }
            while let Some(cmd) = self.client.poll_transport() {
                out.transport.push(cmd);
            }
            let mut any = false;
            while let Some(event) = self.client.poll_event() {
                any = true;
                self.changes = self.changes.wrapping_add(1);
                self.apply_event(&event);
                self.listeners.publish(&event);
            }
            if !any {
                break;
            }
        }
        if self.client.state().is_stopped() {
            self.listeners.close();
        }
        out.deadline = self.client.poll_timeout();
        out
    }

    fn apply_event(&mut self, event: &ClientEvent) {
        match event {
            ClientEvent::Delta { room, payload, .. } => {
                if let Some(doc) = self.docs.get_mut(room) {
                    match doc.apply_remote(payload) {
                        Ok(true) => self.notify(room),
                        Ok(false) => {}
                        Err(_) => self.apply_errors += 1,
                    }
                }
            }
            ClientEvent::Resync { room, snapshot, .. } => {
                // The document was reset: own entries come back with the replay.
                self.gates.close(room);
                self.resync(room, snapshot.as_deref());
            }
            ClientEvent::CaughtUp { room, .. } => {
                self.gates.open(room);
                self.submit_waiting(room);
            }
            ClientEvent::DeltaAcked { .. } => {
                // The outbox has room again for operations that waited for it.
                for room in self.gates.ready_rooms() {
                    self.submit_waiting(&room);
                }
            }
            ClientEvent::JoinRejected { room, .. } => self.gates.fail_room(room),
            _ => {}
        }
    }

    /// Replaces a room's document with the hub's snapshot, then re-applies the local
    /// deltas the hub has not acknowledged yet (they will still reach it).
    fn resync(&mut self, room: &RoomId, snapshot: Option<&[u8]>) {
        let Some(doc) = self.docs.get_mut(room) else {
            return;
        };
        if doc.reset_to_snapshot(snapshot).is_err() {
            self.apply_errors += 1;
            let _ = doc.reset_to_snapshot(None);
        }
        let state = self.client.export_state();
        if let Some(r) = state.rooms.iter().find(|r| &r.room == room) {
            for d in &r.outbox {
                if doc.apply_remote(&d.payload).is_err() {
                    self.apply_errors += 1;
                }
            }
        }
        self.notify(room);
    }

    pub(crate) fn notify(&mut self, room: &RoomId) {
        if let Some(w) = self.watchers.get_mut(room) {
            w.notify();
        }
    }
}

#[cfg(test)]
#[path = "tests/gate.rs"]
mod gate_tests;
