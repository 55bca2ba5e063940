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

use bytes::Bytes;
use syncwire_driver_core::{SavedDoc, SavedSession};
use syncwire_proto::client::{PersistedDelta, PersistedRoom};
use syncwire_proto::wire::{Position, ReplicaId, RoomId};

/// Layout version, the first byte of a room record.
const FORMAT: u8 = 1;

/// The stored form of one replica's session: room records by room name, delta
/// payloads by (room name, sequence number), each sorted by key (sorted vectors
/// rather than maps: smaller code in the bundle, and a session has few rooms).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Image {
    pub(crate) rooms: Vec<(String, Vec<u8>)>,
    pub(crate) outbox: Vec<((String, u64), Bytes)>,
}

fn insertion_sort<K: Ord, V>(v: &mut [(K, V)]) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 && v[j - 1].0 > v[j].0 {
            v.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// The value under `key` in a vector sorted by key.
fn find<'a, K: Ord, V>(sorted: &'a [(K, V)], key: &K) -> Option<&'a V> {
    let i = sorted.binary_search_by(|(k, _)| k.cmp(key)).ok()?;
    Some(&sorted[i].1)
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
                    .push(((name.clone(), d.seq), d.payload.clone()));
            }
            let record = encode_room(r, doc.map(|d| &d.state[..]));
            image.rooms.push((name, record));
        }
        image.sort();
        image
    }

    /// Sorts both parts by key. They come nearly sorted (from the session, or
    /// from IndexedDB, whose string order differs only above U+FFFF): an insertion
    /// sort, which is short code and linear on sorted input.
    pub(crate) fn sort(&mut self) {
        insertion_sort(&mut self.rooms);
        insertion_sort(&mut self.outbox);
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
                .iter()
                .filter(|((r, _), _)| r == name)
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
            if find(&self.rooms, name) != Some(record) {
                ops.push(Op::PutRoom(name.clone(), record.clone()));
            }
        }
        for (name, _) in &self.rooms {
            if find(&next.rooms, name).is_none() {
                ops.push(Op::DeleteRoom(name.clone()));
            }
        }
        // A delta's payload can change under its sequence number while it was never
        // sent (the client merges a new change into it, or renumbers deltas after a
        // withdrawal): compared too, or the stored outbox would keep the old content.
        for (key, payload) in &next.outbox {
            if find(&self.outbox, key) != Some(payload) {
                ops.push(Op::PutDelta(key.0.clone(), key.1, payload.clone()));
            }
        }
        for (key, _) in &self.outbox {
            if find(&next.outbox, key).is_none() {
                ops.push(Op::DeleteDelta(key.0.clone(), key.1));
            }
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
