//! The [`Hub`] struct: its state, constructor, output drains and getters. The input
//! handlers live in the files named after what they handle.

use std::collections::{BTreeMap, VecDeque};

use bytes::Bytes;

use super::auth::AuthRequest;
use super::config::{ConfigError, HubConfig};
use super::events::{EventQueue, HubEvent};
use super::metrics::HubMetrics;
use super::op_map::OpMap;
use super::peer_news::NodeNews;
use super::remote_peers::FIRST_ALIAS;
use super::room::Room;
use super::session::Session;
use super::storage::{OpId, StorageAction};
use super::timers::Timers;
use super::transmit::Cursor;
use crate::rng::Rng;
use crate::time::Instant;
use crate::wire::{CloseCode, ReplicaId, RoomId, SessionId};

/// What a storage operation in flight was for.
#[derive(Clone, Debug)]
pub(crate) enum OpKind {
    Load,
    Create,
    /// Shared-log mode: the room is created before anyone joins it (another node
    /// may have created it first); it becomes loaded with this type and epoch.
    CreateShared {
        crdt: String,
        epoch: u64,
    },
    Append,
    /// Shared-log mode: an append whose offsets the backend assigns.
    AppendShared,
    Range {
        session: SessionId,
        from: u64,
    },
    /// Shared-log mode: the room's record loaded again for its snapshot.
    Refresh,
    /// Shared-log mode: a read filling the log (a hole, or catching up for joins).
    Fill {
        from: u64,
        number: u64,
    },
    Fold {
        to: u64,
    },
}

/// A storage operation in flight.
#[derive(Clone, Debug)]
pub(crate) struct PendingOp {
    pub(crate) room: RoomId,
    pub(crate) incarnation: u64,
    pub(crate) issued: Instant,
    pub(crate) kind: OpKind,
}

/// The hub state machine. See the [module docs](super) for the driver loop.
pub struct Hub {
    pub(crate) config: HubConfig,
    pub(crate) now: Instant,
    pub(crate) rng: Rng,
    pub(crate) next_session: u64,
    pub(crate) next_op: u64,
    pub(crate) next_incarnation: u64,
    /// Boxed: sequential ids leave the map's nodes about half full, and a slot is a
    /// pointer rather than a whole `Session` (≈ 150 bytes less per session).
    pub(crate) sessions: BTreeMap<SessionId, Box<Session>>,
    pub(crate) rooms: BTreeMap<RoomId, Room>,
    /// The live (welcomed) session of each replica id: one per replica.
    pub(crate) replicas: BTreeMap<ReplicaId, SessionId>,
    pub(crate) ops: OpMap,
    /// Sessions with frames queued (`Session::out`), in the order their first frame
    /// was queued; a torn-down session's frames wait in `orphans`.
    pub(crate) ready: VecDeque<SessionId>,
    pub(crate) orphans: Vec<(SessionId, Vec<Bytes>)>,
    /// The batch `poll_transmit` is handing out frame by frame.
    pub(crate) current: Option<Cursor>,
    pub(crate) closes: VecDeque<(SessionId, CloseCode)>,
    pub(crate) to_close: Vec<SessionId>,
    pub(crate) storage: VecDeque<StorageAction>,
    pub(crate) auth: VecDeque<AuthRequest>,
    pub(crate) events: EventQueue,
    pub(crate) timers: Timers,
    pub(crate) metrics: HubMetrics,
    /// Rooms whose membership changes wait for the turn's flush ([`super::peers`]).
    pub(crate) peers_due: Vec<RoomId>,
    /// Rooms with entries that became durable this turn, delivered live at its end.
    pub(crate) live_due: Vec<RoomId>,
    /// The next alias for a member of another node (counting down, [`super::remote_peers`]).
    pub(crate) next_alias: u64,
    /// News for the other nodes, handed out as `HubOutput::Publish` (bounded).
    pub(crate) news: VecDeque<NodeNews>,
}

impl Hub {
    /// A hub with no sessions and no rooms. Fails if `config` does not validate.
    pub fn new(config: HubConfig, now: Instant) -> Result<Hub, ConfigError> {
        config.validate()?;
        let mut hub = Hub {
            rng: Rng::new(config.seed),
            events: EventQueue::new(config.max_events),
            config,
            now,
            next_session: 1,
            next_op: 1,
            next_incarnation: 1,
            sessions: BTreeMap::new(),
            rooms: BTreeMap::new(),
            replicas: BTreeMap::new(),
            ops: OpMap::default(),
            ready: VecDeque::new(),
            orphans: Vec::new(),
            current: None,
            closes: VecDeque::new(),
            to_close: Vec::new(),
            storage: VecDeque::new(),
            auth: VecDeque::new(),
            timers: Timers::default(),
            peers_due: Vec::new(),
            live_due: Vec::new(),
            metrics: HubMetrics::default(),
            next_alias: FIRST_ALIAS,
            news: VecDeque::new(),
        };
        hub.arm_rosters();
        Ok(hub)
    }

    /// The next session to close, with its code, after its queued frames were sent.
    pub(crate) fn poll_close(&mut self) -> Option<(SessionId, CloseCode)> {
        self.closes.pop_front()
    }

    /// The next storage action to execute.
    pub(crate) fn poll_storage(&mut self) -> Option<StorageAction> {
        self.storage.pop_front()
    }

    /// The next authentication the driver must decide (answer with [`Hub::handle_auth`]).
    pub(crate) fn poll_auth(&mut self) -> Option<AuthRequest> {
        self.auth.pop_front()
    }

    /// The next operator event.
    pub(crate) fn poll_event(&mut self) -> Option<HubEvent> {
        self.events.pop()
    }

    /// The earliest deadline at which [`Hub::handle_timeout`] must be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next_deadline().map(|t| t.max(self.now))
    }

    /// Counters and gauges.
    pub fn metrics(&self) -> HubMetrics {
        let mut m = self.metrics.clone();
        m.sessions = self.sessions.len();
        m.rooms = self.rooms.len();
        m.events_dropped = self.events.dropped;
        m
    }

    /// The configuration in use.
    pub fn config(&self) -> &HubConfig {
        &self.config
    }

    /// Number of open sessions (including those in the handshake).
    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// Number of rooms loaded or loading.
    pub fn room_count(&self) -> usize {
        self.rooms.len()
    }

    /// A session's unflushed output in bytes, if the session exists.
    pub fn backlog(&self, session: SessionId) -> Option<usize> {
        self.sessions.get(&session).map(|s| s.backlog)
    }

    /// A loaded room's epoch and durable head.
    pub fn room_position(&self, room: &RoomId) -> Option<(u64, u64)> {
        let r = self.rooms.get(room)?.loaded()?;
        Some((r.epoch, r.log.durable_head()))
    }

    /// How many durable entries a loaded room holds in memory.
    #[cfg(test)]
    pub(crate) fn room_tail_len(&self, room: &RoomId) -> Option<usize> {
        Some(self.rooms.get(room)?.loaded()?.log.tail_len())
    }

    /// The sessions that are members of a loaded room.
    pub fn room_members(&self, room: &RoomId) -> Vec<SessionId> {
        self.rooms
            .get(room)
            .and_then(Room::loaded)
            .map(|r| r.members.keys().copied().collect())
            .unwrap_or_default()
    }

    /// Storage operations in flight.
    pub fn pending_storage_ops(&self) -> usize {
        self.ops.len()
    }

    pub(crate) fn alloc_op(&mut self, room: &RoomId, incarnation: u64, kind: OpKind) -> OpId {
        let op = OpId(self.next_op);
        self.next_op = self.next_op.saturating_add(1);
        let pending = PendingOp {
            room: room.clone(),
            incarnation,
            issued: self.now,
            kind,
        };
        self.ops.insert(op, pending);
        op
    }

    /// A fresh epoch from the seeded generator, uniform in `1..=MAX_SAFE_INTEGER`:
    /// never 0, and exact in a JavaScript number (docs/PROTOCOL.md §2).
    pub(crate) fn new_epoch(&mut self) -> u64 {
        self.rng.below_inclusive(MAX_SAFE_INTEGER - 1) + 1
    }
}

/// 2^53 − 1, the largest integer a JavaScript number holds exactly: every integer
/// the hub generates (epochs, session ids) stays at or below it.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;
