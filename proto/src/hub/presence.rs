//! Presence: ephemeral per-peer state that is relayed to the room and never logged
//! (who is in the room is told by [`super::peers`]).
//!
//! Presence state is bounded per update (`max_presence_bytes`) and never pushes a
//! recipient past its backlog bound: an update that does not fit is dropped for that
//! recipient, which is marked (`Member::presence_from`) and, as its backlog drains
//! (`Hub::handle_flushed`), receives the latest state of the peers it missed — latest
//! value wins, so a spamming peer costs each recipient at most one state per peer.

use bytes::Bytes;

use super::Hub;
use super::backlog::Sink;
use super::peer_news::PeerNews;
use super::room::Room;
use crate::wire::{ErrorCode, Frame, Presence, RoomId, SessionId, SetPresence};

impl Hub {
    pub(crate) fn on_set_presence(&mut self, sid: SessionId, p: SetPresence) {
        if p.state.len() > self.config.max_presence_bytes {
            let msg = "presence state exceeds max_presence_bytes";
            self.reject(sid, ErrorCode::PAYLOAD_TOO_LARGE, Some(p.room), None, msg);
            return;
        }
        let member = self
            .rooms
            .get_mut(&p.room)
            .and_then(Room::loaded_mut)
            .and_then(|l| l.members.get_mut(&sid));
        let Some(member) = member else {
            self.reject(
                sid,
                ErrorCode::UNKNOWN_ROOM,
                Some(p.room),
                None,
                "not joined",
            );
            return;
        };
        member.presence = Some(p.state.clone());
        // Members hear of a peer before its presence (here and on other nodes).
        self.flush_room_peers_if_due(&p.room);
        let news = PeerNews::Presence {
            peer: sid,
            state: p.state.clone(),
        };
        self.publish(&p.room, news);
        self.relay_presence(&p.room, sid, p.state);
    }

    /// Relays `state`, the presence of peer `sid` (local or an alias), to the other
    /// local members of `room`. A room too large to list relays none (its members
    /// hold no list to attach it to).
    pub(crate) fn relay_presence(&mut self, room: &RoomId, sid: SessionId, state: Bytes) {
        self.flush_room_peers_if_due(room);
        if !self
            .rooms
            .get(room)
            .and_then(Room::loaded)
            .is_some_and(|l| l.peers.listed())
        {
            return;
        }
        let frame = Frame::Presence(Presence {
            room: room.clone(),
            peer: sid,
            state,
        });
        let bytes = Bytes::from(frame.encode());
        let Hub {
            rooms,
            sessions,
            ready,
            metrics,
            config,
            ..
        } = self;
        let Some(l) = rooms.get_mut(room).and_then(Room::loaded_mut) else {
            return;
        };
        let mut sink = Sink {
            sessions,
            ready,
            metrics,
            max_backlog: config.max_backlog_bytes,
        };
        for (&other, m) in l.members.iter_mut() {
            if other == sid {
                continue;
            }
            if m.presence_from.is_none() && sink.fits(other, bytes.len()) {
                sink.queue(other, bytes.clone());
                continue;
            }
            // Dropped for this member: it gets the latest state once it drains.
            sink.metrics.presence_dropped = sink.metrics.presence_dropped.saturating_add(1);
            m.presence_from = Some(m.presence_from.map_or(sid, |from| from.min(sid)));
            if let Some(s) = sink.sessions.get_mut(&other) {
                s.maybe_behind = true;
            }
        }
    }

    /// Re-sends to `sid` the latest presence of the peers it missed in `room`, while
    /// its backlog allows (see the module docs).
    pub(crate) fn resend_presence(&mut self, sid: SessionId, room: &RoomId) {
        self.flush_room_peers_if_due(room);
        let Hub {
            rooms,
            sessions,
            ready,
            metrics,
            config,
            ..
        } = self;
        let Some(l) = rooms.get_mut(room).and_then(Room::loaded_mut) else {
            return;
        };
        let Some(from) = l.members.get(&sid).and_then(|m| m.presence_from) else {
            return;
        };
        if !l.peers.listed() {
            // Summary mode relays no presence; the next full list carries it.
            if let Some(m) = l.members.get_mut(&sid) {
                m.presence_from = None;
            }
            return;
        }
        let mut sink = Sink {
            sessions,
            ready,
            metrics,
            max_backlog: config.max_backlog_bytes,
        };
        let mut stuck = None;
        // Local members, then those of other nodes (aliases are above every local id).
        let states = l
            .members
            .iter()
            .map(|(&peer, m)| (peer, &m.presence))
            .chain(l.remote.iter().map(|(&peer, r)| (peer, &r.presence)));
        for (peer, state) in states {
            if peer < from || peer == sid {
                continue;
            }
            let Some(state) = state else {
                continue;
            };
            let frame = Frame::Presence(Presence {
                room: room.clone(),
                peer,
                state: state.clone(),
            });
            let bytes = Bytes::from(frame.encode());
            if !sink.fits(sid, bytes.len()) {
                stuck = Some(peer);
                break;
            }
            sink.queue(sid, bytes);
        }
        if let Some(m) = l.members.get_mut(&sid) {
            m.presence_from = stuck;
        }
    }

    /// Marks that `sid` missed the presence of `room`'s peers from session `from` on:
    /// their latest states follow as its backlog drains.
    pub(crate) fn mark_presence_missed(&mut self, room: &RoomId, sid: SessionId, from: SessionId) {
        let member = self
            .rooms
            .get_mut(room)
            .and_then(Room::loaded_mut)
            .and_then(|l| l.members.get_mut(&sid));
        if let Some(m) = member {
            m.presence_from = Some(m.presence_from.map_or(from, |f| f.min(from)));
        }
        if let Some(s) = self.sessions.get_mut(&sid) {
            s.maybe_behind = true;
        }
    }
}
