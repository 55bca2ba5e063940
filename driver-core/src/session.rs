//! The shared session: the proto [`Replica`] (client session, rooms' documents,
//! join gate) plus what a running driver adds around it — the clock, the wake-up
//! signal, the event subscribers and the documents' change watchers — behind one
//! mutex. Handles lock it to issue commands; the driver's I/O task locks it to feed
//! inputs and [`drain`](Session::drain) outputs, then performs the I/O without
//! holding the lock.

use std::sync::{Arc, Mutex, MutexGuard};

use futures_channel::mpsc;
use syncwire_proto::client::{Client, ClientConfig, ConnectionId, TransportClosed};
use syncwire_proto::crdt::DeltaCrdt;
use syncwire_proto::replica::{Output, Replica, ReplicaOrigin};
use syncwire_proto::wire::RoomId;

use crate::clock::Clock;
use crate::doc::{Doc, Watchers};
use crate::drained::Drained;
use crate::error::DriverError;
use crate::events::{EventStream, Listeners, SUBSCRIBER_QUEUE};
use crate::fresh::resolve;

/// A session shared between handles and the driver task.
pub type SharedSession = Arc<Mutex<Session>>;

/// The driver's wake-up signal: a handle changed the session (e.g. submitted a delta).
pub type WakeReceiver = mpsc::Receiver<()>;

/// The proto replica with the clock, the wake-up signal and the subscribers.
pub struct Session {
    replica: Replica,
    /// By room, in joining order (a vector: a session has few rooms, and a hash
    /// map brought its hashing and table code into the browser bundle).
    watchers: Vec<(RoomId, Watchers)>,
    listeners: Listeners,
    wake: mpsc::Sender<()>,
    clock: Arc<dyn Clock>,
    /// Bumped whenever the durable state may have changed (see [`Session::change_count`]).
    changes: u64,
    /// Asked for a token before each connection attempt (`tokens`).
    pub(crate) token_source: Option<crate::TokenSource>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("replica", &self.replica)
            .field("changes", &self.changes)
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
        let replica = Replica::new(config, clock.now(), origin)
            .map_err(|e| DriverError::Config(e.to_string()))?;
        Ok(Session::wrap(replica, clock))
    }

    pub(crate) fn wrap(replica: Replica, clock: Arc<dyn Clock>) -> (SharedSession, WakeReceiver) {
        let (wake, rx) = mpsc::channel(0);
        let session = Session {
            replica,
            watchers: Vec::new(),
            listeners: Listeners::default(),
            wake,
            clock,
            changes: 0,
            token_source: None,
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
        self.replica.client()
    }

    /// The proto replica (client, documents, join gate).
    pub fn replica(&self) -> &Replica {
        &self.replica
    }

    pub(crate) fn replica_mut(&mut self) -> &mut Replica {
        &mut self.replica
    }

    pub(crate) fn clock(&self) -> &dyn Clock {
        &*self.clock
    }

    /// Whether the replica id was drawn fresh for this session.
    pub fn replica_origin(&self) -> ReplicaOrigin {
        self.replica.origin()
    }

    /// Local operations waiting for their room to catch up ([`Doc::apply`]).
    pub fn waiting_ops(&self) -> usize {
        self.replica.waiting_ops()
    }

    /// Local changes the hub has not acknowledged: deltas in the outbox plus
    /// operations still waiting for their room.
    pub fn unacknowledged(&self) -> usize {
        self.replica.unacknowledged()
    }

    /// Waiting local operations dropped because they failed once prepared (the room
    /// turned out read-only or was rejected, the CRDT refused the operation).
    pub fn failed_waiting_ops(&self) -> u64 {
        self.replica.failed_waiting_ops()
    }

    /// Remote deltas that could not be applied to their room's document.
    pub fn apply_errors(&self) -> u64 {
        self.replica.apply_errors()
    }

    /// A new subscriber to application events.
    pub fn subscribe(&mut self) -> EventStream {
        self.listeners.subscribe(SUBSCRIBER_QUEUE)
    }

    /// Starts connecting.
    pub fn connect(&mut self) {
        let now = self.clock.now();
        self.replica.connect(now);
        self.wake();
    }

    /// Closes the session: queued deltas that are not acknowledged stay unacknowledged,
    /// local operations still waiting for their room are never submitted.
    pub fn close(&mut self) {
        let now = self.clock.now();
        self.replica.close(now);
        self.wake();
    }

    /// Joins `room` as a document of type `C` and returns its handle. A room restored
    /// by [`Session::restore`] is not joined again: the first `join` attaches to it
    /// (keeping its restored state) if its type tag is `C`'s.
    pub fn join<C: DeltaCrdt>(shared: &SharedSession, room: RoomId) -> Result<Doc<C>, DriverError> {
        let mut s = Session::lock(shared);
        let now = s.clock.now();
        s.replica.join::<C>(now, room.clone())?;
        s.changed();
        drop(s);
        Ok(Doc::new(shared.clone(), room))
    }

    /// Leaves `room` and forgets its document.
    pub fn leave(&mut self, room: &RoomId) -> Result<(), DriverError> {
        let now = self.clock.now();
        self.replica.leave(now, room)?;
        self.watchers.retain(|(r, _)| r != room);
        self.changed();
        Ok(())
    }

    /// Counts changes that may affect the durable state (events drained, local
    /// operations applied). A driver that persists the session compares it with the
    /// count at its last save.
    pub fn change_count(&self) -> u64 {
        self.changes
    }

    /// The durable state may have changed: count it, notify watchers of changed
    /// documents, and wake the driver task.
    pub(crate) fn changed(&mut self) {
        self.changes = self.changes.wrapping_add(1);
        self.notify_changed();
        self.wake();
    }

    /// Wakes the driver task so it drains the session.
    pub(crate) fn wake(&mut self) {
        // A full channel means a wake-up is already pending.
        let _ = self.wake.try_send(());
    }

    /// Input: the transport the driver opened is ready.
    pub fn handle_transport_open(&mut self, conn: ConnectionId) {
        let now = self.clock.now();
        self.replica.handle_transport_open(now, conn);
    }

    /// Input: a binary message arrived.
    pub fn handle_frame(&mut self, conn: ConnectionId, bytes: &[u8]) {
        let now = self.clock.now();
        self.replica.handle_frame(now, conn, bytes);
    }

    /// Input: the transport closed or failed without being asked to.
    pub fn handle_transport_closed(&mut self, conn: ConnectionId, closed: TransportClosed) {
        let now = self.clock.now();
        self.replica.handle_transport_closed(now, conn, closed);
    }

    /// Input: the deadline passed (the driver checked `now >= deadline`).
    pub fn handle_timeout(&mut self) {
        let now = self.clock.now();
        self.replica.handle_timeout(now);
    }

    /// Polls every output of the replica ([`Replica::poll_output`]): frames and
    /// transport commands are collected for the driver, events (already applied to
    /// the documents) are fanned out to subscribers, and watchers of changed
    /// documents are notified.
    pub fn drain(&mut self) -> Drained {
        let mut out = Drained::default();
        let mut events = false;
        while let Some(output) = self.replica.poll_output() {
            match output {
                Output::Transmit(frame) => out.transmits.push(frame),
                Output::Transport(cmd) => out.transport.push(cmd),
                Output::Event(event) => {
                    events = true;
                    self.changes = self.changes.wrapping_add(1);
                    self.listeners.publish(&event);
                }
            }
        }
        if events {
            self.notify_changed();
        }
        if self.replica.client().state().is_stopped() {
            self.listeners.close();
        }
        out.deadline = self.replica.poll_timeout();
        out
    }

    /// Notifies the watchers of every document that changed.
    fn notify_changed(&mut self) {
        let replica = &mut self.replica;
        for (room, w) in &mut self.watchers {
            if replica.take_changed(room) {
                w.notify();
            }
        }
    }

    pub(crate) fn watch(&mut self, room: &RoomId) -> &mut Watchers {
        let i = match self.watchers.iter().position(|(r, _)| r == room) {
            Some(i) => i,
            None => {
                self.watchers.push((room.clone(), Watchers::default()));
                self.watchers.len() - 1
            }
        };
        &mut self.watchers[i].1
    }
}

#[cfg(test)]
#[path = "tests/gate.rs"]
mod gate_tests;
