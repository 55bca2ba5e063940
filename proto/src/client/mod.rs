//! The client session state machine.
//!
//! A [`Client`] is one replica's session with a hub: handshake, heartbeat,
//! reconnection with backoff, rooms with resumable positions, a bounded outbox of
//! local deltas that survives disconnects, and presence. It performs no I/O and
//! reads no clock; a driver owns the WebSocket and the timer.
//!
//! Applications and drivers reach it through a [`Replica`](crate::replica::Replica),
//! which owns one together with the rooms' documents: the replica's commands and
//! inputs are the one way in, its [`poll_output`](crate::replica::Replica::poll_output)
//! the one way out. What is public here is what the replica hands out read-only
//! ([`Replica::client`](crate::replica::Replica::client)): the getters —
//! [`state`](Client::state), [`failure`](Client::failure),
//! [`connection`](Client::connection), [`session`](Client::session),
//! [`attempts`](Client::attempts), [`config`](Client::config), [`replica`](Client::replica),
//! [`room`](Client::room), [`rooms`](Client::rooms),
//! [`outbox_len`](Client::outbox_len), [`outbox_bytes`](Client::outbox_bytes),
//! [`metrics`](Client::metrics) — and, with the `test-hooks` feature,
//! `check_invariants`; plus the configuration, errors, events and persisted state
//! types.
//!
//! Every input and command takes `now`, from a monotonic clock. If it goes
//! backwards anyway, the session's time stands still for that step and then
//! follows the driver's clock again, so time that elapsed before the step still
//! counts and every timeout stays bounded in the driver's time (a step back does
//! not delay a deadline). Timers that expired by `now` fire inside every input, so
//! the replica's [`poll_timeout`](crate::replica::Replica::poll_timeout), which is
//! expressed in the driver's clock, never returns a deadline before the most recent
//! `now`; the driver calls [`handle_timeout`](crate::replica::Replica::handle_timeout)
//! once `now >= deadline` (checking that itself). Own logged deltas reach the application
//! only in the replay after a `Joined` with `resync` or without resume position (docs/PROTOCOL.md §8.2).
//!
//! # Outputs
//!
//! The replica takes from the client's three queues in the order its
//! [`Output`](crate::replica::Output) documents: frames, then transport commands,
//! then events; then the next deadline. Frames are built lazily from the session
//! state, so nothing is queued for an undrained transmit; transport commands
//! coalesce to at most a `Close` followed by an `Open`; events are bounded by
//! `max_queued_events` (see `Output`).

mod backoff;
mod commands;
mod config;
mod delivery;
mod error;
mod event;
mod getters;
mod handshake;
mod heartbeat;
mod identity;
mod inbound;
#[cfg(any(test, feature = "test-hooks"))]
mod invariants;
mod join_timer;
mod lifecycle;
mod merging;
mod metrics;
mod outbox;
mod outputs;
mod pacing;
mod peers;
mod persist;
mod rejects;
mod rooms;
mod timers;
mod transmit;

#[cfg(test)]
mod tests;

pub use config::{ClientConfig, ConfigError, MIN_FRAME_BYTES};
pub use error::{ClientError, DisconnectReason, RestoreError, SessionError};
pub use event::{ClientEvent, ConnectionId, TlsFailure, TransportClosed, TransportCommand};
pub use heartbeat::MIN_HUB_HEARTBEAT;
pub use lifecycle::ClientState;
pub use metrics::{ClientMetrics, ErrorCounts};
pub use peers::MAX_TRACKED_PEERS;
pub use persist::{PersistedDelta, PersistedRoom, PersistedState};
pub use rooms::{RoomInfo, RoomStatus};

use crate::vecmap::{VecMap, VecSet};

use crate::rng::Rng;
use crate::time::Instant;
use crate::wire::{Limits, ReplicaId, RoomId, Welcome};
use heartbeat::Heartbeat;
use outbox::Outbox;
use outputs::Outputs;
use rooms::Room;
use timers::TimerTable;

/// One replica's session with a hub. See the [module docs](self) for the API
/// families and how its outputs are drained.
#[derive(Debug)]
pub struct Client {
    config: ClientConfig,
    /// `config.replica`, required by [`Client::new`].
    replica: ReplicaId,
    /// The session's own monotonic time (see `timers.rs`).
    now: Instant,
    /// The most recent `now` the driver gave.
    driver_now: Instant,
    rng: Rng,
    state: ClientState,
    failure: Option<DisconnectReason>,
    timers: TimerTable,
    /// Consecutive reconnection attempts since the last stable connection.
    attempts: u32,
    heartbeat: Heartbeat,
    /// The hub's `Welcome` on the current connection.
    session: Option<Welcome>,
    /// The limits of the latest `Welcome`, kept after its connection: deltas
    /// queued offline are sized and merged for the hub most likely met next.
    hub_limits: Option<Limits>,
    /// Keeps this connection's frames within the hub's announced rates.
    pacer: Option<pacing::Pacer>,
    connected_since: Option<Instant>,
    hello_sent: bool,
    /// The current (or last) connection.
    conn: ConnectionId,
    /// When the current (or last) connection attempt started.
    attempt_started: Instant,
    /// The current connection is gone (reported closed or commanded closed).
    transport_gone: bool,
    rooms: VecMap<RoomId, Room>,
    /// Rooms left while connected whose `Leave` is not yet sent.
    leaving: VecSet<RoomId>,
    outbox: Outbox,
    out: Outputs,
    metrics: ClientMetrics,
}

impl Client {
    /// A disconnected client; call [`connect`](Client::connect) to start.
    pub(crate) fn new(config: ClientConfig, now: Instant) -> Result<Client, ConfigError> {
        config.validate()?;
        let replica = config.replica.ok_or(ConfigError::NoReplica)?;
        Ok(Client {
            replica,
            rng: Rng::new(config.seed),
            now,
            driver_now: now,
            state: ClientState::Disconnected,
            failure: None,
            timers: TimerTable::default(),
            attempts: 0,
            heartbeat: Heartbeat::default(),
            session: None,
            hub_limits: None,
            pacer: None,
            connected_since: None,
            hello_sent: false,
            conn: ConnectionId(0),
            attempt_started: now,
            transport_gone: true,
            rooms: VecMap::new(),
            leaving: VecSet::new(),
            outbox: Outbox::new(config.outbox_max_deltas, config.outbox_max_bytes),
            out: Outputs::default(),
            metrics: ClientMetrics::default(),
            config,
        })
    }
}
