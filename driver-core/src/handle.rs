//! [`SessionHandle`]: the application-facing methods every driver's `SyncClient` shares.
//! A driver's `SyncClient` owns its I/O task and dereferences to this handle, so the
//! methods below are written once for tokio, async-std and the browser.

use syncwire_proto::client::{ClientMetrics, ClientState};
use syncwire_proto::crdt::DeltaCrdt;
use syncwire_proto::wire::{ReplicaId, RoomId};

use crate::doc::Doc;
use crate::error::DriverError;
use crate::events::EventStream;
use crate::session::{Session, SharedSession};

/// The application's view of a running session.
#[derive(Debug, Clone)]
pub struct SessionHandle {
    shared: SharedSession,
}

impl SessionHandle {
    /// A handle on `shared`.
    pub fn new(shared: SharedSession) -> Self {
        SessionHandle { shared }
    }

    /// The shared session behind the handle.
    pub fn shared(&self) -> &SharedSession {
        &self.shared
    }

    /// Joins `room` as a document of type `C`. Remote deltas arrive as the hub
    /// replays the room; local operations apply at once with a fresh replica id and
    /// otherwise wait until the room caught up ([`Doc::apply`]).
    pub fn join<C: DeltaCrdt>(&self, room: &str) -> Result<Doc<C>, DriverError> {
        Session::join::<C>(&self.shared, RoomId::new(room))
    }

    /// A stream of session events (state changes, deltas, acks, presence, errors).
    pub fn events(&self) -> EventStream {
        Session::lock(&self.shared).subscribe()
    }

    /// The lifecycle state.
    pub fn state(&self) -> ClientState {
        Session::lock(&self.shared).client().state()
    }

    /// The session's counters (frames, bytes, deltas, RTT, reconnects, errors).
    pub fn metrics(&self) -> ClientMetrics {
        Session::lock(&self.shared).client().metrics()
    }

    /// Local deltas not yet acknowledged by the hub.
    pub fn outbox_len(&self) -> usize {
        Session::lock(&self.shared).client().outbox_len()
    }

    /// The replica id this session speaks for (fresh and random unless the
    /// configuration chose one).
    pub fn replica(&self) -> ReplicaId {
        Session::lock(&self.shared).client().replica()
    }

    /// Local operations waiting for their room to catch up
    /// ([`Applied::Waiting`](crate::Applied::Waiting)).
    pub fn waiting_ops(&self) -> usize {
        Session::lock(&self.shared).waiting_ops()
    }

    /// Waiting local operations that were dropped because they failed once
    /// prepared (the room turned out read-only or was rejected).
    pub fn failed_waiting_ops(&self) -> u64 {
        Session::lock(&self.shared).failed_waiting_ops()
    }
}
