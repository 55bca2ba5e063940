//! Presence: peers joining and leaving (with user info), and ephemeral per-peer state
//! that is relayed to the room and never logged. Presence updates that do not fit a
//! recipient's backlog are dropped for that recipient (a later update supersedes them).

use bytes::Bytes;

use super::Hub;
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
        for other in self.room_members(&p.room) {
            if other == sid {
                continue;
            }
            if self.can_push(other, bytes.len()) {
                self.push_bytes(other, bytes.clone());
            } else {
                self.metrics.presence_dropped = self.metrics.presence_dropped.saturating_add(1);
            }
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
            to_joiner.push(joined);
            if let Some(state) = &m.presence {
                to_joiner.push(Frame::Presence(Presence {
                    room: room.clone(),
                    peer,
                    state: state.clone(),
                }));
            }
        }
        for f in &to_joiner {
            self.send(sid, f);
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
