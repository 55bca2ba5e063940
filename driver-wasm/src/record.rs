//! The IndexedDB records of a saved session, as plain data: an [`Image`] (one
//! record per room — its CRDT tag, next sequence number, log position and encoded
//! document together — and one record per unacknowledged delta), built from a
//! [`SavedSession`] and turned back into one, and the [`Op`]s that bring stored
//! records from one image to the next (only what changed: a room whose record
//! changed, deltas added or acknowledged).
//!
//! A room's position and its document share one record, so they are written
//! together: a position is only meaningful with the document that includes the
//! deltas before it. The record layout is this module's own (a few fixed fields and
//! the document bytes, no serde), to keep the browser bundle small.

use std::collections::BTreeMap;

use bytes::Bytes;
use syncwire_driver_core::{SavedDoc, SavedSession};
use syncwire_proto::client::{PersistedDelta, PersistedRoom};
use syncwire_proto::wire::{Position, ReplicaId, RoomId};

/// Layout version, the first byte of a room record.
const FORMAT: u8 = 1;

/// The stored form of one replica's session: room records by room name, delta
/// payloads by (room name, sequence number).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Image {
    pub(crate) rooms: BTreeMap<String, Vec<u8>>,
    pub(crate) outbox: BTreeMap<(String, u64), Bytes>,
}

/// One write of a transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    /// Store (or replace) a room's record.
    PutRoom(String, Vec<u8>),
    /// Remove a room's record (the room was left).
    DeleteRoom(String),
    /// Store an unacknowledged delta.
    PutDelta(String, u64, Bytes),
    /// Remove a delta (acknowledged, or its room was left).
    DeleteDelta(String, u64),
}

impl Image {
    /// The image of `saved` (its replica id is the caller's business).
    pub(crate) fn of(saved: &SavedSession) -> Image {
        let mut image = Image::default();
        for r in &saved.client.rooms {
            let doc = saved.docs.iter().find(|d| d.room == r.room);
            let name = r.room.as_str().to_owned();
            for d in &r.outbox {
                image
                    .outbox
                    .insert((name.clone(), d.seq), d.payload.clone());
            }
            image
                .rooms
                .insert(name, encode_room(r, doc.map(|d| &d.state[..])));
        }
        image
    }

    /// The session these records hold, for `replica`; a room record that cannot be
    /// read is left out (with its deltas: the room is then joined afresh).
    pub(crate) fn into_saved(self, replica: ReplicaId) -> SavedSession {
        let mut saved = SavedSession {
            replica: Some(replica),
            ..SavedSession::default()
        };
        for (name, record) in &self.rooms {
            let Some((mut room, doc)) = decode_room(name, record) else {
                continue;
            };
            room.outbox = self
                .outbox
                .range((name.clone(), 0)..=(name.clone(), u64::MAX))
                .map(|((_, seq), payload)| PersistedDelta {
                    seq: *seq,
                    payload: payload.clone(),
                })
                .collect();
            if let Some(state) = doc {
                saved.docs.push(SavedDoc {
                    room: room.room.clone(),
                    state,
                });
            }
            saved.client.rooms.push(room);
        }
        saved
    }

    /// The writes that turn stored records equal to `self` into `next`.
    pub(crate) fn diff(&self, next: &Image) -> Vec<Op> {
        let mut ops = Vec::new();
        for (name, record) in &next.rooms {
            if self.rooms.get(name) != Some(record) {
                ops.push(Op::PutRoom(name.clone(), record.clone()));
            }
        }
        for name in self.rooms.keys().filter(|n| !next.rooms.contains_key(*n)) {
            ops.push(Op::DeleteRoom(name.clone()));
        }
        // A delta's payload never changes under its sequence number.
        for ((room, seq), payload) in &next.outbox {
            if !self.outbox.contains_key(&(room.clone(), *seq)) {
                ops.push(Op::PutDelta(room.clone(), *seq, payload.clone()));
            }
        }
        for (room, seq) in self.outbox.keys().filter(|k| !next.outbox.contains_key(*k)) {
            ops.push(Op::DeleteDelta(room.clone(), *seq));
        }
        ops
    }
}

fn encode_room(r: &PersistedRoom, doc: Option<&[u8]>) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + r.crdt.len() + doc.map_or(0, <[u8]>::len));
    out.push(FORMAT);
    out.extend_from_slice(&r.next_seq.to_le_bytes());
    match r.position {
        Some(p) => {
            out.push(1);
            out.extend_from_slice(&p.epoch.to_le_bytes());
            out.extend_from_slice(&p.offset.to_le_bytes());
        }
        None => out.push(0),
    }
    // Type tags are short (the proto limits them); a longer one would not restore.
    let tag = r.crdt.as_bytes();
    out.push(u8::try_from(tag.len()).unwrap_or(u8::MAX));
    out.extend_from_slice(&tag[..tag.len().min(255)]);
    if let Some(doc) = doc {
        out.push(1);
        out.extend_from_slice(doc);
    } else {
        out.push(0);
    }
    out
}

/// Reads a room record (its outbox is filled in by the caller).
fn decode_room(name: &str, record: &[u8]) -> Option<(PersistedRoom, Option<Vec<u8>>)> {
    let mut rest = record;
    let mut take = |n: usize| {
        let (head, tail) = (rest.get(..n)?, rest.get(n..)?);
        rest = tail;
        Some(head)
    };
    let u64_at = |b: &[u8]| b.try_into().ok().map(u64::from_le_bytes);
    if take(1)? != [FORMAT] {
        return None;
    }
    let next_seq = u64_at(take(8)?)?;
    let position = match take(1)?[0] {
        0 => None,
        _ => Some(Position {
            epoch: u64_at(take(8)?)?,
            offset: u64_at(take(8)?)?,
        }),
    };
    let tag_len = usize::from(take(1)?[0]);
    let crdt = String::from_utf8(take(tag_len)?.to_vec()).ok()?;
    let doc = match take(1)?[0] {
        0 => None,
        _ => Some(rest.to_vec()),
    };
    let room = PersistedRoom {
        room: RoomId::new(name),
        crdt,
        next_seq,
        position,
        outbox: Vec::new(),
    };
    Some((room, doc))
}

#[cfg(test)]
#[path = "tests/record.rs"]
mod tests;
