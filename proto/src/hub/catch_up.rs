//! Catch-up delivery: members behind the durable head (after a join or resume, or
//! because their backlog was full when a delta went live) receive `DeltaBatch`
//! frames from the in-memory tail, or from storage ranges when the entries are no
//! longer in memory. A member whose entries were compacted away meanwhile (the
//! snapshot covering them became durable, so storage may have deleted them, and they
//! are neither in memory nor in what a storage read returned) fell too far behind:
//! it is closed `SLOW_CONSUMER` and resumes into a resync. Batches are
//! only queued while the member's backlog is below half its bound, so catching up
//! never overflows it; a member reaching the head is live.

use bytes::Bytes;

use super::Hub;
use super::compaction::Folding;
use super::room::Room;
use super::state::OpKind;
use super::storage::{StorageAction, StorageError, StoredEntry};
use crate::wire::{BatchEntry, CloseCode, DeltaBatch, ErrorCode, Frame, RoomId, SessionId};

/// Encodes consecutive entries (at least one) as one `DeltaBatch` frame; `reorder`
/// reverses them (a planted fault, for tests only).
pub(crate) fn encode_batch<'e>(
    room: &RoomId,
    crdt: &str,
    epoch: u64,
    entries: impl Iterator<Item = &'e StoredEntry>,
    reorder: bool,
) -> Bytes {
    let mut entries = entries.peekable();
    let first_offset = entries.peek().map_or(0, |e| e.offset);
    let mut entries: Vec<BatchEntry> = entries
        .map(|e| BatchEntry {
            replica: e.replica,
            seq: e.seq,
            payload: e.payload.clone(),
        })
        .collect();
    if reorder {
        entries.reverse();
    }
    let frame = Frame::DeltaBatch(DeltaBatch {
        room: room.clone(),
        crdt: crdt.to_string(),
        epoch,
        first_offset,
        entries,
    });
    Bytes::from(frame.encode())
}

impl Hub {
    fn backlog_low(&self, sid: SessionId) -> bool {
        let half = self.config.max_backlog_bytes / 2;
        self.sessions
            .get(&sid)
            .is_some_and(|s| s.closing.is_none() && (s.backlog == 0 || s.backlog < half))
    }

    fn batch_frame(&self, room: &RoomId, entries: &[StoredEntry]) -> Option<Bytes> {
        let l = self.rooms.get(room)?.loaded()?;
        entries.first()?;
        #[cfg(feature = "test-hooks")]
        let reorder = self.planted(super::PlantedFault::ReorderBatches);
        #[cfg(not(feature = "test-hooks"))]
        let reorder = false;
        Some(encode_batch(
            room,
            &l.crdt,
            l.epoch,
            entries.iter(),
            reorder,
        ))
    }

    /// Queues batches for a member while its backlog allows; bounded by the log length.
    pub(crate) fn pump(&mut self, sid: SessionId, room: &RoomId) {
        let (max_entries, max_bytes) = (self.config.batch_max_entries, self.config.batch_max_bytes);
        while self.backlog_low(sid) {
            let Some(l) = self.rooms.get(room).and_then(Room::loaded) else {
                return;
            };
            let Some(m) = l.members.get(&sid) else {
                return;
            };
            if m.range_op.is_some() || m.next >= l.log.durable_head() || l.refreshing {
                return;
            }
            let (next, epoch, incarnation) = (
                m.next,
                l.epoch,
                self.rooms.get(room).map_or(0, |r| r.incarnation),
            );
            if next < l.log.tail_start() {
                if next < l.storage_first {
                    // Compacted away: a snapshot became durable while the member was
                    // behind, storage may have deleted the entries it needs, and
                    // they are no longer in memory either.
                    self.fell_behind_compaction(sid);
                    return;
                }
                let kind = OpKind::Range {
                    session: sid,
                    from: next,
                };
                let op = self.alloc_op(room, incarnation, kind);
                self.storage.push_back(StorageAction::LoadRange {
                    op,
                    room: room.clone(),
                    epoch,
                    from: next,
                    max_entries,
                });
                if let Some(m) = self.member_mut(room, sid) {
                    m.range_op = Some(op);
                }
                return;
            }
            let entries = l.log.read(next, max_entries, max_bytes);
            if !self.send_batch(sid, room, &entries) {
                return;
            }
        }
    }

    /// Queues one batch if it fits the backlog and advances the member; false otherwise.
    fn send_batch(&mut self, sid: SessionId, room: &RoomId, entries: &[StoredEntry]) -> bool {
        let Some(bytes) = self.batch_frame(room, entries) else {
            return false;
        };
        if !self.can_push_data(sid, bytes.len()) || !self.push_bytes(sid, bytes) {
            return false;
        }
        let n = entries.len() as u64;
        self.metrics.deltas_out = self.metrics.deltas_out.saturating_add(n);
        if let Some(m) = self.member_mut(room, sid) {
            m.next = m.next.saturating_add(n);
        }
        true
    }

    /// A member whose next entries were compacted away fell too far behind to be
    /// caught up by entries: it is closed `SLOW_CONSUMER` and resumes from its
    /// position, which the join answers with a resync (PROTOCOL.md §8.3, §8.4).
    /// Nothing failed, so no `internal` refusal.
    fn fell_behind_compaction(&mut self, sid: SessionId) {
        self.close(sid, CloseCode::SLOW_CONSUMER);
    }

    pub(crate) fn member_mut(
        &mut self,
        room: &RoomId,
        sid: SessionId,
    ) -> Option<&mut super::room::Member> {
        self.rooms
            .get_mut(room)?
            .loaded_mut()?
            .members
            .get_mut(&sid)
    }

    /// A storage range for a member's catch-up arrived.
    pub(crate) fn on_range(
        &mut self,
        room: &RoomId,
        sid: SessionId,
        from: u64,
        result: Result<Vec<StoredEntry>, StorageError>,
    ) {
        if let Some(s) = self.sessions.get_mut(&sid) {
            s.maybe_behind = true; // the range load in flight ended
        }
        let Some(l) = self.rooms.get_mut(room).and_then(Room::loaded_mut) else {
            return;
        };
        let head = l.log.durable_head();
        // Entries below `storage_first` may be gone; so may those a fold in flight
        // covers: storage deletes them when the fold takes effect, which may be
        // before this read although its completion reaches the hub after it.
        let folding = matches!(l.fold, Folding::InFlight { to } if from < to);
        let compacted = from < l.storage_first || folding;
        let Some(m) = l.members.get_mut(&sid) else {
            return;
        };
        m.range_op = None;
        if m.next != from {
            return;
        }
        let mut entries = result.unwrap_or_default();
        let contiguous = entries
            .iter()
            .enumerate()
            .all(|(i, e)| Some(e.offset) == from.checked_add(i as u64));
        let from_start = entries.first().is_some_and(|e| e.offset == from);
        if self.config.shared_log && !(contiguous && from_start) {
            // Another node compacted them: learn its snapshot, then this member
            // is caught up or closed into a resync (`Hub::on_refreshed`).
            self.refresh(room);
            return;
        }
        if compacted && !(contiguous && from_start) {
            // The snapshot covering `from` became durable while the read was queued
            // (or before its completion arrived), and storage deleted the entries
            // before reading them. (Entries it still
            // returned are the log's, whatever was compacted since: they are served.)
            self.fell_behind_compaction(sid);
            return;
        }
        entries.retain(|e| e.offset < head);
        if entries.is_empty() || !contiguous {
            let msg = "log entries needed for catch-up are unavailable";
            self.reject(sid, ErrorCode::INTERNAL, Some(room.clone()), None, msg);
            self.close(sid, CloseCode::INTERNAL_ERROR);
            return;
        }
        let max_bytes = self.config.batch_max_bytes;
        let mut rest = entries.as_slice();
        while !rest.is_empty() {
            let mut bytes = 0usize;
            let n = rest
                .iter()
                .take_while(|e| {
                    bytes = bytes.saturating_add(e.payload.len());
                    bytes <= max_bytes
                })
                .count()
                .max(1);
            let (chunk, tail) = rest.split_at(n.min(rest.len()));
            // If a chunk does not fit, the member stays behind and asks again later.
            if !self.send_batch(sid, room, chunk) {
                return;
            }
            rest = tail;
        }
        self.pump(sid, room);
    }
}
