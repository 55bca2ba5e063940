//! Joining and leaving rooms: validation, loading on first use (joins queue until
//! storage answers), serving `Joined` per the [resume rules](super::resume).

use bytes::Bytes;

use super::Hub;
use super::auth::Access;
use super::resume;
use super::room::{Member, PendingJoin, Room, RoomState};
use super::state::OpKind;
use super::storage::StorageAction;
use super::timers::TimerKey;
use crate::wire::{ErrorCode, Frame, Join, Joined, RoomId, SessionId};

impl Hub {
    pub(crate) fn on_join(&mut self, sid: SessionId, join: Join) {
        let room_id = join.room.clone();
        // A second join of a joined room is a resume (the client saw a gap): the
        // session leaves the room and joins again from the position it names.
        let rejoin = self
            .sessions
            .get_mut(&sid)
            .is_some_and(|s| s.rooms.remove(&room_id));
        if rejoin {
            self.remove_member(sid, &room_id);
        }
        let Some(s) = self.sessions.get(&sid) else {
            return;
        };
        let reject = |code, msg: &'static str| Some((code, msg));
        let access = s.identity().map_or(Access::None, |i| i.access_to(&room_id));
        let problem = if s.rooms.len() >= self.config.max_rooms_per_session {
            reject(ErrorCode::TOO_MANY_ROOMS, "too many rooms for this session")
        } else if access == Access::None {
            reject(ErrorCode::FORBIDDEN, "no access to this room")
        } else if !self.config.merger.accepts_type(&join.crdt) {
            reject(
                ErrorCode::CRDT_MISMATCH,
                "CRDT type not registered on this hub",
            )
        } else {
            match self.rooms.get(&room_id).map(|r| &r.state) {
                Some(RoomState::Loaded(l)) if *l.crdt != *join.crdt => {
                    reject(ErrorCode::CRDT_MISMATCH, "room has another CRDT type")
                }
                None if self.rooms.len() >= self.config.max_loaded_rooms => {
                    reject(ErrorCode::INTERNAL, "hub room limit reached")
                }
                _ => None,
            }
        };
        if let Some((code, msg)) = problem {
            self.reject(sid, code, Some(room_id), None, msg);
            return;
        }
        if let Some(s) = self.sessions.get_mut(&sid) {
            s.rooms.insert(room_id.clone());
        }
        self.timers.cancel(&TimerKey::RoomIdle(room_id.clone()));
        match self.rooms.get_mut(&room_id).map(|r| &mut r.state) {
            Some(RoomState::Loaded(_)) => self.serve_join(sid, join),
            Some(RoomState::Loading { pending, .. }) => {
                pending.push(PendingJoin { session: sid, join })
            }
            None => {
                let incarnation = self.next_incarnation;
                self.next_incarnation = self.next_incarnation.saturating_add(1);
                let op = self.alloc_op(&room_id, incarnation, OpKind::Load);
                self.storage.push_back(StorageAction::Load {
                    op,
                    room: room_id.clone(),
                    tail_limit: self.config.max_tail_entries,
                });
                let pending = vec![PendingJoin { session: sid, join }];
                let state = RoomState::Loading {
                    pending,
                    creates: 0,
                };
                self.rooms.insert(room_id, Room { incarnation, state });
            }
        }
    }

    pub(crate) fn on_leave(&mut self, sid: SessionId, room: RoomId) {
        let joined = self
            .sessions
            .get_mut(&sid)
            .is_some_and(|s| s.rooms.remove(&room));
        if joined {
            self.remove_member(sid, &room);
        } else {
            self.reject(sid, ErrorCode::UNKNOWN_ROOM, Some(room), None, "not joined");
        }
    }

    /// Serves a join on a loaded room whose type matches (in shared-log mode, after
    /// reading the shared log up to its head: [`shared_log`](super::shared_log)).
    pub(crate) fn serve_join(&mut self, sid: SessionId, join: Join) {
        if self.config.shared_log {
            self.sync_join(sid, join);
        } else {
            self.serve_join_now(sid, join);
        }
    }

    /// Serves a join on a loaded room whose type matches: `Joined`, peers, then the log.
    pub(crate) fn serve_join_now(&mut self, sid: SessionId, join: Join) {
        let Some(s) = self.sessions.get(&sid) else {
            return;
        };
        let replica = s.replica;
        let user_info = s.user_info.clone();
        let writable = s.identity().map(|i| i.access_to(&join.room)) == Some(Access::ReadWrite);
        let Some(l) = self.rooms.get_mut(&join.room).and_then(Room::loaded_mut) else {
            return;
        };
        if l.log.replica_pending(replica) {
            // Appends of this replica (an earlier session's, or this session's before
            // a re-join) are in flight: answer once they are durable, so `acked_seq`
            // is the highest sequence accepted and the client numbers on from it.
            l.parked.push(PendingJoin { session: sid, join });
            return;
        }
        let head = l.log.durable_head();
        let plan = resume::plan(
            join.resume,
            l.epoch,
            head,
            l.storage_first,
            l.snapshot.as_ref(),
        );
        let joined = Frame::Joined(Joined {
            room: join.room.clone(),
            crdt: l.crdt.to_string(),
            epoch: l.epoch,
            start: plan.start,
            head,
            acked_seq: l.log.durable_seq(replica),
            writable,
            resync: plan.resync,
            snapshot: plan.snapshot,
        });
        let bytes = Bytes::from(joined.encode());
        let waits = self.sessions.get(&sid).is_some_and(|s| {
            s.closing.is_none() && !s.has_room(bytes.len(), self.config.max_backlog_bytes)
        });
        if waits {
            // Closing the session would make it resume into the same answer (a client
            // re-joining several big rooms at once, for ever): the `Joined` waits until
            // the backlog drains, and data frames wait with it.
            l.backlogged.push(PendingJoin { session: sid, join });
            if let Some(s) = self.sessions.get_mut(&sid) {
                s.backlogged_joins = s.backlogged_joins.saturating_add(1);
            }
            return;
        }
        let member = Member {
            replica,
            user_info,
            writable,
            next: plan.start,
            range_op: None,
            presence: None,
            presence_from: None,
            listed: false,
        };
        l.members.insert(sid, member);
        if let Some(s) = self.sessions.get_mut(&sid) {
            s.maybe_behind = true;
        }
        self.push_bytes(sid, bytes);
        self.note_joined(&join.room, sid);
        self.pump(sid, &join.room);
    }

    /// Serves the joins of `sid` whose `Joined` waited for room in its backlog (each
    /// waits again if it still does not fit).
    pub(crate) fn serve_backlogged(&mut self, sid: SessionId) {
        let Some(s) = self.sessions.get(&sid) else {
            return;
        };
        let rooms: Vec<RoomId> = s.rooms.iter().cloned().collect();
        for room in rooms {
            let Some(l) = self.rooms.get_mut(&room).and_then(Room::loaded_mut) else {
                continue;
            };
            let Some(i) = l.backlogged.iter().position(|p| p.session == sid) else {
                continue;
            };
            let waiting = l.backlogged.remove(i);
            if let Some(s) = self.sessions.get_mut(&sid) {
                s.backlogged_joins = s.backlogged_joins.saturating_sub(1);
            }
            self.serve_join_now(sid, waiting.join);
        }
    }

    /// Serves the parked joins of `room` whose replica has no append in flight any
    /// more, in arrival order.
    pub(crate) fn serve_parked(&mut self, room: &RoomId) {
        let Some(l) = self.rooms.get_mut(room).and_then(Room::loaded_mut) else {
            return;
        };
        if l.parked.is_empty() {
            return;
        }
        let parked = std::mem::take(&mut l.parked);
        for p in parked {
            // Parked again if its replica is still pending.
            self.serve_join_now(p.session, p.join);
        }
    }
}
