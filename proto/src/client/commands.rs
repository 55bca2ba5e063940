//! Application commands on rooms: `join`, `submit`, `set_presence`, `leave`.
//!
//! Commands work in every state: while offline they are recorded and take effect
//! (joins, queued deltas, presence) once connected. A caller mistake returns a
//! [`ClientError`] and changes nothing.

use bytes::Bytes;

use super::Client;
use super::error::ClientError;
use super::lifecycle::ClientState;
use super::merging::max_payload;
use super::metrics::bump;
use super::rooms::{Room, RoomStatus, validate_names};
use crate::time::Instant;
use crate::wire::RoomId;

impl Client {
    /// Joins `room` with CRDT type `crdt`. The `Join` is sent when connected;
    /// `ClientEvent::Joined` (or `JoinRejected`) follows. A room left earlier is
    /// joined afresh (no resume position).
    pub(crate) fn join(
        &mut self,
        now: Instant,
        room: RoomId,
        crdt: &str,
    ) -> Result<(), ClientError> {
        self.advance(now);
        validate_names(&room, crdt)?;
        if self.rooms.contains_key(&room) {
            return Err(ClientError::AlreadyJoined(room));
        }
        let max = self.config.max_rooms;
        if self.rooms.len().saturating_add(self.leaving.len()) >= max {
            return Err(ClientError::TooManyRooms { max });
        }
        self.rooms.insert(room, Room::new(crdt, None, 1));
        Ok(())
    }

    /// Queues a local delta for `room` and returns the sequence number it is queued
    /// under. The delta stays in the outbox until the hub acknowledges it
    /// (`DeltaAcked`), surviving disconnects; it may be merged with other queued
    /// deltas of the room. Sequences stay consecutive (PROTOCOL.md §8.1), so a
    /// queued delta is renumbered when an earlier one is withdrawn or a re-join
    /// finds the hub holding other numbers; its number is final once acknowledged.
    pub(crate) fn submit(
        &mut self,
        now: Instant,
        room: &RoomId,
        payload: Bytes,
    ) -> Result<u64, ClientError> {
        self.advance(now);
        let bounds = self.size_bounds(false);
        let Some(r) = self.rooms.get_mut(room) else {
            return Err(ClientError::NotJoined(room.clone()));
        };
        if let RoomStatus::Rejected(code) = r.status {
            let room = room.clone();
            return Err(ClientError::RoomRejected { room, code });
        }
        if !r.writable {
            return Err(ClientError::ReadOnly(room.clone()));
        }
        let max = max_payload(bounds, room, &r.crdt);
        if payload.len() > max {
            let size = payload.len();
            return Err(ClientError::PayloadTooLarge { size, max });
        }
        let seq = r.next_seq;
        if seq == u64::MAX {
            return Err(ClientError::SequenceExhausted(room.clone()));
        }
        let merger = &*self.config.merger;
        let (seq, merged) = self
            .outbox
            .push(room, &r.crdt, seq, payload, merger, bounds)?;
        bump(&mut self.metrics.deltas_submitted);
        if merged {
            bump(&mut self.metrics.deltas_merged);
        } else {
            let _ = r.take_seq();
        }
        Ok(seq)
    }

    /// Sets this session's presence state in `room`; sent now if joined, and again
    /// after every re-join. Only the latest state is kept.
    pub(crate) fn set_presence(
        &mut self,
        now: Instant,
        room: &RoomId,
        state: Bytes,
    ) -> Result<(), ClientError> {
        self.advance(now);
        let bounds = self.size_bounds(true);
        let Some(r) = self.rooms.get_mut(room) else {
            return Err(ClientError::NotJoined(room.clone()));
        };
        if let RoomStatus::Rejected(code) = r.status {
            let room = room.clone();
            return Err(ClientError::RoomRejected { room, code });
        }
        let max = max_payload(bounds, room, "");
        if state.len() > max {
            let size = state.len();
            return Err(ClientError::PayloadTooLarge { size, max });
        }
        r.presence = Some(state);
        r.presence_dirty = true;
        Ok(())
    }

    /// Leaves `room`: sends `Leave` if the hub knows the membership, forgets the
    /// room's position and presence, and discards its unacknowledged deltas.
    /// Deltas already sent may still be logged by the hub; a later fresh join
    /// replays them as `Delta`, unless they become durable only after that join's
    /// `Joined` (they are then acknowledged but never delivered), so applications
    /// should leave a room once its deltas are acknowledged.
    pub(crate) fn leave(&mut self, now: Instant, room: &RoomId) -> Result<(), ClientError> {
        self.advance(now);
        let Some(r) = self.rooms.remove(room) else {
            return Err(ClientError::NotJoined(room.clone()));
        };
        let hub_knows = matches!(r.status, RoomStatus::Joining | RoomStatus::Joined);
        if self.state == ClientState::Connected && hub_knows {
            self.leaving.insert(room.clone());
        }
        let _ = self.outbox.remove_room(room);
        Ok(())
    }
}
