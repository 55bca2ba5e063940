//! Byte layouts of the redb tables. Keys are ordered byte strings; numbers are
//! big-endian so that byte order equals numeric order.
//!
//! * room prefix: `u16` length + room name bytes (names are ≤ 256 bytes on the wire);
//! * `entries` key: prefix + offset (`u64`); value: replica, seq (`u64` each) + payload;
//! * `seqs` key: prefix + replica (`u64`); value: the highest stored seq (`u64`);
//! * `rooms` key: room name; value: format byte, epoch, first offset, head + CRDT tag;
//! * `snapshots` key: room name; value: offset, seq count (`u32`), (replica, seq)
//!   pairs + state.
//!
//! Decoding never panics: a record that does not parse is reported as corrupt.

use bytes::Bytes;
use syncwire_proto::hub::{StoredEntry, StoredSnapshot};
use syncwire_proto::wire::{ReplicaId, RoomId};

const META_FORMAT: u8 = 1;

/// A room's metadata row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Meta {
    pub(crate) epoch: u64,
    pub(crate) first_offset: u64,
    pub(crate) head: u64,
    pub(crate) crdt: String,
}

/// The key prefix shared by a room's `entries` and `seqs` rows.
pub(crate) fn prefix(room: &RoomId) -> Vec<u8> {
    let name = room.as_str().as_bytes();
    let len = u16::try_from(name.len()).unwrap_or(u16::MAX);
    let mut key = Vec::with_capacity(name.len() + 10);
    key.extend_from_slice(&len.to_be_bytes());
    key.extend_from_slice(name);
    key
}

/// `prefix` followed by a big-endian number.
pub(crate) fn numbered(prefix: &[u8], n: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(prefix.len() + 8);
    key.extend_from_slice(prefix);
    key.extend_from_slice(&n.to_be_bytes());
    key
}

/// The number at the end of a `numbered` key.
pub(crate) fn key_number(key: &[u8]) -> Option<u64> {
    let start = key.len().checked_sub(8)?;
    read_u64(key.get(start..)?)
}

fn read_u64(bytes: &[u8]) -> Option<u64> {
    let arr: [u8; 8] = bytes.get(..8)?.try_into().ok()?;
    Some(u64::from_be_bytes(arr))
}

/// Splits `n` big-endian `u64`s off the front of `bytes`.
fn read_u64s<const N: usize>(bytes: &[u8]) -> Option<([u64; N], &[u8])> {
    let mut out = [0u64; N];
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = read_u64(bytes.get(i * 8..)?)?;
    }
    Some((out, bytes.get(N * 8..)?))
}

pub(crate) fn encode_meta(m: &Meta) -> Vec<u8> {
    let mut v = vec![META_FORMAT];
    for n in [m.epoch, m.first_offset, m.head] {
        v.extend_from_slice(&n.to_be_bytes());
    }
    v.extend_from_slice(m.crdt.as_bytes());
    v
}

pub(crate) fn decode_meta(bytes: &[u8]) -> Option<Meta> {
    let (&format, rest) = bytes.split_first()?;
    if format != META_FORMAT {
        return None;
    }
    let ([epoch, first_offset, head], crdt) = read_u64s::<3>(rest)?;
    let crdt = std::str::from_utf8(crdt).ok()?.to_owned();
    Some(Meta {
        epoch,
        first_offset,
        head,
        crdt,
    })
}

pub(crate) fn encode_entry(e: &StoredEntry) -> Vec<u8> {
    let mut v = Vec::with_capacity(16 + e.payload.len());
    v.extend_from_slice(&e.replica.0.to_be_bytes());
    v.extend_from_slice(&e.seq.to_be_bytes());
    v.extend_from_slice(&e.payload);
    v
}

pub(crate) fn decode_entry(offset: u64, bytes: &[u8]) -> Option<StoredEntry> {
    let ([replica, seq], payload) = read_u64s::<2>(bytes)?;
    Some(StoredEntry {
        offset,
        replica: ReplicaId(replica),
        seq,
        payload: Bytes::copy_from_slice(payload),
    })
}

pub(crate) fn encode_snapshot(s: &StoredSnapshot) -> Vec<u8> {
    let count = u32::try_from(s.seqs.len()).unwrap_or(u32::MAX);
    let mut v = Vec::with_capacity(12 + s.seqs.len() * 16 + s.state.len());
    v.extend_from_slice(&s.offset.to_be_bytes());
    v.extend_from_slice(&count.to_be_bytes());
    for (replica, seq) in s.seqs.iter().take(count as usize) {
        v.extend_from_slice(&replica.0.to_be_bytes());
        v.extend_from_slice(&seq.to_be_bytes());
    }
    v.extend_from_slice(&s.state);
    v
}

pub(crate) fn decode_snapshot(bytes: &[u8]) -> Option<StoredSnapshot> {
    let ([offset], rest) = read_u64s::<1>(bytes)?;
    let count: [u8; 4] = rest.get(..4)?.try_into().ok()?;
    let count = u32::from_be_bytes(count) as usize;
    let mut rest = rest.get(4..)?;
    let mut seqs = Vec::with_capacity(count.min(rest.len() / 16));
    for _ in 0..count {
        let ([replica, seq], tail) = read_u64s::<2>(rest)?;
        seqs.push((ReplicaId(replica), seq));
        rest = tail;
    }
    Some(StoredSnapshot {
        offset,
        state: Bytes::copy_from_slice(rest),
        seqs,
    })
}
