//! Loading a room: the record storage returned (validated), creating a room that has
//! none (at once in single-node mode; in shared-log mode after the creation stands,
//! loading again when another node created it first), and installing the loaded room
//! with the joins that waited for it.

use super::Hub;
use super::auth::Access;
use super::checked::Checked;
use super::events::HubEvent;
use super::log::RoomLog;
use super::record::valid;
use super::room::{LoadedRoom, PendingJoin, RoomState};
use super::state::OpKind;
use super::storage::{RoomRecord, StorageAction, StorageError};
use crate::wire::{ErrorCode, RoomId, SessionId};

impl Hub {
    pub(crate) fn on_loaded(
        &mut self,
        room: &RoomId,
        result: Result<Option<RoomRecord>, StorageError>,
    ) {
        let Some(r) = self.rooms.get_mut(room) else {
            return;
        };
        let RoomState::Loading { pending, .. } = &mut r.state else {
            return;
        };
        let pending = std::mem::take(pending);
        let incarnation = r.incarnation;
        let record = match result {
            Ok(Some(rec)) if !valid(&rec) => Err(StorageError("inconsistent room record".into())),
            other => other,
        };
        let (loaded, created) = match record {
            Err(e) => return self.refuse_load(room, pending, e),
            Ok(Some(rec)) => (self.room_from_record(rec), false),
            Ok(None) => {
                // Only a writer's join creates a room (and fixes its type).
                let writer = pending.iter().position(|p| self.may_write(p.session, room));
                let Some(first) = writer.and_then(|i| pending.get(i)) else {
                    self.rooms.remove(room);
                    self.refuse_creation(room, pending);
                    return;
                };
                let crdt = first.join.crdt.clone();
                let epoch = self.new_epoch();
                if self.config.shared_log {
                    // Another node may create it at the same time: the joins wait
                    // until storage says which creation stands.
                    let kind = OpKind::CreateShared {
                        crdt: crdt.clone(),
                        epoch,
                    };
                    let op = self.alloc_op(room, incarnation, kind);
                    self.storage.push_back(StorageAction::Create {
                        op,
                        room: room.clone(),
                        crdt,
                        epoch,
                    });
                    if let Some(RoomState::Loading { pending: p, .. }) =
                        self.rooms.get_mut(room).map(|r| &mut r.state)
                    {
                        *p = pending;
                    }
                    return;
                }
                let op = self.alloc_op(room, incarnation, OpKind::Create);
                self.storage.push_back(StorageAction::Create {
                    op,
                    room: room.clone(),
                    crdt: crdt.clone(),
                    epoch,
                });
                (self.empty_room(crdt, epoch), true)
            }
        };
        self.install(room, loaded, created, pending);
    }

    /// A room that could not be loaded: dropped, its queued joins refused `INTERNAL`.
    fn refuse_load(&mut self, room: &RoomId, pending: Vec<PendingJoin>, e: StorageError) {
        self.rooms.remove(room);
        self.events.push(HubEvent::RoomFailed {
            room: room.clone(),
            error: e.0,
        });
        for p in pending {
            self.refuse_join(
                room,
                p.session,
                ErrorCode::INTERNAL,
                "room could not be loaded",
            );
        }
    }

    /// Shared-log mode: storage answered this node's creation of `room`. Refused,
    /// another node created it first (or storage failed): the room is loaded again,
    /// at most three times before its joins are refused.
    pub(crate) fn on_created_shared(
        &mut self,
        room: &RoomId,
        crdt: String,
        epoch: u64,
        result: Result<(), StorageError>,
    ) {
        let Some(r) = self.rooms.get_mut(room) else {
            return;
        };
        let incarnation = r.incarnation;
        let RoomState::Loading { pending, creates } = &mut r.state else {
            return;
        };
        match result {
            Ok(()) => {
                let pending = std::mem::take(pending);
                let loaded = self.empty_room(crdt, epoch);
                self.install(room, loaded, true, pending);
            }
            Err(e) if *creates >= 2 => {
                let pending = std::mem::take(pending);
                self.refuse_load(room, pending, e);
            }
            Err(_) => {
                *creates += 1;
                let op = self.alloc_op(room, incarnation, OpKind::Load);
                self.storage.push_back(StorageAction::Load {
                    op,
                    room: room.clone(),
                    tail_limit: self.config.max_tail_entries,
                });
            }
        }
    }

    /// Makes `room` loaded and serves the joins that waited for it.
    fn install(
        &mut self,
        room: &RoomId,
        loaded: LoadedRoom,
        created: bool,
        pending: Vec<PendingJoin>,
    ) {
        let (epoch, head) = (loaded.epoch, loaded.log.durable_head());
        let crdt = loaded.crdt.clone();
        if let Some(r) = self.rooms.get_mut(room) {
            r.state = RoomState::Loaded(Box::new(loaded));
        }
        self.events.push(HubEvent::RoomLoaded {
            room: room.clone(),
            epoch,
            head,
            created,
        });
        // Other nodes serving the room answer with their rosters.
        self.publish_roster(room, true);
        for p in pending {
            if !self
                .sessions
                .get(&p.session)
                .is_some_and(|s| s.rooms.contains(room))
            {
                continue;
            }
            if *p.join.crdt != *crdt {
                let msg = "room has another CRDT type";
                self.refuse_join(room, p.session, ErrorCode::CRDT_MISMATCH, msg);
                continue;
            }
            // The record was read after these joins arrived: no catch-up read needed.
            self.serve_join_now(p.session, p.join);
        }
        if self.room_members(room).is_empty() {
            self.arm_idle(room);
        }
        self.maybe_compact(room);
        // Entries only in storage between the snapshot and the tail: fold them in
        // (after the joins, whose catch-up reads storage takes first, in order).
        self.request_fold(room);
    }

    /// Whether `sid` has write access to `room`.
    fn may_write(&self, sid: SessionId, room: &RoomId) -> bool {
        let identity = self.sessions.get(&sid).and_then(|s| s.identity());
        identity.is_some_and(|i| i.access_to(room) == Access::ReadWrite)
    }

    /// Rejects the joins of a room that does not exist when none of them may create
    /// it (read-only sessions): `FORBIDDEN`, with the room.
    fn refuse_creation(&mut self, room: &RoomId, pending: Vec<PendingJoin>) {
        let msg = "room does not exist; creating it needs write access";
        for p in pending {
            self.refuse_join(room, p.session, ErrorCode::FORBIDDEN, msg);
        }
    }

    /// Refuses `session`'s membership (or waiting join) of `room` with `code`: the
    /// session no longer counts the room as joined or joining, and gets a `Reject`
    /// naming the room.
    pub(crate) fn refuse_join(
        &mut self,
        room: &RoomId,
        session: SessionId,
        code: ErrorCode,
        msg: &str,
    ) {
        if let Some(s) = self.sessions.get_mut(&session) {
            s.rooms.remove(room);
        }
        self.reject(session, code, Some(room.clone()), None, msg);
    }

    fn empty_room(&self, crdt: String, epoch: u64) -> LoadedRoom {
        LoadedRoom {
            crdt: crdt.into(),
            epoch,
            log: self.new_log(RoomLog::new(0, Vec::new(), &[])),
            snapshot: None,
            storage_first: 0,
            fold: Default::default(),
            members: Default::default(),
            parked: Vec::new(),
            backlogged: Vec::new(),
            sync: Default::default(),
            refreshing: false,
            peers: Default::default(),
            remote: Default::default(),
            encoder: None,
        }
    }

    fn room_from_record(&self, rec: RoomRecord) -> LoadedRoom {
        let keep = rec.tail.len().saturating_sub(self.config.max_tail_entries);
        let tail = rec.tail.into_iter().skip(keep).collect();
        LoadedRoom {
            crdt: rec.crdt.into(),
            epoch: rec.epoch,
            log: self.new_log(RoomLog::new(rec.head, tail, &rec.seqs)),
            snapshot: rec.snapshot,
            storage_first: rec.first_offset,
            fold: Default::default(),
            members: Default::default(),
            parked: Vec::new(),
            backlogged: Vec::new(),
            sync: Default::default(),
            refreshing: false,
            peers: Default::default(),
            remote: Default::default(),
            encoder: None,
        }
    }

    /// The log in the configured mode.
    fn new_log(&self, log: RoomLog) -> Checked<RoomLog> {
        Checked::new(if self.config.shared_log {
            log.into_shared()
        } else {
            log
        })
    }
}
