//! Saving a session in the browser: a [`SavedSession`] (rooms, positions, outbox
//! and each room's document) encoded as CBOR, hex-encoded into one
//! `localStorage` entry, so a reload keeps unacknowledged changes and resumes
//! every room from its offset.
//!
//! The entry also records the replica id: a client without a replica id of its own
//! (a fresh one by default) continues as the saved replica, and state saved by
//! another replica than a configured one is never restored (sequence numbers and
//! CRDT entries belong to their replica). A write that the browser
//! refuses (quota) leaves the previous entry and is counted by the caller.

use serde::{Deserialize, Serialize};
use syncwire_driver_core::{SavedDoc, SavedSession};
use syncwire_proto::client::{PersistedDelta, PersistedRoom, PersistedState};
use syncwire_proto::wire::{Position, ReplicaId, RoomId};

/// Format version of the stored entry.
const FORMAT: u32 = 1;

/// Largest stored entry accepted when loading (characters; localStorage quotas are
/// about 5 MB per origin anyway).
pub const MAX_STORED_CHARS: usize = 32 << 20;

#[derive(Serialize, Deserialize)]
struct Stored {
    format: u32,
    replica: u64,
    rooms: Vec<StoredRoom>,
}

#[derive(Serialize, Deserialize)]
struct StoredRoom {
    room: String,
    crdt: String,
    next_seq: u64,
    position: Option<(u64, u64)>,
    outbox: Vec<StoredDelta>,
    #[serde(with = "serde_bytes")]
    doc: Option<Vec<u8>>,
}

#[derive(Serialize, Deserialize)]
struct StoredDelta {
    seq: u64,
    #[serde(with = "serde_bytes")]
    payload: Vec<u8>,
}

/// Why a stored entry could not be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LoadError {
    /// Not hex, not CBOR, or not the expected shape.
    #[error("stored session is corrupt: {0}")]
    Corrupt(String),
    /// Written by another format version.
    #[error("stored session has format {0}")]
    Format(u32),
    /// Saved by another replica.
    #[error("stored session belongs to replica {0}")]
    OtherReplica(u64),
}

/// Encodes `saved` as the text stored in the browser. State without a replica id is
/// stored as replica 0, which no client restores.
pub fn encode(saved: &SavedSession) -> String {
    let replica = saved.replica.unwrap_or(ReplicaId(0));
    let rooms = saved
        .client
        .rooms
        .iter()
        .map(|r| StoredRoom {
            room: r.room.as_str().to_owned(),
            crdt: r.crdt.clone(),
            next_seq: r.next_seq,
            position: r.position.map(|p| (p.epoch, p.offset)),
            outbox: r
                .outbox
                .iter()
                .map(|d| StoredDelta {
                    seq: d.seq,
                    payload: d.payload.to_vec(),
                })
                .collect(),
            doc: saved
                .docs
                .iter()
                .find(|d| d.room == r.room)
                .map(|d| d.state.clone()),
        })
        .collect();
    let stored = Stored {
        format: FORMAT,
        replica: replica.0,
        rooms,
    };
    let mut bytes = Vec::new();
    // Writing plain data to a Vec cannot fail.
    let _ = ciborium::into_writer(&stored, &mut bytes);
    hex_encode(&bytes)
}

/// Decodes text written by [`encode`]; with `expected`, state of another replica is
/// refused.
pub fn decode(expected: Option<ReplicaId>, text: &str) -> Result<SavedSession, LoadError> {
    if text.len() > MAX_STORED_CHARS {
        return Err(LoadError::Corrupt("too large".into()));
    }
    let bytes = hex_decode(text).ok_or_else(|| LoadError::Corrupt("not hex".into()))?;
    let stored: Stored =
        ciborium::from_reader(&bytes[..]).map_err(|e| LoadError::Corrupt(e.to_string()))?;
    if stored.format != FORMAT {
        return Err(LoadError::Format(stored.format));
    }
    if stored.replica == 0 || expected.is_some_and(|r| r.0 != stored.replica) {
        return Err(LoadError::OtherReplica(stored.replica));
    }
    let mut saved = SavedSession {
        replica: Some(ReplicaId(stored.replica)),
        ..SavedSession::default()
    };
    for r in stored.rooms {
        let room = RoomId::new(&r.room);
        if let Some(state) = r.doc {
            saved.docs.push(SavedDoc {
                room: room.clone(),
                state,
            });
        }
        saved.client.rooms.push(PersistedRoom {
            room,
            crdt: r.crdt,
            next_seq: r.next_seq,
            position: r.position.map(|(epoch, offset)| Position { epoch, offset }),
            outbox: r
                .outbox
                .into_iter()
                .map(|d| PersistedDelta {
                    seq: d.seq,
                    payload: d.payload.into(),
                })
                .collect(),
        });
    }
    Ok(saved)
}

/// An empty state (nothing joined): what a fresh page starts from.
pub fn empty() -> SavedSession {
    SavedSession {
        replica: None,
        client: PersistedState::default(),
        docs: Vec::new(),
    }
}

fn hex_encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| {
        char::from(c)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    let raw = text.as_bytes();
    if raw.len() % 2 != 0 {
        return None;
    }
    raw.chunks_exact(2)
        .map(|p| Some((digit(p[0])? << 4) | digit(p[1])?))
        .collect()
}

#[cfg(test)]
#[path = "tests/persist.rs"]
mod tests;
