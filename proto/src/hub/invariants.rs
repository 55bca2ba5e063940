//! `Hub::check_invariants`: the bounds and cross-references the hub promises to keep,
//! checked on demand by tests, the simulator and fuzzers.

use super::Hub;
use super::log::RoomLog;
use super::room::RoomState;

impl Hub {
    /// Checks every bound and cross-reference; returns the first violation found.
    pub fn check_invariants(&self) -> Result<(), String> {
        let c = &self.config;
        if self.sessions.len() > c.max_sessions {
            return Err("more sessions than max_sessions".into());
        }
        if self.rooms.len() > c.max_loaded_rooms {
            return Err("more rooms than max_loaded_rooms".into());
        }
        for (room, r) in &self.rooms {
            let due = r.loaded().is_some_and(|l| l.peers.is_due());
            if due && !self.peers_due.contains(room) {
                return Err(format!(
                    "{room:?} has membership changes no flush will tell"
                ));
            }
        }
        // Members whose session lists the room. A session's rooms are a set, so each
        // (member, room) pair is counted at most once: if the count is the number of
        // members, every member is listed and the search per member below is skipped.
        let mut listed_members = 0usize;
        for (sid, s) in &self.sessions {
            if s.closing.is_some() {
                return Err(format!("{sid:?} left marked for closing"));
            }
            if s.rooms.len() > c.max_rooms_per_session {
                return Err(format!("{sid:?} is in too many rooms"));
            }
            if s.backlog > c.max_backlog_bytes.max(s.single_frame_allowance) {
                return Err(format!("{sid:?} backlog {} over its bound", s.backlog));
            }
            if s.is_open() && self.replicas.get(&s.replica) != Some(sid) {
                return Err(format!("{sid:?} is open but not its replica's session"));
            }
            let queued: usize = s.out.iter().map(|b| b.len()).sum();
            if queued > s.backlog {
                return Err(format!("{sid:?} queued {queued} bytes beyond its backlog"));
            }
            let ready = self.ready.iter().filter(|r| *r == sid).count();
            if ready != usize::from(!s.out.is_empty()) {
                return Err(format!("{sid:?} listed {ready} times as ready"));
            }
            for room in &s.rooms {
                let known = match self.rooms.get(room).map(|r| &r.state) {
                    Some(RoomState::Loaded(l)) if l.members.contains_key(sid) => {
                        listed_members += 1;
                        true
                    }
                    Some(RoomState::Loaded(l)) => {
                        l.parked.iter().any(|p| p.session == *sid)
                            || l.backlogged.iter().any(|p| p.session == *sid)
                            || l.sync.holds(*sid)
                    }
                    Some(RoomState::Loading { pending, .. }) => {
                        pending.iter().any(|p| p.session == *sid)
                    }
                    None => false,
                };
                if !known {
                    return Err(format!("{sid:?} thinks it is in {room} but is not"));
                }
            }
        }
        for (replica, sid) in &self.replicas {
            if self.sessions.get(sid).is_none_or(|s| s.replica != *replica) {
                return Err(format!(
                    "{replica:?} is bound to {sid:?}, which does not hold it"
                ));
            }
        }
        let members: usize = self
            .rooms
            .values()
            .filter_map(|r| r.loaded())
            .map(|l| l.members.len())
            .sum();
        let every_member_listed = listed_members == members;
        let mut backlogged = std::collections::BTreeMap::new();
        for (id, r) in &self.rooms {
            let RoomState::Loaded(l) = &r.state else {
                continue;
            };
            (l.log)
                .check_with(RoomLog::check)
                .map_err(|e| format!("room {id}: {e}"))?;
            if l.log.tail_len() > c.max_tail_entries || l.log.tail_bytes() > c.max_tail_bytes {
                return Err(format!("room {id}: in-memory tail over its bound"));
            }
            if l.log.inflight_len() > c.max_pending_appends {
                return Err(format!("room {id}: too many appends in flight"));
            }
            if l.log.arrived_len() > c.max_tail_entries.max(c.batch_max_entries) {
                return Err(format!("room {id}: too many entries waiting above a hole"));
            }
            if l.epoch == 0 {
                return Err(format!("room {id}: epoch 0"));
            }
            if let Some(s) = &l.snapshot {
                // Shared log: another node's snapshot may cover entries still in
                // this node's memory (`Hub::on_refreshed`).
                let bound = if c.shared_log {
                    l.log.durable_head()
                } else {
                    l.log.tail_start()
                };
                if s.offset > bound {
                    return Err(format!("room {id}: snapshot beyond the in-memory tail"));
                }
            }
            for p in &l.parked {
                if !l.log.replica_pending(
                    self.sessions
                        .get(&p.session)
                        .map_or(crate::wire::ReplicaId(0), |s| s.replica),
                ) {
                    return Err(format!("room {id}: {:?} parked for nothing", p.session));
                }
            }
            for p in &l.backlogged {
                // Served at the flush that empties the backlog, if not before.
                if self.sessions.get(&p.session).is_none_or(|s| s.backlog == 0) {
                    return Err(format!("room {id}: {:?} waits for no backlog", p.session));
                }
                *backlogged.entry(p.session).or_insert(0usize) += 1;
            }
            for (sid, m) in &l.members {
                let listed = || self.sessions.get(sid).is_some_and(|s| s.rooms.contains(id));
                if !every_member_listed && !listed() {
                    return Err(format!("room {id}: member {sid:?} not in the session"));
                }
                if m.next > l.log.durable_head() {
                    return Err(format!("room {id}: {sid:?} delivered beyond the head"));
                }
                // A member at the live head gets this turn's entries at its end.
                let pending_live = m.next == l.log.live_head();
                let deltas = m.next < l.log.durable_head() && !pending_live && m.range_op.is_none();
                let behind = deltas || m.presence_from.is_some();
                if behind && !self.sessions.get(sid).is_some_and(|s| s.maybe_behind) {
                    return Err(format!("room {id}: {sid:?} behind but not flagged"));
                }
            }
        }
        for (sid, s) in &self.sessions {
            let waiting = backlogged.get(sid).copied().unwrap_or(0);
            if s.backlogged_joins != waiting {
                return Err(format!(
                    "{sid:?} counts {} joins waiting for its backlog, not {waiting}",
                    s.backlogged_joins
                ));
            }
        }
        for op in self.ops.values() {
            let room_alive = self
                .rooms
                .get(&op.room)
                .is_some_and(|r| r.incarnation == op.incarnation);
            if room_alive && matches!(op.kind, super::state::OpKind::Load) {
                let loading = matches!(
                    self.rooms.get(&op.room).map(|r| &r.state),
                    Some(RoomState::Loading { .. })
                );
                if !loading {
                    return Err(format!("load op for {} but room not loading", op.room));
                }
            }
        }
        Ok(())
    }
}
