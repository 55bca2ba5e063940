//! Field types shared by the frames: replica, session and room ids, log positions,
//! session limits, and the length bounds of text fields.

use core::fmt;
use std::sync::Arc;

/// Protocol versions this build speaks, newest first.
pub const SUPPORTED_VERSIONS: &[u32] = &[2];

/// Longest room id, in bytes of UTF-8.
pub const MAX_ROOM_ID_LEN: usize = 256;
/// Longest CRDT type tag, in bytes of UTF-8.
pub const MAX_CRDT_TAG_LEN: usize = 64;
/// Longest token, in bytes of UTF-8.
pub const MAX_TOKEN_LEN: usize = 4096;
/// Longest human-readable message in a `Reject`, in bytes of UTF-8.
pub const MAX_MESSAGE_LEN: usize = 1024;
/// Most protocol versions a `Hello` may offer.
pub const MAX_OFFERED_VERSIONS: usize = 16;
/// Largest snapshot a hub sends in a `Joined`: the largest state a fold makes
/// (`crdt::codec::MAX_ENCODED_BYTES`), 8 MiB.
pub const MAX_SNAPSHOT_BYTES: usize = 8 << 20;
/// Largest `Joined` a client must accept whatever its own frame limit
/// (PROTOCOL.md §7): a snapshot of [`MAX_SNAPSHOT_BYTES`] and the other fields.
pub const MAX_JOINED_BYTES: usize = MAX_SNAPSHOT_BYTES + 2048;

/// Identifies a replica (one document instance: a tab, an app process). Chosen by the client.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Default)]
pub struct ReplicaId(pub u64);

impl ReplicaId {
    /// The largest fresh replica id the drivers draw: 2^53 − 1, the largest integer a
    /// JavaScript number holds exactly, so a browser application can read, store and
    /// pass back any fresh id unchanged.
    pub const MAX_FRESH: u64 = (1 << 53) - 1;

    /// The fresh replica id for 64 random bits: one of `1..=`[`Self::MAX_FRESH`],
    /// uniformly (to within 2^-53) when `random` is. Pure; the caller brings the randomness.
    pub fn fresh_from_random(random: u64) -> ReplicaId {
        ReplicaId(random % Self::MAX_FRESH + 1)
    }
}

/// Identifies one session (connection) on a hub; also names a peer in presence frames.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Default)]
pub struct SessionId(pub u64);

/// A room name: UTF-8, at most [`MAX_ROOM_ID_LEN`] bytes. Cheap to clone.
///
/// Compared, ordered and hashed as its name; clones of one id compare equal without
/// looking at the bytes.
#[derive(Clone, Eq)]
pub struct RoomId(Arc<str>);

impl std::hash::Hash for RoomId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl PartialEq for RoomId {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl Ord for RoomId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        if Arc::ptr_eq(&self.0, &other.0) {
            return std::cmp::Ordering::Equal;
        }
        self.0.cmp(&other.0)
    }
}

impl PartialOrd for RoomId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl RoomId {
    /// A room id from a string (length is checked where ids enter the system).
    pub fn new(name: &str) -> Self {
        RoomId(Arc::from(name))
    }
    /// The room name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Rooms are ordered, compared and hashed as their names, so maps keyed by
/// `RoomId` can be searched with a `&str`.
impl std::borrow::Borrow<str> for RoomId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<&str> for RoomId {
    fn from(s: &str) -> Self {
        RoomId::new(s)
    }
}

impl fmt::Debug for RoomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for RoomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A position in a room's log: the epoch and the next offset the replica expects
/// (equivalently, how many entries of that epoch it has).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct Position {
    /// Log generation; changes when the room's history is lost or reset.
    pub epoch: u64,
    /// Next offset expected (entries `0..offset` have been received).
    pub offset: u64,
}

/// Limits the hub announces in its `Welcome`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Limits {
    /// Largest frame the hub accepts, in bytes.
    pub max_frame_bytes: u32,
    /// Most rooms one session may join at once.
    pub max_rooms: u32,
    /// Sustained frames per second allowed per session.
    pub rate_frames_per_sec: u32,
    /// Sustained bytes per second allowed per session.
    pub rate_bytes_per_sec: u32,
    /// Frames a session may send at once above the sustained rate (bucket capacity).
    pub rate_frame_burst: u32,
    /// Bytes a session may send at once above the sustained rate (bucket capacity).
    pub rate_byte_burst: u32,
    /// Largest delta payload the hub accepts, in bytes.
    pub max_payload_bytes: u32,
    /// Largest presence state the hub accepts, in bytes.
    pub max_presence_bytes: u32,
    /// Silence after which the hub closes the session (4010), in milliseconds.
    pub heartbeat_timeout_ms: u32,
}
