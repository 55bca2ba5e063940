//! The outbox: local deltas not yet acknowledged by the hub, per room, in
//! sequence order.
//!
//! Each room's queue is a prefix of entries already sent on the current
//! connection (in flight) followed by entries not yet sent. Sequences in a queue
//! are consecutive (the hub accepts only the next one, PROTOCOL.md §8.1), so a
//! merge never skips a number: only entries that never left this client are
//! merged, and a merged entry keeps the lowest sequence of its parts — a new delta
//! merged into the room's last never-sent entry takes no sequence of its own, and
//! when a connection is lost each run of never-sent entries is folded and the
//! entries after it renumbered (`merging.rs` says when a merge happens). The
//! outbox is bounded in entries and payload bytes; a push that would exceed either
//! bound fails and leaves the outbox untouched.
//!
//! This file owns the queues, their bounds and totals, and the sent prefix;
//! `settle.rs` holds what the hub's answers do to the numbering (acks, refusals,
//! the `acked_seq` of a `Joined`).

mod settle;

use bytes::Bytes;
use std::collections::VecDeque;

use crate::vecmap::VecMap;

use super::error::ClientError;
use super::merging::{SizeBounds, max_payload, try_merge};
use crate::crdt::DeltaMerger;
use crate::wire::RoomId;

/// One queued local delta.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Entry {
    pub(super) seq: u64,
    pub(super) payload: Bytes,
    /// Whether this entry (or a part of it) may have reached a hub: it was sent
    /// and not refused since. Such an entry is never merged (its sequence may be
    /// durable, or become so). Entries that never did are renumbered, not
    /// dropped, when the hub reports holding their sequence (a previous
    /// incarnation used it).
    pub(super) ever_sent: bool,
    /// Whether this entry was sent on an earlier connection. A refusal on the
    /// current connection does not clear `ever_sent` then: on several hub nodes
    /// the copy sent before may still be on its way into the log through another
    /// node (PROTOCOL.md §8.6), and a merged entry acknowledged as that copy's
    /// duplicate would lose what was merged into it.
    pub(super) sent_before: bool,
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
    rooms: VecMap<RoomId, RoomQueue>,
    count: usize,
    bytes: usize,
    max_count: usize,
    max_bytes: usize,
}

impl Outbox {
    pub(super) fn new(max_count: usize, max_bytes: usize) -> Self {
        Outbox {
            rooms: VecMap::new(),
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

    /// Queues a delta as sequence `seq`, or merges it into the room's last entry if
    /// that one never left this client. Returns the sequence the delta travels
    /// under and whether it was merged (then `seq` was not used).
    pub(super) fn push(
        &mut self,
        room: &RoomId,
        crdt: &str,
        seq: u64,
        payload: Bytes,
        merger: &dyn DeltaMerger,
        bounds: SizeBounds,
    ) -> Result<(u64, bool), ClientError> {
        let max_entry = max_payload(bounds, room, crdt);
        if let Some(q) = self.rooms.get_mut(room) {
            // An entry that never left this client is not in flight (entries in
            // flight were all sent), so it may still change.
            let last = q.entries.back_mut().filter(|e| !e.ever_sent);
            if let Some(last) = last {
                if let Some(m) = try_merge(merger, &q.crdt, &last.payload, &payload, max_entry) {
                    let bytes = self.bytes - last.payload.len() + m.len();
                    if bytes <= self.max_bytes {
                        self.bytes = bytes;
                        last.payload = m;
                        return Ok((last.seq, true));
                    }
                }
            }
        }
        let e = Entry {
            seq,
            payload,
            ever_sent: false,
            sent_before: false,
        };
        self.append(room, crdt, e)?;
        Ok((seq, false))
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
        let q = self.rooms.get_or_insert_with(room.clone(), || RoomQueue {
            crdt: crdt.to_owned(),
            ..RoomQueue::default()
        });
        q.entries.push_back(e);
        self.count += 1;
        self.bytes = bytes;
        Ok(())
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

    /// The connection is gone: every entry becomes unsent, and each run of entries
    /// that never left this client is folded by the merger as far as it allows;
    /// the entries after a fold are renumbered so sequences stay consecutive.
    pub(super) fn connection_lost(&mut self, merger: &dyn DeltaMerger, bounds: SizeBounds) {
        for (room, q) in self.rooms.iter_mut() {
            q.sent = 0;
            for e in q.entries.iter_mut() {
                e.sent_before |= e.ever_sent;
            }
            let max_entry = max_payload(bounds, room, &q.crdt);
            let mut folded: VecDeque<Entry> = VecDeque::with_capacity(q.entries.len());
            for mut e in q.entries.drain(..) {
                if let Some(last) = folded.back_mut() {
                    let both_local = !last.ever_sent && !e.ever_sent;
                    let merged = both_local
                        .then(|| try_merge(merger, &q.crdt, &last.payload, &e.payload, max_entry))
                        .flatten();
                    if let Some(m) = merged {
                        self.bytes = self.bytes - last.payload.len() - e.payload.len() + m.len();
                        self.count -= 1;
                        last.payload = m;
                        continue;
                    }
                    e.seq = last.seq.saturating_add(1);
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
    #[cfg(any(test, feature = "test-hooks"))]
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
            let gap = seqs
                .windows(2)
                .any(|w| matches!(w, [a, b] if a.checked_add(1) != Some(*b)));
            if gap || seqs.first() == Some(&0) {
                return Err(format!(
                    "outbox seqs of {room} not consecutive from ≥ 1: {seqs:?}"
                ));
            }
            let flags: Vec<bool> = q.entries.iter().map(|e| e.ever_sent).collect();
            let sent_after_local = flags.windows(2).any(|w| matches!(w, [false, true]));
            if sent_after_local || flags.iter().take(q.sent).any(|f| !f) {
                return Err(format!("outbox of {room}: sent entries are not a prefix"));
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

#[cfg(test)]
mod tests;
