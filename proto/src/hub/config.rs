//! Hub configuration: limits, timeouts, the CRDT merger (room types, payload checks) and the
//! optional synchronous authorizer, plus validation ([`HubConfig::validate`]).

use core::fmt;
use core::time::Duration;
use std::sync::Arc;

use thiserror::Error;

use super::auth::Authorizer;
use super::defaults as d;
use crate::crdt::{DeltaMerger, Registry};
use crate::wire::Limits;

/// Everything a [`Hub`](super::Hub) needs to know up front. Start from
/// [`HubConfig::default`] and override fields; [`Hub::new`](super::Hub::new) validates.
#[derive(Clone)]
pub struct HubConfig {
    /// Seed of the hub's random generator (epochs). Same seed, same inputs: same outputs.
    pub seed: u64,
    /// Interval at which clients are told to send a frame (announced in `Welcome`).
    pub heartbeat_interval: Duration,
    /// A session silent for longer than this is closed with `HEARTBEAT_TIMEOUT`.
    pub heartbeat_timeout: Duration,
    /// A session that has not completed the handshake after this long is closed.
    pub handshake_timeout: Duration,
    /// Largest inbound frame, in bytes; larger frames are rejected `PAYLOAD_TOO_LARGE`.
    pub max_frame_bytes: usize,
    /// Largest delta payload, in bytes.
    pub max_payload_bytes: usize,
    /// Largest presence state (`SetPresence.state`), in bytes; larger ones are
    /// rejected `PAYLOAD_TOO_LARGE` with the room and not relayed.
    pub max_presence_bytes: usize,
    /// Most members a room lists peer by peer (`Peers` frames, PROTOCOL.md §3.12);
    /// a larger room tells its members only the count and relays no presence, until
    /// it has at most half this many members again.
    pub max_presence_members: usize,
    /// Least time between two member counts sent to the members of a summarised room.
    pub presence_summary_interval: Duration,
    /// Largest `Hello.user_info`, in bytes; a larger one refuses the handshake
    /// (`Reject{PAYLOAD_TOO_LARGE}`, close `MESSAGE_TOO_BIG`). It is relayed to every
    /// peer in `PeerJoined`, so it is kept small.
    pub max_user_info_bytes: usize,
    /// Most sessions at once; further sessions are closed with `GOING_AWAY` at once.
    pub max_sessions: usize,
    /// Most rooms loaded at once, hub-wide; joins that need another are rejected `INTERNAL`.
    pub max_loaded_rooms: usize,
    /// Most rooms one session may join (or be joining) at once.
    pub max_rooms_per_session: usize,
    /// Sustained inbound frames per second per session.
    pub rate_frames_per_sec: u32,
    /// Inbound frame burst per session (token bucket capacity).
    pub rate_frame_burst: u32,
    /// Sustained inbound bytes per second per session.
    pub rate_bytes_per_sec: u32,
    /// Inbound byte burst per session (token bucket capacity).
    pub rate_byte_burst: u32,
    /// Rate-limit rejections within `rate_strike_window` that close the session.
    pub rate_strikes_to_close: u32,
    /// Window over which rate-limit rejections are counted.
    pub rate_strike_window: Duration,
    /// Bound on a session's unflushed output, in bytes (see the slow-consumer docs).
    pub max_backlog_bytes: usize,
    /// Most entries per `DeltaBatch` frame (and per storage range load).
    pub batch_max_entries: usize,
    /// Most payload bytes per `DeltaBatch` frame (a single larger entry still goes alone).
    pub batch_max_bytes: usize,
    /// Most durable log entries a loaded room keeps in memory.
    pub max_tail_entries: usize,
    /// Most payload bytes of durable log entries a loaded room keeps in memory.
    pub max_tail_bytes: usize,
    /// Most appends in flight per room; further deltas are rejected `RATE_LIMITED`.
    pub max_pending_appends: usize,
    /// A room without members is unloaded after this long.
    pub room_idle_timeout: Duration,
    /// Bound of the operator event queue; the oldest event is dropped on overflow.
    pub max_events: usize,
    /// Knows the CRDT types rooms may have and checks each delta's payload against
    /// its room's type. The hub never merges with it: compaction folds happen in
    /// storage ([`StorageAction::Fold`](super::StorageAction::Fold)), whose backend
    /// must fold with the same merger (`MemoryStorage::set_merger`; the servers pass
    /// it to their backends). Default: the built-in CRDTs ([`Registry::with_builtin`]).
    pub merger: Arc<dyn DeltaMerger>,
    /// Answers authorization inline; `None` (or a deferred answer) makes the hub
    /// emit an [`AuthRequest`](super::AuthRequest) for the driver.
    pub authorizer: Option<Arc<dyn Authorizer>>,
    /// Shared-log mode: several hubs serve the same rooms over one log whose
    /// offsets the storage backend assigns ([`StorageAction::AppendShared`](super::StorageAction::AppendShared));
    /// the driver feeds entries appended elsewhere to `Hub::handle_appended`.
    /// The backend must support it (docs/MULTINODE.md). Off by default.
    pub shared_log: bool,
    /// Shared-log mode: this node's id on the news bus (unique per process run;
    /// news carrying it is its own and ignored).
    pub node_id: super::NodeId,
    /// Shared-log mode: how often the node publishes the roster of each room it
    /// serves members of; a node silent about a room for three intervals has its
    /// members there removed.
    pub roster_interval: Duration,
    /// Shared-log mode: most members of other nodes kept per room (further ones
    /// are not listed; counted in `peer_news_dropped`).
    pub max_remote_peers: usize,
    /// A bug planted on purpose (feature `test-hooks` only), see [`PlantedFault`].
    #[cfg(feature = "test-hooks")]
    pub planted: Option<super::PlantedFault>,
}

impl Default for HubConfig {
    /// The limits of [`defaults`](super::defaults) (stated in docs/PROTOCOL.md §7).
    fn default() -> Self {
        let ms = |v: u32| Duration::from_millis(u64::from(v));
        let size = |v: u32| v as usize;
        HubConfig {
            seed: 0x5EED,
            heartbeat_interval: ms(d::HEARTBEAT_INTERVAL_MS),
            heartbeat_timeout: ms(d::HEARTBEAT_TIMEOUT_MS),
            handshake_timeout: ms(d::HANDSHAKE_TIMEOUT_MS),
            max_frame_bytes: size(d::MAX_FRAME_BYTES),
            max_payload_bytes: size(d::MAX_PAYLOAD_BYTES),
            max_presence_bytes: size(d::MAX_PRESENCE_BYTES),
            max_user_info_bytes: size(d::MAX_USER_INFO_BYTES),
            max_presence_members: size(d::MAX_PRESENCE_MEMBERS),
            presence_summary_interval: ms(d::PRESENCE_SUMMARY_INTERVAL_MS),
            max_sessions: 10_000,
            max_loaded_rooms: 10_000,
            max_rooms_per_session: size(d::MAX_ROOMS_PER_SESSION),
            rate_frames_per_sec: d::RATE_FRAMES_PER_SEC,
            rate_frame_burst: d::RATE_FRAME_BURST,
            rate_bytes_per_sec: d::RATE_BYTES_PER_SEC,
            rate_byte_burst: d::RATE_BYTE_BURST,
            rate_strikes_to_close: d::RATE_STRIKES_TO_CLOSE,
            rate_strike_window: ms(d::RATE_STRIKE_WINDOW_MS),
            max_backlog_bytes: size(d::MAX_BACKLOG_BYTES),
            batch_max_entries: 256,
            batch_max_bytes: 128 * 1024,
            max_tail_entries: 4096,
            max_tail_bytes: 4 * 1024 * 1024,
            max_pending_appends: 1024,
            room_idle_timeout: Duration::from_secs(60),
            max_events: 4096,
            merger: Arc::new(Registry::with_builtin()),
            authorizer: None,
            shared_log: false,
            node_id: super::NodeId(0),
            roster_interval: Duration::from_secs(10),
            max_remote_peers: 10_000,
            #[cfg(feature = "test-hooks")]
            planted: None,
        }
    }
}

impl fmt::Debug for HubConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubConfig")
            .field("seed", &self.seed)
            .field("heartbeat_interval", &self.heartbeat_interval)
            .field("heartbeat_timeout", &self.heartbeat_timeout)
            .field("max_frame_bytes", &self.max_frame_bytes)
            .field("max_backlog_bytes", &self.max_backlog_bytes)
            .field("max_presence_bytes", &self.max_presence_bytes)
            .field("max_user_info_bytes", &self.max_user_info_bytes)
            .field("max_presence_members", &self.max_presence_members)
            .field("max_tail_entries", &self.max_tail_entries)
            .field("authorizer", &self.authorizer.is_some())
            .finish_non_exhaustive()
    }
}

/// Why a [`HubConfig`] was refused.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// A field has a value the hub cannot work with.
    #[error("invalid hub config: {field} {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
}

fn check(ok: bool, field: &'static str, reason: &'static str) -> Result<(), ConfigError> {
    if ok {
        Ok(())
    } else {
        Err(ConfigError::Invalid { field, reason })
    }
}

impl HubConfig {
    /// Checks that every limit is usable (non-zero, consistent, representable on the wire).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let nz = "must be non-zero";
        check(!self.heartbeat_interval.is_zero(), "heartbeat_interval", nz)?;
        check(
            self.heartbeat_timeout >= self.heartbeat_interval,
            "heartbeat_timeout",
            "must be at least heartbeat_interval",
        )?;
        check(
            self.heartbeat_interval.as_millis() <= u128::from(u32::MAX),
            "heartbeat_interval",
            "must fit u32 milliseconds",
        )?;
        check(!self.handshake_timeout.is_zero(), "handshake_timeout", nz)?;
        check(self.max_frame_bytes > 0, "max_frame_bytes", nz)?;
        check(
            u32::try_from(self.max_frame_bytes).is_ok(),
            "max_frame_bytes",
            "must fit u32",
        )?;
        check(self.max_payload_bytes > 0, "max_payload_bytes", nz)?;
        check(self.max_sessions > 0, "max_sessions", nz)?;
        check(
            !self.presence_summary_interval.is_zero(),
            "presence_summary_interval",
            nz,
        )?;
        check(self.max_loaded_rooms > 0, "max_loaded_rooms", nz)?;
        check(self.max_rooms_per_session > 0, "max_rooms_per_session", nz)?;
        check(
            u32::try_from(self.max_rooms_per_session).is_ok(),
            "max_rooms_per_session",
            "must fit u32",
        )?;
        check(self.rate_frames_per_sec > 0, "rate_frames_per_sec", nz)?;
        check(self.rate_frame_burst > 0, "rate_frame_burst", nz)?;
        check(self.rate_bytes_per_sec > 0, "rate_bytes_per_sec", nz)?;
        check(
            self.rate_byte_burst as usize >= self.max_frame_bytes,
            "rate_byte_burst",
            "must be at least max_frame_bytes",
        )?;
        check(self.rate_strikes_to_close > 0, "rate_strikes_to_close", nz)?;
        check(self.max_backlog_bytes > 0, "max_backlog_bytes", nz)?;
        check(self.batch_max_entries > 0, "batch_max_entries", nz)?;
        check(self.batch_max_bytes > 0, "batch_max_bytes", nz)?;
        check(self.max_tail_entries > 0, "max_tail_entries", nz)?;
        check(self.max_tail_bytes > 0, "max_tail_bytes", nz)?;
        check(self.max_pending_appends > 0, "max_pending_appends", nz)?;
        check(self.max_events > 0, "max_events", nz)?;
        check(!self.roster_interval.is_zero(), "roster_interval", nz)?;
        Ok(())
    }

    /// The limits announced to clients in `Welcome`.
    pub fn wire_limits(&self) -> Limits {
        let size = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        let ms = |v: Duration| u32::try_from(v.as_millis()).unwrap_or(u32::MAX);
        Limits {
            max_frame_bytes: size(self.max_frame_bytes),
            max_rooms: size(self.max_rooms_per_session),
            rate_frames_per_sec: self.rate_frames_per_sec,
            rate_bytes_per_sec: self.rate_bytes_per_sec,
            rate_frame_burst: self.rate_frame_burst,
            rate_byte_burst: self.rate_byte_burst,
            max_payload_bytes: size(self.max_payload_bytes),
            max_presence_bytes: size(self.max_presence_bytes),
            heartbeat_timeout_ms: ms(self.heartbeat_timeout),
        }
    }

    /// Heartbeat interval in whole milliseconds, as announced in `Welcome`.
    pub fn heartbeat_ms(&self) -> u32 {
        u32::try_from(self.heartbeat_interval.as_millis()).unwrap_or(u32::MAX)
    }
}
