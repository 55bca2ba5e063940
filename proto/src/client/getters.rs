//! The client's getters: lifecycle, configuration, rooms, outbox and metrics.

use bytes::Bytes;

use super::error::DisconnectReason;
use super::lifecycle::ClientState;
use super::metrics::ClientMetrics;
use super::rooms::{Room, RoomInfo};
use super::{Client, ClientConfig};
use crate::wire::{ReplicaId, RoomId, Welcome};

impl Client {
    /// The lifecycle state.
    pub fn state(&self) -> ClientState {
        self.state
    }

    /// Why the session is `Failed` (or `Closed`), if it is.
    pub fn failure(&self) -> Option<&DisconnectReason> {
        self.failure.as_ref()
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The replica this session speaks for.
    pub fn replica(&self) -> ReplicaId {
        self.replica
    }

    /// The hub's `Welcome` on the current connection, when connected.
    pub fn session(&self) -> Option<&Welcome> {
        self.session.as_ref()
    }

    /// Consecutive reconnection attempts since the last stable connection.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// One room's state, if the room is joined (in any status).
    pub fn room(&self, room: &RoomId) -> Option<RoomInfo> {
        self.rooms.get(room).map(Room::info)
    }

    /// All rooms with their state, in room order.
    pub fn rooms(&self) -> impl Iterator<Item = (&RoomId, RoomInfo)> + '_ {
        self.rooms.iter().map(|(id, r)| (id, r.info()))
    }

    /// Deltas in the outbox (unacknowledged, across rooms).
    pub fn outbox_len(&self) -> usize {
        self.outbox.len()
    }

    /// Deltas of `room` in the outbox.
    pub fn room_outbox_len(&self, room: &RoomId) -> usize {
        self.outbox.entries(room).count()
    }

    /// Payload bytes in the outbox.
    pub fn outbox_bytes(&self) -> usize {
        self.outbox.bytes()
    }

    /// The session's counters, with `time_connected` up to the latest `now`.
    pub fn metrics(&self) -> ClientMetrics {
        let mut m = self.metrics.clone();
        if let Some(since) = self.connected_since {
            m.time_connected = m.time_connected.saturating_add(self.now - since);
        }
        m.rtt_last = self.heartbeat.rtt_last;
        m.rtt_smoothed = self.heartbeat.rtt_smoothed;
        m
    }

    /// The unacknowledged deltas of `room` in the outbox, in sequence order:
    /// `(seq, payload)`. A resynced document re-applies them (the snapshot may
    /// predate them).
    pub fn room_unacked<'a>(
        &'a self,
        room: &'a RoomId,
    ) -> impl Iterator<Item = (u64, &'a Bytes)> + 'a {
        self.outbox.entries(room).map(|e| (e.seq, &e.payload))
    }
}
