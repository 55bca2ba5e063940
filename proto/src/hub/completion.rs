//! Storage completions: matched to the operation that asked (stale ones ignored),
//! timed, and dispatched (loads and creations to [`loading`](super::loading), appends,
//! ranges, folds, shared-log verdicts and refreshes to their owners); and failing a
//! room when storage lost its footing.

use super::Hub;
use super::events::HubEvent;
use super::room::{Room, RoomState};
use super::session::clamp;
use super::state::OpKind;
use super::storage::{StorageCompletion, StorageError};
use crate::time::Instant;
use crate::wire::{CloseCode, ErrorCode, RoomId};

impl Hub {
    /// A storage action completed. Completions for unknown operations (or for a room
    /// instance that has since been dropped) are ignored.
    pub fn handle_storage(&mut self, now: Instant, completion: StorageCompletion) {
        let now = clamp(&mut self.now, now);
        let Some(p) = self.ops.remove(&completion.op()) else {
            return;
        };
        let latency = now.saturating_duration_since(p.issued).as_micros();
        let busy = matches!(&completion, StorageCompletion::Folded { result: Err(e), .. } if e.is_fold_busy());
        if busy {
            self.metrics.folds_deferred = self.metrics.folds_deferred.saturating_add(1);
        }
        let ok = busy
            || !matches!(
                &completion,
                StorageCompletion::Loaded { result: Err(_), .. }
                    | StorageCompletion::Created { result: Err(_), .. }
                    | StorageCompletion::Appended { result: Err(_), .. }
                    | StorageCompletion::AppendedShared { result: Err(_), .. }
                    | StorageCompletion::Range { result: Err(_), .. }
                    | StorageCompletion::Folded { result: Err(_), .. }
            );
        self.metrics
            .storage_done(u64::try_from(latency).unwrap_or(u64::MAX), ok);
        let current = self
            .rooms
            .get(&p.room)
            .is_some_and(|r| r.incarnation == p.incarnation);
        if !current {
            return;
        }
        let room = p.room;
        match (p.kind, completion) {
            (OpKind::Load, StorageCompletion::Loaded { result, .. }) => {
                self.on_loaded(&room, result)
            }
            (OpKind::Create, StorageCompletion::Created { result, .. }) => {
                if let Err(e) = result {
                    self.fail_room(&room, e);
                }
            }
            (OpKind::CreateShared { crdt, epoch }, StorageCompletion::Created { result, .. }) => {
                self.on_created_shared(&room, crdt, epoch, result)
            }
            (OpKind::Append, StorageCompletion::Appended { op, result }) => match result {
                Ok(()) => {
                    if let Some(l) = self.rooms.get_mut(&room).and_then(Room::loaded_mut) {
                        let waiting = l.log.has_undelivered();
                        l.log.complete(op);
                        if !waiting && l.log.has_undelivered() {
                            // Delivered live at the end of the turn, with the room's
                            // other entries of the turn (`Hub::deliver_live`).
                            self.live_due.push(room.clone());
                        }
                    }
                    self.serve_parked(&room);
                    self.maybe_compact(&room);
                }
                Err(e) => self.fail_room(&room, e),
            },
            (OpKind::AppendShared, StorageCompletion::AppendedShared { op, result }) => {
                match result {
                    Ok(outcomes) => self.on_appended_shared(&room, op, &outcomes),
                    Err(e) => self.fail_room(&room, e),
                }
            }
            (OpKind::Refresh, StorageCompletion::Loaded { result, .. }) => {
                self.on_refreshed(&room, result)
            }
            (OpKind::Fill { from, number }, StorageCompletion::Range { result, .. }) => {
                self.on_fill(&room, from, number, result)
            }
            (OpKind::Range { session, from }, StorageCompletion::Range { result, .. }) => {
                self.on_range(&room, session, from, result)
            }
            (OpKind::Fold { to }, StorageCompletion::Folded { result, .. }) => {
                self.on_folded(&room, to, result)
            }
            _ => self.fail_room(
                &room,
                StorageError("completion does not match its action".into()),
            ),
        }
        self.finish();
    }

    /// Storage failed under a room: drop it from memory and close its members with
    /// `INTERNAL_ERROR` (they resume; the next load sees what storage really holds).
    pub(crate) fn fail_room(&mut self, room: &RoomId, error: StorageError) {
        self.drop_room(room, Some(error));
    }

    /// Shared-log mode: entries this node's log still needs were compacted away by
    /// another node, so the room cannot go on from what it holds. It is dropped
    /// from memory and its members are closed `SLOW_CONSUMER` like any member
    /// behind compaction (PROTOCOL.md §8.4): nothing failed, so no `internal`
    /// refusal; they resume, the room loads from the new snapshot, they resync.
    pub(crate) fn reload_behind_compaction(&mut self, room: &RoomId) {
        self.drop_room(room, None);
    }

    /// Drops a room from memory and closes its members: after a storage failure
    /// (`Some`: refused `internal`, closed 1011) or behind compaction (closed 4011).
    fn drop_room(&mut self, room: &RoomId, failure: Option<StorageError>) {
        let Some(r) = self.rooms.remove(room) else {
            return;
        };
        let sessions: Vec<_> = match r.state {
            RoomState::Loaded(l) => {
                for p in &l.backlogged {
                    if let Some(s) = self.sessions.get_mut(&p.session) {
                        s.backlogged_joins = s.backlogged_joins.saturating_sub(1);
                    }
                }
                let parked = l.parked.into_iter().map(|p| p.session);
                let backlogged = l.backlogged.into_iter().map(|p| p.session);
                let syncing: Vec<_> = l.sync.sessions().collect();
                (l.members.into_keys())
                    .chain(parked)
                    .chain(backlogged)
                    .chain(syncing)
                    .collect()
            }
            RoomState::Loading { pending, .. } => pending.into_iter().map(|p| p.session).collect(),
        };
        let Some(error) = failure else {
            for sid in sessions {
                if let Some(s) = self.sessions.get_mut(&sid) {
                    s.rooms.remove(room);
                }
                self.close(sid, CloseCode::SLOW_CONSUMER);
            }
            return;
        };
        self.events.push(HubEvent::RoomFailed {
            room: room.clone(),
            error: error.0,
        });
        for sid in sessions {
            self.refuse_join(room, sid, ErrorCode::INTERNAL, "storage failed");
            self.close(sid, CloseCode::INTERNAL_ERROR);
        }
    }
}
