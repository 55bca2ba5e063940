//! The outbox: local deltas not yet acknowledged by the hub, per room, in
//! sequence order.
//!
//! Each room's queue is a prefix of entries already sent on the current
//! connection (in flight) followed by entries not yet sent. Only unsent entries
//! are merged: a new delta is merged into the room's last unsent entry, and when a
//! connection is lost every room's queue (now all unsent) is folded. A merged
//! entry takes the highest sequence of its parts (`merging.rs` says when a merge
//! happens). The outbox is bounded in entries and payload bytes; a push that
//! would exceed either bound fails and leaves the outbox untouched.

use bytes::Bytes;
use std::collections::{BTreeMap, VecDeque};

use super::error::ClientError;
use super::merging::{max_payload, try_merge};
use crate::crdt::DeltaMerger;
use crate::wire::RoomId;

/// One queued local delta.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Entry {
    pub(super) seq: u64,
    pub(super) payload: Bytes,
    /// Whether this entry (or a part of it) may have reached the hub on some
    /// connection. Entries that never did are renumbered, not dropped, when the
    /// hub reports holding their sequence (a previous incarnation used it).
    pub(super) ever_sent: bool,
}

#[derive(Clone, Debug, Default)]
struct RoomQueue {
    crdt: String,
    entries: VecDeque<Entry>,
    /// Entries `..sent` were sent on the current connection.
    sent: usize,
}

/// Bounded store of unacknowledged local deltas.
#[derive(Clone, Debug)]
pub(super) struct Outbox {
    rooms: BTreeMap<RoomId, RoomQueue>,
    count: usize,
    bytes: usize,
    max_count: usize,
    max_bytes: usize,
}

impl Outbox {
    pub(super) fn new(max_count: usize, max_bytes: usize) -> Self {
        Outbox {
            rooms: BTreeMap::new(),
            count: 0,
            bytes: 0,
            max_count,
            max_bytes,
        }
    }

    /// Entries queued.
    pub(super) fn len(&self) -> usize {
        self.count
    }

    /// Payload bytes queued.
    pub(super) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Queues a delta, merging it into the room's last unsent entry if possible.
    /// Returns whether it was merged.
    pub(super) fn push(
        &mut self,
        room: &RoomId,
        crdt: &str,
        seq: u64,
        payload: Bytes,
        merger: &dyn DeltaMerger,
        frame_limit: usize,
    ) -> Result<bool, ClientError> {
        let max_entry = max_payload(frame_limit, room, crdt);
        if let Some(q) = self.rooms.get_mut(room) {
            let has_unsent = q.entries.len() > q.sent;
            if let Some(last) = q.entries.back_mut().filter(|_| has_unsent) {
                if let Some(m) = try_merge(merger, &q.crdt, &last.payload, &payload, max_entry) {
                    let bytes = self.bytes - last.payload.len() + m.len();
                    if bytes <= self.max_bytes {
                        self.bytes = bytes;
                        last.seq = seq;
                        last.payload = m;
                        return Ok(true);
                    }
                }
            }
        }
        let e = Entry {
            seq,
            payload,
            ever_sent: false,
        };
        self.append(room, crdt, e)?;
        Ok(false)
    }

    /// Appends an entry without merging, within the bounds.
    pub(super) fn append(
        &mut self,
        room: &RoomId,
        crdt: &str,
        e: Entry,
    ) -> Result<(), ClientError> {
        let bytes = self.bytes.saturating_add(e.payload.len());
        if self.count >= self.max_count || bytes > self.max_bytes {
            return Err(ClientError::OutboxFull {
                deltas: self.count,
                bytes: self.bytes,
            });
        }
        let q = self.rooms.entry(room.clone()).or_insert_with(|| RoomQueue {
            crdt: crdt.to_owned(),
            ..RoomQueue::default()
        });
        q.entries.push_back(e);
        self.count += 1;
        self.bytes = bytes;
        Ok(())
    }

    /// The hub holds every sequence ≤ `seq` of this replica in `room`. Entries
    /// with such a sequence that may have reached the hub are removed (acked);
    /// entries that never left this client are renumbered with `fresh` (called in
    /// order, yielding increasing sequences above `seq`) and moved to the back, or
    /// removed if `fresh` is exhausted. Returns the removed entries.
    pub(super) fn settle(
        &mut self,
        room: &RoomId,
        seq: u64,
        mut fresh: impl FnMut() -> Option<u64>,
    ) -> Vec<Entry> {
        let Some(q) = self.rooms.get_mut(room) else {
            return Vec::new();
        };
        let mut removed = Vec::new();
        let mut renumbered = Vec::new();
        let mut i = 0;
        while i < q.entries.len() {
            if q.entries.get(i).is_none_or(|e| e.seq > seq) {
                i += 1;
                continue;
            }
            let Some(mut e) = q.entries.remove(i) else {
                break;
            };
            if i < q.sent {
                q.sent -= 1;
            }
            let new_seq = if e.ever_sent { None } else { fresh() };
            match new_seq {
                Some(new_seq) => {
                    e.seq = new_seq;
                    renumbered.push(e);
                }
                None => {
                    self.count -= 1;
                    self.bytes -= e.payload.len();
                    removed.push(e);
                }
            }
        }
        q.entries.extend(renumbered);
        self.drop_if_empty(room);
        removed
    }

    /// Removes the entry of `room` with sequence `seq`, if queued.
    pub(super) fn remove(&mut self, room: &RoomId, seq: u64) -> Option<Entry> {
        let q = self.rooms.get_mut(room)?;
        let i = q.entries.iter().position(|e| e.seq == seq)?;
        let e = q.entries.remove(i)?;
        if i < q.sent {
            q.sent -= 1;
        }
        self.count -= 1;
        self.bytes -= e.payload.len();
        self.drop_if_empty(room);
        Some(e)
    }

    /// Removes every entry of `room` and returns them.
    pub(super) fn remove_room(&mut self, room: &RoomId) -> Vec<Entry> {
        let Some(q) = self.rooms.remove(room) else {
            return Vec::new();
        };
        self.count -= q.entries.len();
        self.bytes -= q.entries.iter().map(|e| e.payload.len()).sum::<usize>();
        q.entries.into()
    }

    /// Marks the room's entries unsent (they will be sent again).
    pub(super) fn unsend_room(&mut self, room: &RoomId) {
        if let Some(q) = self.rooms.get_mut(room) {
            q.sent = 0;
        }
    }

    /// The connection is gone: every entry becomes unsent and each room's queue is
    /// folded by the merger as far as it allows.
    pub(super) fn connection_lost(&mut self, merger: &dyn DeltaMerger, frame_limit: usize) {
        for (room, q) in self.rooms.iter_mut() {
            q.sent = 0;
            let max_entry = max_payload(frame_limit, room, &q.crdt);
            let mut folded: VecDeque<Entry> = VecDeque::with_capacity(q.entries.len());
            for e in q.entries.drain(..) {
                if let Some(last) = folded.back_mut() {
                    if let Some(m) =
                        try_merge(merger, &q.crdt, &last.payload, &e.payload, max_entry)
                    {
                        self.bytes = self.bytes - last.payload.len() - e.payload.len() + m.len();
                        self.count -= 1;
                        last.seq = e.seq;
                        last.payload = m;
                        last.ever_sent |= e.ever_sent;
                        continue;
                    }
                }
                folded.push_back(e);
            }
            q.entries = folded;
        }
    }

    /// Takes the room's next unsent entry and marks it sent.
    pub(super) fn next_unsent(&mut self, room: &RoomId) -> Option<Entry> {
        let q = self.rooms.get_mut(room)?;
        let e = q.entries.get_mut(q.sent)?;
        e.ever_sent = true;
        q.sent += 1;
        Some(e.clone())
    }

    /// The room's entries in order.
    pub(super) fn entries(&self, room: &RoomId) -> impl Iterator<Item = &Entry> {
        self.rooms
            .get(room)
            .into_iter()
            .flat_map(|q| q.entries.iter())
    }

    /// Highest queued sequence of the room.
    pub(super) fn last_seq(&self, room: &RoomId) -> Option<u64> {
        self.rooms.get(room)?.entries.back().map(|e| e.seq)
    }

    fn drop_if_empty(&mut self, room: &RoomId) {
        if self.rooms.get(room).is_some_and(|q| q.entries.is_empty()) {
            self.rooms.remove(room);
        }
    }

    /// Verifies totals, bounds, ordering, the sent prefix and that every room is `known`.
    pub(super) fn check(
        &self,
        connected: bool,
        known: impl Fn(&RoomId) -> bool,
    ) -> Result<(), String> {
        let (mut count, mut bytes) = (0usize, 0usize);
        for (room, q) in &self.rooms {
            if !known(room) {
                return Err(format!("outbox holds deltas of unknown room {room}"));
            }
            if q.entries.is_empty() {
                return Err(format!("outbox keeps an empty queue for {room}"));
            }
            if q.sent > q.entries.len() || (!connected && q.sent > 0) {
                return Err(format!("outbox sent prefix {} invalid for {room}", q.sent));
            }
            let seqs: Vec<u64> = q.entries.iter().map(|e| e.seq).collect();
            if seqs.windows(2).any(|w| matches!(w, [a, b] if a >= b)) || seqs.first() == Some(&0) {
                return Err(format!(
                    "outbox seqs of {room} not increasing from 1: {seqs:?}"
                ));
            }
            count += q.entries.len();
            bytes += q.entries.iter().map(|e| e.payload.len()).sum::<usize>();
        }
        if count != self.count || bytes != self.bytes {
            return Err(format!(
                "outbox totals {}/{} != {count}/{bytes}",
                self.count, self.bytes
            ));
        }
        if count > self.max_count || bytes > self.max_bytes {
            return Err(format!("outbox over bound: {count} deltas, {bytes} bytes"));
        }
        Ok(())
    }
}
