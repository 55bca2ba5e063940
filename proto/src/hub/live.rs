//! Live delivery: the entries that became durable during a hub turn go, at the end
//! of the turn and in log order, to the members in step with the log — as `HubDelta`
//! to the other members and as `Ack` carrying its offset to the sessions of its
//! origin, so every member in step sees every offset exactly once (PROTOCOL.md §8.2).
//!
//! Entries of one turn are grouped into runs (bounded by `batch_max_entries` and
//! `batch_max_bytes`); a run of two or more goes to each member in step that is not
//! among its origins as one `DeltaBatch` frame, encoded once and shared by all of
//! them (§3.9: a batch is equivalent to the `HubDelta` frames it contains). A member
//! that is an origin of a run, or whose backlog cannot take the whole batch, gets the
//! run entry by entry (as much as fits). A member whose backlog is full falls behind
//! and is caught up from the log ([`catch_up`](super::catch_up)).

use bytes::Bytes;

use super::Hub;
use super::catch_up::encode_batch;
use super::room::{LoadedRoom, Room};
use super::storage::StoredEntry;
use crate::wire::{ReplicaId, RoomEncoder, RoomId};

/// An entry that just became durable, with its frame sizes and (once a recipient is
/// found) its `HubDelta` frame, encoded once and shared by every recipient.
struct Fresh<'l> {
    entry: &'l StoredEntry,
    delta_len: usize,
    ack_len: usize,
    delta: Option<Bytes>,
}

/// Consecutive fresh entries `start..end` and their `DeltaBatch` frame (encoded at
/// the first member that takes it).
struct Run {
    start: usize,
    end: usize,
    origins: Vec<ReplicaId>,
    batch: Option<Bytes>,
}

/// Splits `fresh` into runs of at most `max_entries` entries and `max_bytes` of
/// payload (a larger entry goes alone).
fn runs(fresh: &[Fresh<'_>], max_entries: usize, max_bytes: usize) -> Vec<Run> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < fresh.len() {
        let mut bytes = 0usize;
        let mut end = start;
        let mut origins = Vec::new();
        while let Some(f) = fresh.get(end) {
            let more = bytes.saturating_add(f.entry.payload.len());
            if end > start && (end - start >= max_entries || more > max_bytes) {
                break;
            }
            bytes = more;
            if !origins.contains(&f.entry.replica) {
                origins.push(f.entry.replica);
            }
            end += 1;
        }
        out.push(Run {
            start,
            end,
            origins,
            batch: None,
        });
        start = end;
    }
    out
}

impl Hub {
    /// Delivers every room's entries that became durable this turn.
    pub(crate) fn deliver_live(&mut self) {
        let mut due = std::mem::take(&mut self.live_due);
        for room in &due {
            self.deliver_room(room);
            // The turn's entries may leave memory now: a turn that made more of
            // them durable than the tail holds is trimmed here, not before.
            self.maybe_compact(room);
        }
        due.clear();
        if self.live_due.is_empty() {
            self.live_due = due; // keep the buffer
        }
    }

    fn deliver_room(&mut self, room: &RoomId) {
        let max_backlog = self.config.max_backlog_bytes;
        let (max_entries, max_bytes) = (self.config.batch_max_entries, self.config.batch_max_bytes);
        #[cfg(feature = "test-hooks")]
        let reorder = self.planted(super::PlantedFault::ReorderBatches);
        #[cfg(not(feature = "test-hooks"))]
        let reorder = false;
        let Hub {
            rooms,
            sessions,
            ready,
            metrics,
            ..
        } = self;
        let Some(l) = rooms.get_mut(room).and_then(Room::loaded_mut) else {
            return;
        };
        let LoadedRoom {
            log,
            members,
            encoder,
            crdt,
            epoch,
            ..
        } = l;
        let head = log.durable_head();
        let encoder = encoder.get_or_insert_with(|| RoomEncoder::new(room.as_str(), crdt, *epoch));
        let mut fresh: Vec<Fresh<'_>> = log
            .take_undelivered()
            .map(|e| Fresh {
                delta_len: encoder.hub_delta_len(e.offset, e.replica, e.seq, e.payload.len()),
                ack_len: encoder.ack_len(e.seq, Some(e.offset)),
                entry: e,
                delta: None,
            })
            .collect();
        let mut runs = runs(&fresh, max_entries, max_bytes);
        // Member by member (one session lookup each), entry by entry in log order: a
        // member's decisions depend only on its own session's backlog.
        for (&sid, m) in members.iter_mut() {
            let Some(s) = sessions.get_mut(&sid) else {
                continue;
            };
            for run in runs.iter_mut() {
                let Some(first) = fresh.get(run.start).map(|f| f.entry.offset) else {
                    continue;
                };
                let n = run.end - run.start;
                if n > 1 && m.next == first && !run.origins.contains(&m.replica) {
                    let batch = run.batch.get_or_insert_with(|| {
                        let entries = fresh[run.start..run.end].iter().map(|f| f.entry);
                        encode_batch(room, crdt, *epoch, entries, reorder)
                    });
                    if s.fits(batch.len(), max_backlog) {
                        s.queue(sid, batch.clone(), ready, metrics);
                        m.next = m.next.saturating_add(n as u64);
                        metrics.deltas_out = metrics.deltas_out.saturating_add(n as u64);
                        continue;
                    }
                }
                for f in fresh[run.start..run.end].iter_mut() {
                    let e = f.entry;
                    let own = m.replica == e.replica;
                    // Past it (the join's replay sent it), or catching up (delivered
                    // from the log later). An origin behind still gets its `Ack` now
                    // if it fits: the offset is ahead of it, and it ignores it.
                    if m.next > e.offset || (m.next != e.offset && !own) {
                        continue;
                    }
                    if !s.fits(if own { f.ack_len } else { f.delta_len }, max_backlog) {
                        continue; // falls behind, or (origin) learns from the replay
                    }
                    let bytes =
                        if own {
                            // Usually one recipient (the origin's session): not shared.
                            Bytes::from(encoder.ack(f.ack_len, e.seq, Some(e.offset)))
                        } else {
                            let delta_len = f.delta_len;
                            f.delta
                                .get_or_insert_with(|| {
                                    Bytes::from(encoder.hub_delta(
                                        delta_len, e.offset, e.replica, e.seq, &e.payload,
                                    ))
                                })
                                .clone()
                        };
                    s.queue(sid, bytes, ready, metrics);
                    if m.next == e.offset {
                        m.next = m.next.saturating_add(1);
                        if !own {
                            metrics.deltas_out = metrics.deltas_out.saturating_add(1);
                        }
                    }
                }
            }
            if m.next < head {
                s.maybe_behind = true;
            }
        }
    }
}
