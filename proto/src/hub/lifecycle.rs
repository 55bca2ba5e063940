//! Session and room lifecycle: opening, closing, flush credit, timeouts, idle unload.

use super::Hub;
use super::events::HubEvent;
use super::limits::RateLimiter;
use super::room::RoomState;
use super::session::{Phase, Session, clamp};
use super::timers::TimerKey;
use crate::time::Instant;
use crate::wire::{CloseCode, RoomId, SessionId};

impl Hub {
    /// A transport connection was accepted; returns the id the hub assigned to it.
    ///
    /// If the hub already has `max_sessions` sessions, the new one is closed at once
    /// with `GOING_AWAY` (a `HubOutput::Close` from [`Hub::poll_output`]) and no state is kept for it.
    pub fn handle_session_opened(&mut self, now: Instant) -> SessionId {
        let now = clamp(&mut self.now, now);
        let sid = SessionId(self.next_session);
        self.next_session = self.next_session.saturating_add(1);
        if self.sessions.len() >= self.config.max_sessions {
            self.metrics.close(CloseCode::GOING_AWAY);
            self.closes.push_back((sid, CloseCode::GOING_AWAY));
            return sid;
        }
        let c = &self.config;
        let session = Session {
            phase: Phase::AwaitingHello,
            replica: Default::default(),
            user_info: None,
            rooms: Default::default(),
            backlog: 0,
            single_frame_allowance: 0,
            backlogged_joins: 0,
            rate: RateLimiter::new(
                (c.rate_frame_burst, c.rate_frames_per_sec),
                (c.rate_byte_burst, c.rate_bytes_per_sec),
                now,
            ),
            closing: None,
            last_seen: now,
            maybe_behind: false,
            out: Vec::new(),
        };
        self.sessions.insert(sid, Box::new(session));
        let deadline = now.saturating_add(self.config.handshake_timeout);
        self.timers.set(TimerKey::Session(sid), deadline);
        sid
    }

    /// The transport of a session closed (or errored). The session leaves every room.
    /// Unknown sessions (e.g. already closed by the hub) are ignored.
    pub fn handle_session_closed(&mut self, now: Instant, session: SessionId) {
        clamp(&mut self.now, now);
        if self
            .sessions
            .get(&session)
            .is_some_and(|s| s.closing.is_none())
        {
            self.teardown(session, None);
        }
        self.finish();
    }

    /// The driver wrote `bytes` of this session's output to its socket. Frees backlog,
    /// serves joins whose `Joined` waited for room in it, and lets deltas that were
    /// held back (catch-up) and the latest presence of peers whose updates were
    /// dropped flow again.
    pub fn handle_flushed(&mut self, session: SessionId, bytes: usize) {
        let Some(s) = self.sessions.get_mut(&session) else {
            return;
        };
        s.backlog = s.backlog.saturating_sub(bytes);
        if s.backlogged_joins > 0 {
            self.serve_backlogged(session);
            self.finish();
        }
        let Some(s) = self.sessions.get_mut(&session) else {
            return;
        };
        if !s.maybe_behind {
            return;
        }
        // Catch-up only has work where the session is behind with no range load in
        // flight (exactly when `pump` would queue something); a range load in flight
        // sets the flag again when it completes.
        let behind = s.rooms.iter().any(|room| {
            let member = self.rooms.get(room).and_then(|r| r.loaded()).and_then(|l| {
                let m = l.members.get(&session)?;
                let deltas = m.range_op.is_none() && m.next < l.log.durable_head();
                Some(deltas || m.presence_from.is_some())
            });
            member == Some(true)
        });
        if !behind {
            s.maybe_behind = false;
            return;
        }
        let rooms: Vec<RoomId> = s.rooms.iter().cloned().collect();
        for room in rooms {
            self.pump(session, &room);
            self.resend_presence(session, &room);
        }
        self.finish();
    }

    /// Deadlines passed: closes silent sessions and unloads idle rooms.
    pub fn handle_timeout(&mut self, now: Instant) {
        let now = clamp(&mut self.now, now);
        while let Some(key) = self.timers.pop_due(now) {
            match key {
                TimerKey::Session(sid) => {
                    let heartbeat = self.config.heartbeat_timeout;
                    let open = self.sessions.get(&sid).map(|s| (s.is_open(), s.last_seen));
                    match open {
                        Some((true, seen)) if now < seen.saturating_add(heartbeat) => {
                            // Heard from since the timer was set: wait for the rest.
                            let at = seen.saturating_add(heartbeat);
                            self.timers.set(TimerKey::Session(sid), at);
                        }
                        Some((true, _)) => self.close(sid, CloseCode::HEARTBEAT_TIMEOUT),
                        Some((false, _)) => self.close(sid, CloseCode::HANDSHAKE_TIMEOUT),
                        None => {}
                    }
                }
                TimerKey::RoomIdle(room) => self.unload_if_idle(&room),
                TimerKey::PeerCount(room) => self.on_peer_count_due(&room),
                TimerKey::Rosters => self.on_rosters_due(),
            }
            self.finish();
        }
        self.finish();
    }

    fn unload_if_idle(&mut self, room: &RoomId) {
        let Some(r) = self.rooms.get(room) else {
            return;
        };
        if r.is_idle() {
            self.rooms.remove(room);
            self.events
                .push(HubEvent::RoomUnloaded { room: room.clone() });
        } else if r.loaded().is_some_and(|l| l.members.is_empty()) {
            // Storage work still in flight: look again later.
            self.arm_idle(room);
        }
    }

    /// Starts the idle-unload timer of a room that has no members.
    pub(crate) fn arm_idle(&mut self, room: &RoomId) {
        let at = self.now.saturating_add(self.config.room_idle_timeout);
        self.timers.set(TimerKey::RoomIdle(room.clone()), at);
    }

    /// Removes a session: it leaves (or stops joining) every room.
    pub(crate) fn teardown(&mut self, sid: SessionId, code: Option<CloseCode>) {
        let Some(mut session) = self.sessions.remove(&sid) else {
            return;
        };
        if !session.out.is_empty() {
            // Output queued before the close stays queued (the session stays `ready`).
            self.orphans.push((sid, std::mem::take(&mut session.out)));
        }
        self.timers.cancel(&TimerKey::Session(sid));
        if self.replicas.get(&session.replica) == Some(&sid) {
            self.replicas.remove(&session.replica);
        }
        for room in &session.rooms {
            self.remove_member(sid, room);
        }
        self.events
            .push(HubEvent::SessionClosed { session: sid, code });
    }

    /// Takes a session out of a room (member or pending join), telling the others.
    pub(crate) fn remove_member(&mut self, sid: SessionId, room: &RoomId) {
        let Some(r) = self.rooms.get_mut(room) else {
            return;
        };
        match &mut r.state {
            RoomState::Loading { pending, .. } => pending.retain(|p| p.session != sid),
            RoomState::Loaded(l) => {
                let parked = l.parked.len();
                l.parked.retain(|p| p.session != sid);
                let backlogged = l.backlogged.len();
                l.backlogged.retain(|p| p.session != sid);
                let owed = backlogged - l.backlogged.len();
                if let Some(s) = self.sessions.get_mut(&sid) {
                    s.backlogged_joins = s.backlogged_joins.saturating_sub(owed);
                }
                let waited = l.parked.len() < parked || owed > 0 || l.sync.remove(sid);
                if waited
                    && l.members.is_empty()
                    && l.parked.is_empty()
                    && l.backlogged.is_empty()
                    && l.sync.is_empty()
                {
                    self.arm_idle(room);
                } else if l.members.remove(&sid).is_some() {
                    let empty = l.members.is_empty();
                    self.note_left(room, sid);
                    if empty {
                        self.arm_idle(room);
                    }
                }
            }
        }
    }
}
