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

use syncwire_driver_core::{SavedDoc, SavedSession};
use syncwire_proto::client::{PersistedDelta, PersistedRoom, PersistedState};
use syncwire_proto::wire::{Position, ReplicaId, RoomId};

use crate::cbor::Item;

/// Format version of the stored entry.
const FORMAT: u32 = 1;

/// Largest stored entry accepted when loading (characters; localStorage quotas are
/// about 5 MB per origin anyway).
pub const MAX_STORED_CHARS: usize = 32 << 20;

// The entry is a CBOR map (`crate::cbor`, the shape serde gave it):
// { format, replica, rooms: [{ room, crdt, next_seq, position: [epoch, offset] | null,
//   outbox: [{ seq, payload: bytes }], doc: bytes | null }] }

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
    let text = |s: &str| Item::Text(s.to_owned());
    let field = |k: &str, v: Item| (text(k), v);
    let replica = saved.replica.unwrap_or(ReplicaId(0));
    let rooms = saved
        .client
        .rooms
        .iter()
        .map(|r| {
            let doc = saved.docs.iter().find(|d| d.room == r.room);
            let position = r.position.map_or(Item::Null, |p| {
                Item::Array(vec![Item::Uint(p.epoch), Item::Uint(p.offset)])
            });
            let outbox = r.outbox.iter().map(|d| {
                Item::Map(vec![
                    field("seq", Item::Uint(d.seq)),
                    field("payload", Item::Bytes(d.payload.to_vec())),
                ])
            });
            Item::Map(vec![
                field("room", text(r.room.as_str())),
                field("crdt", text(&r.crdt)),
                field("next_seq", Item::Uint(r.next_seq)),
                field("position", position),
                field("outbox", Item::Array(outbox.collect())),
                field(
                    "doc",
                    doc.map_or(Item::Null, |d| Item::Bytes(d.state.clone())),
                ),
            ])
        })
        .collect();
    let stored = Item::Map(vec![
        field("format", Item::Uint(u64::from(FORMAT))),
        field("replica", Item::Uint(replica.0)),
        field("rooms", Item::Array(rooms)),
    ]);
    let mut bytes = Vec::new();
    stored.encode(&mut bytes);
    hex_encode(&bytes)
}

/// Decodes text written by [`encode`]; with `expected`, state of another replica is
/// refused.
pub fn decode(expected: Option<ReplicaId>, text: &str) -> Result<SavedSession, LoadError> {
    let corrupt = |what: &str| LoadError::Corrupt(what.to_owned());
    if text.len() > MAX_STORED_CHARS {
        return Err(corrupt("too large"));
    }
    let bytes = hex_decode(text).ok_or_else(|| corrupt("not hex"))?;
    let stored = Item::decode(&bytes).ok_or_else(|| corrupt("not CBOR"))?;
    let uint = |i: &Item, k: &str| i.get(k).and_then(Item::uint).ok_or_else(|| corrupt(k));
    let format = uint(&stored, "format")?;
    if format != u64::from(FORMAT) {
        return Err(LoadError::Format(u32::try_from(format).unwrap_or(u32::MAX)));
    }
    let replica = uint(&stored, "replica")?;
    if replica == 0 || expected.is_some_and(|r| r.0 != replica) {
        return Err(LoadError::OtherReplica(replica));
    }
    let mut saved = SavedSession {
        replica: Some(ReplicaId(replica)),
        ..SavedSession::default()
    };
    let list = |i: &Item, k: &str| {
        let items = i.get(k).and_then(Item::array).ok_or_else(|| corrupt(k));
        items.map(<[Item]>::to_vec)
    };
    let bytes_or_null = |i: &Item, k: &str| match i.get(k) {
        Some(Item::Bytes(b)) => Ok(Some(b.clone())),
        Some(Item::Null) => Ok(None),
        _ => Err(corrupt(k)),
    };
    for r in list(&stored, "rooms")? {
        let name = |k: &str| r.get(k).and_then(Item::text).ok_or_else(|| corrupt(k));
        let room = RoomId::new(name("room")?);
        let position = match r.get("position") {
            Some(Item::Null) => None,
            Some(Item::Array(p)) => match &p[..] {
                [Item::Uint(epoch), Item::Uint(offset)] => Some(Position {
                    epoch: *epoch,
                    offset: *offset,
                }),
                _ => return Err(corrupt("position")),
            },
            _ => return Err(corrupt("position")),
        };
        let mut outbox = Vec::new();
        for d in list(&r, "outbox")? {
            let payload = bytes_or_null(&d, "payload")?.ok_or_else(|| corrupt("payload"))?;
            outbox.push(PersistedDelta {
                seq: uint(&d, "seq")?,
                payload: payload.into(),
            });
        }
        if let Some(state) = bytes_or_null(&r, "doc")? {
            saved.docs.push(SavedDoc {
                room: room.clone(),
                state,
            });
        }
        saved.client.rooms.push(PersistedRoom {
            room,
            crdt: name("crdt")?.to_owned(),
            next_seq: uint(&r, "next_seq")?,
            position,
            outbox,
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
    let mut out = Vec::with_capacity(raw.len() / 2);
    for p in raw.chunks_exact(2) {
        out.push((digit(p[0])? << 4) | digit(p[1])?);
    }
    Some(out)
}

#[cfg(test)]
#[path = "tests/persist.rs"]
mod tests;
