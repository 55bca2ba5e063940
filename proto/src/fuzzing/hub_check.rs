//! Checks on what the hub sends, against what storage durably holds: no delta is
//! acked (by `Ack` or a `Joined`'s `acked_seq`) unless storage has it, no entry is
//! delivered beyond the durable head or from another epoch, a session's own deltas
//! are not echoed live, every frame decodes; plus `Hub::check_invariants`, backlog
//! bounds and deadlines never before `now` after every step.

use crate::hub::{Hub, MemoryStorage};
use crate::time::Instant;
use crate::wire::{Frame, ReplicaId, RoomId};

use super::hub_confirm::Confirmations;
use super::hub_frames::stored;

/// The highest durable sequence of `replica` in `room`, and the room's epoch and head.
fn durable(
    storage: &mut MemoryStorage,
    failing: bool,
    room: &RoomId,
    replica: ReplicaId,
) -> (u64, u64, u64) {
    match stored(storage, failing, room) {
        Some(rec) => {
            let seq = rec
                .seqs
                .iter()
                .find(|(r, _)| *r == replica)
                .map_or(0, |(_, s)| *s);
            (seq, rec.epoch, rec.head)
        }
        None => (0, 0, 0),
    }
}

/// Checks one frame the hub sent to a session speaking for `replica`.
pub(crate) fn sent(
    storage: &mut MemoryStorage,
    failing: bool,
    confirmed: &Confirmations,
    replica: Option<ReplicaId>,
    bytes: &[u8],
) {
    let frame =
        Frame::decode(bytes).unwrap_or_else(|e| panic!("hub sent an undecodable frame: {e:?}"));
    let me = replica.unwrap_or_default();
    match frame {
        Frame::Ack(a) => {
            let (seq, _, _) = durable(storage, failing, &a.room, me);
            assert!(
                a.seq <= seq,
                "ack of seq {} in {} but storage holds {seq}",
                a.seq,
                a.room
            );
            let told = confirmed.told(&a.room, me);
            assert!(
                a.seq <= told,
                "ack of seq {} in {} before storage confirmed it (confirmed {told})",
                a.seq,
                a.room
            );
        }
        Frame::Joined(j) => {
            let (seq, epoch, head) = durable(storage, failing, &j.room, me);
            assert!(
                j.acked_seq <= seq,
                "Joined acks {} but storage holds {seq}",
                j.acked_seq
            );
            let told = confirmed.told(&j.room, me);
            assert!(
                j.acked_seq <= told,
                "Joined acks {} before storage confirmed it (confirmed {told})",
                j.acked_seq
            );
            // A new room's `Create` may still be in flight (epoch 0 here: no record).
            if epoch != 0 {
                assert_eq!(j.epoch, epoch, "Joined epoch differs from storage");
            }
            assert!(
                j.start <= j.head && j.head <= head,
                "Joined range {}..{} beyond head {head}",
                j.start,
                j.head
            );
        }
        Frame::HubDelta(d) => {
            let (_, epoch, head) = durable(storage, failing, &d.room, me);
            assert_eq!(d.epoch, epoch, "delta from another epoch");
            assert!(
                d.offset < head,
                "delta at {} not durable (head {head})",
                d.offset
            );
            assert_ne!(Some(d.replica), replica, "own delta echoed live");
        }
        Frame::DeltaBatch(b) => {
            let (_, epoch, head) = durable(storage, failing, &b.room, me);
            assert_eq!(b.epoch, epoch, "batch from another epoch");
            let end = b.first_offset.saturating_add(b.entries.len() as u64);
            assert!(end <= head, "batch up to {end} not durable (head {head})");
        }
        Frame::Hello(_)
        | Frame::Join(_)
        | Frame::Leave(_)
        | Frame::ClientDelta(_)
        | Frame::SetPresence(_) => {
            panic!("hub sent a client frame: {}", frame.name())
        }
        _ => {}
    }
}

/// State checks after one step and its drain.
pub(crate) fn after_step(
    hub: &Hub,
    now: Instant,
    sessions: impl Iterator<Item = crate::wire::SessionId>,
) {
    if let Err(e) = hub.check_invariants() {
        panic!("hub invariant: {e}");
    }
    if let Some(deadline) = hub.poll_timeout() {
        assert!(deadline >= now, "deadline {deadline:?} before now {now:?}");
    }
    let c = hub.config();
    let bound = c.max_backlog_bytes.saturating_add(c.max_frame_bytes);
    for sid in sessions {
        if let Some(b) = hub.backlog(sid) {
            assert!(b <= bound, "{sid:?} backlog {b} over {bound}");
        }
    }
    assert!(hub.session_count() <= c.max_sessions, "too many sessions");
    assert!(hub.room_count() <= c.max_loaded_rooms, "too many rooms");
}
