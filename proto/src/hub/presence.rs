//! Presence: peers joining and leaving (with user info), and ephemeral per-peer state
//! that is relayed to the room and never logged.
//!
//! Presence state is bounded per update (`max_presence_bytes`) and never pushes a
//! recipient past its backlog bound: an update that does not fit is dropped for that
//! recipient, which is marked (`Member::presence_from`) and, as its backlog drains
//! (`Hub::handle_flushed`), receives the latest state of the peers it missed — latest
//! value wins, so a spamming peer costs each recipient at most one state per peer.

use bytes::Bytes;

use super::Hub;
use super::backlog::Sink;
use super::room::Room;
use crate::wire::{
    ErrorCode, Frame, PeerJoined, PeerLeft, Presence, RoomId, SessionId, SetPresence,
};

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
        let frame = Frame::Presence(Presence {
            room: p.room.clone(),
            peer: sid,
            state: p.state,
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
        let Some(l) = rooms.get_mut(&p.room).and_then(Room::loaded_mut) else {
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
        let mut sink = Sink {
            sessions,
            ready,
            metrics,
            max_backlog: config.max_backlog_bytes,
        };
        let mut stuck = None;
        for (&peer, m) in l.members.iter() {
            if peer < from || peer == sid {
                continue;
            }
            let Some(state) = &m.presence else {
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

    /// After `Joined`: existing peers (and their presence) to the joiner, the joiner to them.
    pub(crate) fn announce_join(&mut self, sid: SessionId, room: &RoomId) {
        let Some(l) = self.rooms.get(room).and_then(Room::loaded) else {
            return;
        };
        let mut to_joiner = Vec::new();
        let mut to_others = Vec::new();
        let mut others = Vec::new();
        for (&peer, m) in &l.members {
            let joined = Frame::PeerJoined(PeerJoined {
                room: room.clone(),
                peer,
                replica: m.replica,
                user_info: m.user_info.clone(),
            });
            if peer == sid {
                to_others.push(joined);
                continue;
            }
            others.push(peer);
            to_joiner.push((joined, None));
            if let Some(state) = &m.presence {
                let presence = Frame::Presence(Presence {
                    room: room.clone(),
                    peer,
                    state: state.clone(),
                });
                to_joiner.push((presence, Some(peer)));
            }
        }
        // Peers' presence that does not fit the joiner's backlog follows as it
        // drains, like any dropped presence (a big room cannot overflow a joiner).
        let mut missed = None;
        for (f, presence_of) in &to_joiner {
            match presence_of {
                None => {
                    self.send(sid, f);
                }
                Some(peer) => {
                    let bytes = Bytes::from(f.encode());
                    if missed.is_none() && self.can_push(sid, bytes.len()) {
                        self.push_bytes(sid, bytes);
                    } else {
                        missed = missed.or(Some(*peer));
                    }
                }
            }
        }
        if let Some(from) = missed {
            self.metrics.presence_dropped = self.metrics.presence_dropped.saturating_add(1);
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
        if let Some(f) = to_others.first() {
            let bytes = Bytes::from(f.encode());
            for peer in others {
                self.push_bytes(peer, bytes.clone());
            }
        }
    }

    pub(crate) fn broadcast_peer_left(
        &mut self,
        room: &RoomId,
        sid: SessionId,
        others: &[SessionId],
    ) {
        let frame = Frame::PeerLeft(PeerLeft {
            room: room.clone(),
            peer: sid,
        });
        let bytes = Bytes::from(frame.encode());
        for &peer in others {
            self.push_bytes(peer, bytes.clone());
        }
    }
}
