//! The client session state machine.
//!
//! A [`Client`] is one replica's session with a hub: handshake, heartbeat,
//! reconnection with backoff, rooms with resumable positions, a bounded outbox of
//! local deltas that survives disconnects, and presence. It performs no I/O and
//! reads no clock; a driver owns the WebSocket and the timer.
//!
//! # Method families
//!
//! * **Construction** — [`new`](Client::new), [`restore`](Client::restore) (from
//!   a [`PersistedState`]).
//! * **Getters** — [`state`](Client::state), [`failure`](Client::failure),
//!   [`connection`](Client::connection), [`session`](Client::session),
//!   [`attempts`](Client::attempts), [`config`](Client::config), [`replica`](Client::replica),
//!   [`room`](Client::room), [`rooms`](Client::rooms),
//!   [`outbox_len`](Client::outbox_len), [`outbox_bytes`](Client::outbox_bytes),
//!   [`metrics`](Client::metrics), [`export_state`](Client::export_state),
//!   [`check_invariants`](Client::check_invariants).
//! * **Inputs from the driver** — [`handle_transport_open`](Client::handle_transport_open),
//!   [`handle_frame`](Client::handle_frame),
//!   [`handle_transport_closed`](Client::handle_transport_closed),
//!   [`handle_timeout`](Client::handle_timeout).
//! * **Application commands** — [`connect`](Client::connect), [`join`](Client::join),
//!   [`submit`](Client::submit), [`set_presence`](Client::set_presence),
//!   [`leave`](Client::leave), [`close`](Client::close). Caller mistakes return a
//!   [`ClientError`] and change nothing; faults of the hub become events.
//! * **Outputs** — [`poll_transmit`](Client::poll_transmit) (encoded frames),
//!   [`poll_transport`](Client::poll_transport) (open / close the connection),
//!   [`poll_event`](Client::poll_event) (application events),
//!   [`poll_timeout`](Client::poll_timeout) (the next deadline).
//!
//! Every input and command takes `now`, from a monotonic clock. If it goes
//! backwards anyway, the session's time stands still for that step and then
//! follows the driver's clock again, so time that elapsed before the step still
//! counts and every timeout stays bounded in the driver's time (a step back does
//! not delay a deadline). Timers that expired by `now` fire inside every input, so
//! [`poll_timeout`](Client::poll_timeout), which is expressed in the driver's
//! clock, never returns a deadline before the most recent `now`; the driver calls
//! [`handle_timeout`](Client::handle_timeout) once `now >= deadline` (checking
//! that itself). Own logged deltas reach the application
//! only in the replay after a `Joined` with `resync` or without resume position (docs/PROTOCOL.md §8.2).
//!
//! # Drain order
//!
//! After every input or command, the driver drains, in this order:
//! 1. `poll_transmit` until `None`, writing each frame to the current connection;
//! 2. `poll_transport` until `None`, opening or closing connections. Each
//!    connection has a [`ConnectionId`]; the driver passes it back with every
//!    report (`handle_transport_open`, `handle_frame`, `handle_transport_closed`),
//!    and reports about a connection the session already closed are ignored;
//! 3. `poll_event` until `None`, handing events to the application;
//! 4. `poll_timeout`, to know when to call `handle_timeout`.
//!
//! Reporting a transport result (`handle_transport_open`) or issuing commands
//! while handling events are inputs too: drain again from step 1 until nothing is
//! left, then sleep until the next frame or the deadline.
//!
//! Frames are built lazily in `poll_transmit` from the session state, so nothing
//! is queued for an undrained transmit. Transport commands coalesce to at most a
//! `Close` followed by an `Open`. Events are bounded by `max_queued_events`: when
//! that many are undrained and more hub deltas arrive, the connection is dropped
//! (`SessionError::SlowApplication`) and resumes later from the last delivered
//! offset, so no delta is lost; other events beyond twice the bound are dropped
//! and counted in [`ClientMetrics::events_dropped`].
//!
//! # Driver loop
//!
//! ```
//! use bytes::Bytes;
//! use std::collections::VecDeque;
//! use syncwire_proto::Instant;
//! use syncwire_proto::client::{
//!     Client, ClientConfig, ClientEvent, ConnectionId, TransportCommand,
//! };
//! use syncwire_proto::wire::*;
//!
//! /// Stands in for a WebSocket to a hub that accepts everything.
//! #[derive(Default)]
//! struct FakeHub { to_client: VecDeque<Vec<u8>> }
//! impl FakeHub {
//!     fn receive(&mut self, bytes: &[u8]) {
//!         let reply = match Frame::decode(bytes).unwrap() {
//!             Frame::Hello(_) => Frame::Welcome(Welcome {
//!                 version: 1, session: SessionId(1), heartbeat_ms: 0,
//!                 limits: Limits { max_frame_bytes: 1 << 20, max_rooms: 16,
//!                                  rate_frames_per_sec: 100, rate_bytes_per_sec: 1 << 20,
//!                                  rate_frame_burst: 200, rate_byte_burst: 2 << 20,
//!                                  max_payload_bytes: 1 << 19, max_presence_bytes: 4096,
//!                                  heartbeat_timeout_ms: 45_000 },
//!             }),
//!             Frame::Join(j) => Frame::Joined(Joined {
//!                 room: j.room, crdt: j.crdt, epoch: 1, start: 0, head: 0, acked_seq: 0,
//!                 writable: true, resync: false, snapshot: None,
//!             }),
//!             Frame::ClientDelta(d) => Frame::Ack(Ack { room: d.room, seq: d.seq, offset: Some(0) }),
//!             _ => return,
//!         };
//!         self.to_client.push_back(reply.encode());
//!     }
//! }
//!
//! let mut now = Instant::ZERO;
//! let mut client = Client::new(ClientConfig::new(ReplicaId(7)), now)?;
//! let room = RoomId::new("doc");
//! client.join(now, room.clone(), "gcounter")?;
//! client.submit(now, &room, Bytes::from_static(b"+1"))?; // queued while offline
//! client.connect(now);
//!
//! let mut hub = FakeHub::default();
//! let mut current = ConnectionId::default();
//! let mut acked = false;
//! for _ in 0..100 {
//!     let mut busy = false;
//!     while let Some(frame) = client.poll_transmit() {
//!         busy = true;
//!         hub.receive(&frame);
//!     }
//!     while let Some(cmd) = client.poll_transport() {
//!         busy = true;
//!         match cmd {
//!             TransportCommand::Open { conn } => {
//!                 current = conn; // a real driver starts a WebSocket connect here
//!                 client.handle_transport_open(now, conn);
//!             }
//!             TransportCommand::Close { .. } => hub = FakeHub::default(),
//!         }
//!     }
//!     while let Some(event) = client.poll_event() {
//!         busy = true;
//!         acked |= matches!(event, ClientEvent::DeltaAcked { seq: 1, .. });
//!     }
//!     if acked {
//!         break;
//!     }
//!     if busy {
//!         continue; // handling outputs may have produced more
//!     }
//!     // Idle: wait for the next frame or the deadline, whichever comes first.
//!     if let Some(bytes) = hub.to_client.pop_front() {
//!         client.handle_frame(now, current, &bytes);
//!     } else if let Some(deadline) = client.poll_timeout() {
//!         now = deadline;
//!         client.handle_timeout(now);
//!     }
//! }
//! assert!(acked);
//! assert_eq!(client.outbox_len(), 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

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
mod invariants;
mod join_timer;
mod merging;
mod metrics;
mod outbox;
mod outputs;
mod persist;
mod rejects;
mod rooms;
mod state;
mod timers;
mod transmit;

#[cfg(test)]
mod tests;

pub use config::{ClientConfig, ConfigError, MIN_FRAME_BYTES};
pub use error::{ClientError, DisconnectReason, RestoreError, SessionError};
pub use event::{ClientEvent, ConnectionId, TransportClosed, TransportCommand};
pub use heartbeat::MIN_HUB_HEARTBEAT;
pub use metrics::{ClientMetrics, ErrorCounts};
pub use persist::{PersistedDelta, PersistedRoom, PersistedState};
pub use rooms::{RoomInfo, RoomStatus};
pub use state::ClientState;

use std::collections::{BTreeMap, BTreeSet};

use crate::rng::Rng;
use crate::time::Instant;
use crate::wire::{ReplicaId, RoomId, Welcome};
use heartbeat::Heartbeat;
use outbox::Outbox;
use outputs::Outputs;
use rooms::Room;
use timers::TimerTable;

/// One replica's session with a hub. See the [module docs](self) for the API
/// families and the drain order.
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
    connected_since: Option<Instant>,
    hello_sent: bool,
    /// The current (or last) connection.
    conn: ConnectionId,
    /// When the current (or last) connection attempt started.
    attempt_started: Instant,
    /// The current connection is gone (reported closed or commanded closed).
    transport_gone: bool,
    rooms: BTreeMap<RoomId, Room>,
    /// Rooms left while connected whose `Leave` is not yet sent.
    leaving: BTreeSet<RoomId>,
    outbox: Outbox,
    out: Outputs,
    metrics: ClientMetrics,
}

impl Client {
    /// A disconnected client; call [`connect`](Client::connect) to start.
    pub fn new(config: ClientConfig, now: Instant) -> Result<Client, ConfigError> {
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
            connected_since: None,
            hello_sent: false,
            conn: ConnectionId(0),
            attempt_started: now,
            transport_gone: true,
            rooms: BTreeMap::new(),
            leaving: BTreeSet::new(),
            outbox: Outbox::new(config.outbox_max_deltas, config.outbox_max_bytes),
            out: Outputs::default(),
            metrics: ClientMetrics::default(),
            config,
        })
    }
}
