//! The durable part of a session, as plain data: per room the CRDT type, next
//! local sequence, log position and unacknowledged deltas. A driver stores it
//! (e.g. in IndexedDB) and restores a client from it after a restart, so that
//! queued deltas are not lost, sequence numbers are not reused and delivery
//! resumes where it stopped. Presence and connection state are not durable.

use bytes::Bytes;

use super::Client;
use super::config::ClientConfig;
use super::error::{ClientError, RestoreError};
use super::outbox::Entry;
use super::rooms::{Room, validate_names};
use crate::time::Instant;
use crate::wire::{Position, RoomId};

/// The durable state of a client session.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersistedState {
    /// Joined rooms, in room order.
    pub rooms: Vec<PersistedRoom>,
}

/// The durable state of one room.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersistedRoom {
    /// The room.
    pub room: RoomId,
    /// Its CRDT type tag.
    pub crdt: String,
    /// The sequence number the next local delta gets.
    pub next_seq: u64,
    /// Epoch and next expected offset, if the room was ever joined.
    pub position: Option<Position>,
    /// Unacknowledged local deltas, in sequence order.
    pub outbox: Vec<PersistedDelta>,
}

/// One unacknowledged local delta.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersistedDelta {
    /// Its sequence number.
    pub seq: u64,
    /// The encoded delta.
    pub payload: Bytes,
}

impl Client {
    /// The durable state to store. Store it after events that change it
    /// (`Delta`, `Resync`, `DeltaAcked`, `Joined`) and after `submit`.
    pub(crate) fn export_state(&self) -> PersistedState {
        let rooms = self
            .rooms
            .iter()
            .map(|(id, r)| PersistedRoom {
                room: id.clone(),
                crdt: r.crdt.clone(),
                next_seq: r.next_seq,
                position: r.position,
                outbox: self
                    .outbox
                    .entries(id)
                    .map(|e| PersistedDelta {
                        seq: e.seq,
                        payload: e.payload.clone(),
                    })
                    .collect(),
            })
            .collect();
        PersistedState { rooms }
    }

    /// A disconnected client holding `state`: its rooms are joined again (resuming
    /// from their positions) and its queued deltas sent once connected.
    pub(crate) fn restore(
        config: ClientConfig,
        now: Instant,
        state: PersistedState,
    ) -> Result<Client, RestoreError> {
        let mut c = Client::new(config, now)?;
        for pr in state.rooms {
            validate_names(&pr.room, &pr.crdt).map_err(RestoreError::Room)?;
            if c.rooms.contains_key(&pr.room) {
                return Err(RestoreError::Room(ClientError::AlreadyJoined(pr.room)));
            }
            if c.rooms.len() >= c.config.max_rooms {
                let max = c.config.max_rooms;
                return Err(RestoreError::Room(ClientError::TooManyRooms { max }));
            }
            let next_seq = pr.next_seq.max(1);
            let mut prev = 0;
            for d in &pr.outbox {
                if d.seq <= prev || d.seq >= next_seq {
                    return Err(RestoreError::BadSequence(pr.room));
                }
                prev = d.seq;
            }
            // Sequences in a queue are consecutive (§8.1). A state saved by an older
            // version may have gaps (merges once took the highest number): it is
            // closed up below its last sequence, which the next `Joined` settles
            // against the hub's `acked_seq` anyway.
            let n = pr.outbox.len() as u64;
            let next_seq = if n == 0 {
                next_seq
            } else {
                prev.saturating_add(1)
            };
            for (i, d) in pr.outbox.into_iter().enumerate() {
                // Restored deltas may have reached the hub before the restart.
                let e = Entry {
                    seq: prev - (n - 1 - i as u64), // ≥ 1: the old ones increase from ≥ 1
                    payload: d.payload,
                    ever_sent: true,
                    sent_before: true,
                };
                c.outbox
                    .append(&pr.room, &pr.crdt, e)
                    .map_err(|_| RestoreError::OutboxTooLarge)?;
            }
            let mut room = Room::new(&pr.crdt, pr.position, next_seq);
            // The saved document may lack own entries logged after the save.
            room.restored = true;
            c.rooms.insert(pr.room, room);
        }
        Ok(c)
    }
}
