//! The hub state machine: one [`Hub`] serves many sessions and never performs I/O.
//!
//! # API families
//!
//! * **Construction**: [`Hub::new`] with a [`HubConfig`] (validated, [`ConfigError`]).
//! * **Inputs** (`handle_*`, each takes `now`; time that goes backwards is clamped):
//!   [`Hub::handle_session_opened`] (the hub assigns the [`SessionId`](crate::wire::SessionId)),
//!   [`Hub::handle_frame`] (the payloads of accepted deltas are copied, so the hub
//!   never keeps a WebSocket library's read buffer alive), [`Hub::handle_session_closed`],
//!   [`Hub::handle_flushed`],
//!   [`Hub::handle_timeout`], [`Hub::handle_auth`], [`Hub::handle_storage`], and in
//!   shared-log mode (several hubs, one log: [`HubConfig::shared_log`])
//!   [`Hub::handle_appended`] for entries other nodes appended and
//!   [`Hub::handle_peer_news`] for their members (`remote_peers`).
//! * **Outputs**: [`Hub::poll_output`], the one way out — [`HubOutput`]s (frames to
//!   write, sessions to close, storage actions, authentication requests, operator
//!   events) in an order that is legal by construction ([`output`] says how), so the
//!   driver performs each as it comes; and [`Hub::poll_timeout`], the one deadline at
//!   which to call `handle_timeout`.
//! * **Getters**: [`Hub::metrics`], [`Hub::backlog`], [`Hub::room_position`],
//!   [`Hub::room_members`], ...; with the `test-hooks` feature, `Hub::check_invariants`.
//!
//! # Driver loop
//!
//! ```
//! use syncwire_proto::hub::{Hub, HubConfig, HubOutput, MemoryStorage, AllowAll};
//! use syncwire_proto::wire::{Frame, Hello};
//! use syncwire_proto::Instant;
//! use std::sync::Arc;
//!
//! let config = HubConfig { authorizer: Some(Arc::new(AllowAll)), ..HubConfig::default() };
//! let mut hub = Hub::new(config, Instant::ZERO).unwrap();
//! let mut storage = MemoryStorage::new();
//! let now = Instant::from_millis(1);
//! // A socket was accepted; then a message arrived on it.
//! let session = hub.handle_session_opened(now);
//! let hello = Frame::Hello(Hello { versions: syncwire_proto::wire::SUPPORTED_VERSIONS.to_vec(), replica: Default::default(), token: None, user_info: None });
//! hub.handle_frame(now, session, &hello.encode());
//! // Perform every output as it comes, until there is none.
//! while let Some(output) = hub.poll_output() {
//!     match output {
//!         HubOutput::Transmit { session, frames } => {
//!             // socket(session).write(frames) ... then report what reached the socket:
//!             let bytes = frames.iter().map(|f| f.len()).sum();
//!             hub.handle_flushed(session, bytes);
//!         }
//!         HubOutput::Close { .. } => { /* close the socket with the code */ }
//!         HubOutput::Storage(action) => {
//!             // A real backend runs this asynchronously and reports when it completes.
//!             let done = storage.execute(action);
//!             hub.handle_storage(now, done);
//!         }
//!         HubOutput::Auth(_request) => { /* ask the app, then hub.handle_auth(..) */ }
//!         HubOutput::Publish(_news) => { /* several nodes: to the bus (news.encode()) */ }
//!         HubOutput::Event(_event) => { /* log / count */ }
//!     }
//! }
//! // Then sleep until the next message, storage completion, or this deadline
//! // (checking `now >= deadline` itself before calling `handle_timeout`):
//! let _deadline = hub.poll_timeout();
//! assert_eq!(hub.session_count(), 1);
//! ```
//!
//! # Protocol rules the hub implements
//!
//! * **Handshake**: the first frame must be `Hello` (`Ping` is answered at any time;
//!   anything else is rejected `UNEXPECTED_FRAME`). The hub picks the highest version
//!   in both the offer and [`SUPPORTED_VERSIONS`](crate::wire::SUPPORTED_VERSIONS), or
//!   rejects `UNSUPPORTED_VERSION` and closes. The authorizer decides inline or defers
//!   ([`AuthRequest`] → [`Hub::handle_auth`]); a refusal is `Reject{UNAUTHORIZED}` +
//!   close. A `user_info` over `max_user_info_bytes` is `Reject{PAYLOAD_TOO_LARGE}` +
//!   close `MESSAGE_TOO_BIG`. A replica id outside the identity's [`ReplicaGrant`] is
//!   `Reject{REPLICA_FORBIDDEN}` + close `REPLICA_FORBIDDEN`. One live session per
//!   replica: a session completing the handshake with the replica id of a welcomed
//!   session replaces it (`Reject{REPLICA_IN_USE}` + close `REPLACED` for the old one,
//!   which leaves its rooms). The session is bound to the `Hello`'s replica: deltas
//!   naming another replica are rejected `REPLICA_MISMATCH`. No `Welcome` within
//!   `handshake_timeout`: close `HANDSHAKE_TIMEOUT`.
//! * **Rooms** load on first join (joins queue until storage answers), keep one CRDT
//!   type (`CRDT_MISMATCH` otherwise) and unload after `room_idle_timeout` without
//!   members. Only types the configured merger accepts
//!   ([`DeltaMerger::accepts_type`](crate::crdt::DeltaMerger::accepts_type): a
//!   registry's registered types) can be joined (`CRDT_MISMATCH` otherwise). A room
//!   storage does not hold is created only by the join of a session with write access;
//!   when none of the joins waiting for the load may write, they are rejected
//!   `FORBIDDEN` and nothing is created. A new room (storage has no history) gets a fresh non-zero epoch from the
//!   seeded generator; the epoch stays as long as storage keeps the history.
//! * **Joined** carries epoch, `start`, `head` (durable), `acked_seq`, `writable`,
//!   `resync` and `snapshot` per the [resume rules](resume); the entries `start..head`
//!   follow as `DeltaBatch` frames, then live `HubDelta`s. Who is in the room is
//!   told in `Peers` frames batched per turn (`hub/peers.rs`, PROTOCOL.md §3.12):
//!   the joiner gets the whole list (with presence) at the end of the turn, the
//!   members one frame with everyone who came and went. A fresh join (no `resume`)
//!   is not a resync but still carries the snapshot when the log prefix was
//!   compacted.
//! * **Deltas** are deduplicated per room by (replica, seq) against the highest sequence
//!   accepted so far (appends in flight included): a duplicate of a durable delta is
//!   re-acked (`Ack` with `offset: None`), a duplicate of one in flight is acked when it
//!   becomes durable; a new sequence must follow the highest accepted one (else
//!   `Reject{SEQ_GAP}`, PROTOCOL.md §8.1). A new delta's payload must decode
//!   as the room's CRDT type (`DeltaMerger::validate` of the configured merger;
//!   otherwise `Reject{MALFORMED, room, seq}`, nothing logged, the session stays open).
//!   It then gets the next offset and an `Append` action. Only once durable (in log
//!   order) is it delivered: at that point of log order the origin's sessions get an
//!   `Ack` (cumulative seq, plus the entry's offset) and the other members a
//!   `HubDelta`, so a member in step with the log sees every offset once. A member's
//!   own deltas are not echoed live; they do appear in catch-up batches
//!   (`DeltaBatch`), where clients recognise them by replica id.
//! * **Sequence table**: per room, one entry (16 bytes) per replica that ever wrote to
//!   it, kept in memory while the room is loaded and stored with every snapshot. It is
//!   not capped — dropping an entry would break deduplication — so its size is bounded
//!   by the number of distinct writing replicas; deployments bound that through the
//!   authorizer (who may write to a room).
//! * **Slow consumers**: each session's backlog (bytes queued or handed to the driver
//!   and not yet reported by [`Hub::handle_flushed`]) is bounded by `max_backlog_bytes`.
//!   Deltas that do not fit are not queued: the member falls behind and is caught up
//!   from the log (memory tail or storage ranges) as the backlog drains, so slow
//!   readers cost O(1) memory. Presence that does not fit is not queued; the member
//!   gets the latest state of the peers it missed as it drains. Any other frame
//!   that does not fit closes the session with `SLOW_CONSUMER` (it resumes from its
//!   offset).
//! * **Protection**: frames over `max_frame_bytes` → `PAYLOAD_TOO_LARGE`; undecodable
//!   frames → `MALFORMED` + close; token buckets on frames and bytes → `RATE_LIMITED`
//!   (the frame is dropped; `rate_strikes_to_close` within `rate_strike_window` closes
//!   `RATE_LIMITED`); appends beyond `max_pending_appends` per room → `RATE_LIMITED`
//!   with the seq (re-send later). Every rejection is a `Reject` frame with a code.
//! * **Heartbeat**: any frame counts as liveness; silence beyond `heartbeat_timeout`
//!   closes `HEARTBEAT_TIMEOUT`; pings are answered with pongs.
//! * **Storage failures**: a failed load rejects its pending joins `INTERNAL`; a failed
//!   create, append or fold (a fold declined with `StorageError::fold_busy` is not a
//!   failure) drops the room from memory and closes its members with
//!   `INTERNAL_ERROR`, so they resume against what storage really holds: a failed
//!   write may have taken effect with only its reply lost.
//!
//! Storage itself is described in [`storage`] (the backend contract) and implemented
//! for tests by [`MemoryStorage`]; compaction in [`compaction`].

mod auth;
mod backlog;
mod catch_up;
mod checked;
pub mod compaction;
mod completion;
mod config;
pub mod defaults;
mod delta;
mod events;
pub mod fold;
mod frames;
mod handshake;
mod inbound;
#[cfg(any(test, feature = "test-hooks"))]
mod invariants;
mod join;
mod lifecycle;
pub(crate) mod limits;
mod live;
mod loading;
mod log;
mod memory_storage;
mod metrics;
mod news_out;
mod op_map;
pub mod output;
mod peer_news;
mod peers;
mod peers_frames;
#[cfg(feature = "test-hooks")]
mod planted;
mod presence;
mod record;
mod refresh;
mod remote_peers;
pub mod resume;
mod room;
mod session;
mod shared_log;
mod state;
pub mod storage;
mod timers;
mod transmit;

pub use auth::{
    Access, AccessRule, AllowAll, AuthDecision, AuthError, AuthRequest, Authorizer, Identity,
    ReplicaGrant,
};
pub use config::{ConfigError, HubConfig};
pub use events::HubEvent;
pub use fold::fold_snapshot;
pub use frames::{Frames, IntoIter as FramesIntoIter};
pub use handshake::HubError;
pub use memory_storage::MemoryStorage;
pub use metrics::HubMetrics;
pub use news_out::{MAX_NEWS_BYTES, MAX_NEWS_QUEUED};
pub use output::HubOutput;
pub use peer_news::{NewsError, NodeId, NodeNews, PeerNews};
#[cfg(feature = "test-hooks")]
pub use planted::PlantedFault;
pub use state::{Hub, MAX_SAFE_INTEGER};
pub use storage::{
    AppendOutcome, NewEntry, OpId, RoomRecord, StorageAction, StorageCompletion, StorageError,
    StoredEntry, StoredSnapshot,
};

#[cfg(test)]
mod tests;
