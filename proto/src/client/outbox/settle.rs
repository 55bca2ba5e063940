//! The hub's answers applied to the outbox's numbering: sequences it holds
//! (acks, and the `acked_seq` of a `Joined`, PROTOCOL.md §3.5 and §8.1), a delta
//! refused for good (withdrawn, later ones renumbered), an in-flight delta refused
//! (it and the ones after it become unsent).

use super::{Entry, Outbox};
use crate::wire::RoomId;

impl Outbox {
    /// The hub holds every sequence ≤ `seq` of this replica in `room`. Entries
    /// with such a sequence that may have reached the hub are removed (acked);
    /// entries that never left this client are renumbered with `fresh` (called in
    /// order, yielding increasing sequences above `seq`) and moved to the back, or
    /// removed if `fresh` is exhausted. Returns the removed entries.
    pub(in crate::client) fn settle(
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
        while let Some(e) = q.entries.get(i) {
            if e.seq > seq {
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

    /// Withdraws the entry of `room` with sequence `seq` (the hub refused it for
    /// good): removes it and renumbers every later entry one lower, so the queue
    /// stays consecutive. Only valid when no later entry can be on the hub, which
    /// the sequence rule guarantees once `seq` was refused.
    pub(in crate::client) fn withdraw(&mut self, room: &RoomId, seq: u64) -> Option<Entry> {
        let q = self.rooms.get_mut(room)?;
        let i = q.entries.iter().position(|e| e.seq == seq)?;
        let e = q.entries.remove(i)?;
        if i < q.sent {
            q.sent -= 1;
        }
        for later in q.entries.iter_mut().skip(i) {
            later.seq = later.seq.saturating_sub(1);
        }
        self.count -= 1;
        self.bytes -= e.payload.len();
        self.drop_if_empty(room);
        Some(e)
    }

    /// The hub refused the in-flight entry `seq`: it and every entry after it become
    /// unsent (the hub refuses every delta after a missing one), and those first
    /// sent on this connection reach no hub, so they may merge again. Returns how
    /// many entries were in flight after it (each of them will be refused too), or
    /// `None` if `seq` is not in flight.
    ///
    /// Entries sent on an earlier connection stay marked as sent, so they are never
    /// merged: this node refused them, but the earlier copy may still be on its way
    /// into the log through another hub node (PROTOCOL.md §8.6), and a merged entry
    /// acknowledged as that copy's duplicate would lose what was merged into it.
    pub(in crate::client) fn rewind(&mut self, room: &RoomId, seq: u64) -> Option<usize> {
        let q = self.rooms.get_mut(room)?;
        let i = q.entries.iter().take(q.sent).position(|e| e.seq == seq)?;
        let later = q.sent - i - 1;
        q.sent = i;
        for e in q.entries.iter_mut().skip(i) {
            e.ever_sent = e.sent_before;
        }
        Some(later)
    }

    /// After a `Joined` whose `acked_seq` settled the queue: the hub holds exactly
    /// the sequences up to `acked` (PROTOCOL.md §3.5), so every remaining entry is
    /// renumbered consecutively from `acked + 1`. Returns the room's next sequence.
    /// Entries keep their ever-sent mark: on several hub nodes an append sent
    /// through another node may still become durable after this `Joined` (§8.6).
    pub(in crate::client) fn renumber_after(&mut self, room: &RoomId, acked: u64) -> u64 {
        let mut next = acked.saturating_add(1);
        if let Some(q) = self.rooms.get_mut(room) {
            for e in q.entries.iter_mut() {
                e.seq = next;
                next = next.saturating_add(1);
            }
        }
        next
    }
}
