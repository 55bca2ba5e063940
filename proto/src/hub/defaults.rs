//! The hub's default limits: the one place they are written down in code.
//!
//! [`HubConfig::default`](super::HubConfig) and the `syncwire serve` flags take
//! their defaults from here, and docs/PROTOCOL.md §7 states the same numbers (a
//! test in `hub/tests/spec_defaults.rs` compares the spec's table with the
//! `Welcome` of a default hub, and a server-side test does the same for the binary).
//!
//! Why these values (a production deployment's expectations, not a demo's):
//!
//! * **Frames**: 1 MiB, as Socket.IO's `maxHttpBufferSize` (1e6). A delta payload may
//!   take all of it but 1 KiB, which leaves room for the largest `HubDelta` envelope
//!   (room name ≤ 256 bytes, CRDT tag ≤ 64, five 64-bit integers), so every accepted
//!   delta can be broadcast in a frame no larger than the limit.
//! * **Rate**: 10,000 frames/s sustained with a burst of 20,000 per session: one
//!   session can publish a live feed (market ticks, telemetry, cursors of many users
//!   relayed by one server-side writer) at 10,000 deltas/s. Centrifugo and Socket.IO
//!   do not rate-limit clients by default at all; the limit is there to stop a
//!   runaway loop, which it still does within two seconds.
//!   Bytes: 4 MiB/s sustained (10,000 deltas/s of up to ~400 bytes each, or four
//!   maximum-size frames per second) with an 8 MiB burst: the byte burst must be at
//!   least the frame limit, or a maximal frame could never pass. Tune both per
//!   deployment (`syncwire serve --rate-*`).
//! * **Strikes**: 20 rate-limit rejections within 10 s close the session (4004): a
//!   client that honours `Reject rate_limited` by backing off never gets there.
//! * **Rooms**: 64 per session (Centrifugo's `client_channel_limit` is 128).
//! * **Backlog**: 1 MiB of unflushed output per session, Centrifugo's
//!   `client_queue_max_size` default; deltas never exceed it (they are caught up from
//!   the log instead), and one frame always fits an empty backlog.
//! * **Heartbeat**: a frame at least every 15 s, timeout three intervals (45 s): two
//!   pings may be lost before a session is declared dead. (Socket.IO: 25 s + 20 s.)
//! * **Handshake**: 10 s from the WebSocket upgrade to `Welcome`.
//! * **Presence**: 4 KiB per presence state (cursors and selections, not documents).
//!   Rooms of up to 256 members are listed peer by peer; larger rooms are summarised
//!   by their member count, sent at most once a second (a list of thousands of
//!   avatars is not a UI anyone reads, and keeping it costs every member O(N)).

/// Largest inbound frame, in bytes (1 MiB).
pub const MAX_FRAME_BYTES: u32 = 1024 * 1024;

// The client's default inbound limit is the hub's: a default client takes every frame
// a default hub sends for an accepted delta.
const _: () = assert!(MAX_FRAME_BYTES as usize == crate::wire::DEFAULT_MAX_FRAME_BYTES);
/// Largest delta payload, in bytes: the frame limit minus 1 KiB of envelope.
pub const MAX_PAYLOAD_BYTES: u32 = MAX_FRAME_BYTES - 1024;
/// Largest presence state, in bytes.
pub const MAX_PRESENCE_BYTES: u32 = 4 * 1024;
/// Most members a room lists peer by peer in `Peers` frames; above, only the count.
pub const MAX_PRESENCE_MEMBERS: u32 = 256;
/// Least time between two member counts sent to a summarised room, in milliseconds.
pub const PRESENCE_SUMMARY_INTERVAL_MS: u32 = 1_000;
/// Largest `Hello.user_info`, in bytes (shown to every peer of every room joined).
pub const MAX_USER_INFO_BYTES: u32 = 1024;
/// Most rooms one session may be in (or joining) at once.
pub const MAX_ROOMS_PER_SESSION: u32 = 64;
/// Sustained inbound frames per second per session.
pub const RATE_FRAMES_PER_SEC: u32 = 10_000;
/// Inbound frame burst per session (token bucket capacity).
pub const RATE_FRAME_BURST: u32 = 20_000;
/// Sustained inbound bytes per second per session.
pub const RATE_BYTES_PER_SEC: u32 = 4 * 1024 * 1024;
/// Inbound byte burst per session (token bucket capacity).
pub const RATE_BYTE_BURST: u32 = 8 * 1024 * 1024;
/// Rate-limit rejections within [`RATE_STRIKE_WINDOW_MS`] that close the session.
pub const RATE_STRIKES_TO_CLOSE: u32 = 20;
/// Window over which rate-limit rejections are counted, in milliseconds.
pub const RATE_STRIKE_WINDOW_MS: u32 = 10_000;
/// Bound on a session's unflushed output, in bytes.
pub const MAX_BACKLOG_BYTES: u32 = 1024 * 1024;
/// Interval at which clients must send a frame, in milliseconds.
pub const HEARTBEAT_INTERVAL_MS: u32 = 15_000;
/// Silence after which the hub closes a session (`4010`), in milliseconds.
pub const HEARTBEAT_TIMEOUT_MS: u32 = 3 * HEARTBEAT_INTERVAL_MS;
/// Time from session open to `Welcome` after which the hub closes (`4012`), in ms.
pub const HANDSHAKE_TIMEOUT_MS: u32 = 10_000;
