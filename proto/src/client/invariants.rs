//! `check_invariants`: the internal consistency rules of a client, for tests,
//! the simulator and fuzzing.

use super::Client;
use super::lifecycle::ClientState;
use super::rooms::RoomStatus;
use super::timers::Timer;

impl Client {
    /// Verifies internal bounds and consistency; `Err` names the first violation.
    /// Cheap enough to call after every input in tests and simulations.
    pub fn check_invariants(&self) -> Result<(), String> {
        let connected = self.state == ClientState::Connected;
        self.outbox
            .check(connected, |r| self.rooms.contains_key(r))?;
        if self.rooms.len() > self.config.max_rooms {
            return Err(format!("{} rooms exceed max_rooms", self.rooms.len()));
        }
        for (id, r) in &self.rooms {
            if r.next_seq == 0 {
                return Err(format!("room {id} has next_seq 0"));
            }
            if let Some(last) = self.outbox.last_seq(id) {
                if last.checked_add(1) != Some(r.next_seq) {
                    return Err(format!(
                        "room {id}: last queued seq {last} is not next_seq {} - 1",
                        r.next_seq
                    ));
                }
            }
            let live = matches!(r.status, RoomStatus::Joining | RoomStatus::Joined);
            if live && !connected {
                return Err(format!(
                    "room {id} is {:?} while {:?}",
                    r.status, self.state
                ));
            }
            if r.status == RoomStatus::Joined && r.position.is_none() {
                return Err(format!("room {id} is joined without a position"));
            }
        }
        if connected != self.session.is_some() || connected != self.connected_since.is_some() {
            return Err(format!(
                "state {:?} disagrees with session info",
                self.state
            ));
        }
        if !connected && !self.leaving.is_empty() {
            return Err("Leave frames owed while not connected".to_owned());
        }
        self.check_bounded_waits()?;
        let timer_states: [(Timer, &[ClientState]); 8] = [
            (
                Timer::Handshake,
                &[ClientState::Connecting, ClientState::Handshaking],
            ),
            (Timer::Ping, &[ClientState::Connected]),
            (Timer::Idle, &[ClientState::Connected]),
            (Timer::Backoff, &[ClientState::Backoff]),
            (Timer::Stable, &[ClientState::Connected]),
            (Timer::RateLimit, &[ClientState::Connected]),
            (Timer::Join, &[ClientState::Connected]),
            (Timer::Pace, &[ClientState::Connected]),
        ];
        for (t, states) in timer_states {
            if self.timers.is_set(t) && !states.contains(&self.state) {
                return Err(format!("timer {t:?} armed in state {:?}", self.state));
            }
        }
        if self.state == ClientState::Backoff && !self.timers.is_set(Timer::Backoff) {
            return Err("backoff without a retry deadline".to_owned());
        }
        if self.timers.next().is_some_and(|t| t < self.now) {
            return Err("a deadline lies before the latest now".to_owned());
        }
        if self.out.transport_len() > 2 {
            return Err("more than two transport commands queued".to_owned());
        }
        let max_events = self.config.max_queued_events.saturating_mul(2);
        let frame_entries = self.config.max_frame_bytes;
        if self.out.events_len() > max_events.saturating_add(frame_entries) {
            return Err(format!("{} events queued", self.out.events_len()));
        }
        Ok(())
    }

    /// Every state that waits for the transport or the hub has a deadline that
    /// ends the wait within its timeout: `Connecting`/`Handshaking` by
    /// `attempt_started + handshake_timeout`, each `Joining` room by `join_sent +
    /// join_timeout` (docs/PROTOCOL.md §10.1).
    fn check_bounded_waits(&self) -> Result<(), String> {
        if matches!(
            self.state,
            ClientState::Connecting | ClientState::Handshaking
        ) {
            let bound = self.attempt_started + self.config.handshake_timeout;
            if self.attempt_started > self.now {
                return Err("connection attempt started after now".to_owned());
            }
            match self.timers.get(Timer::Handshake) {
                Some(at) if at <= bound => {}
                other => {
                    return Err(format!(
                        "{:?} with handshake deadline {other:?}, bound {bound:?}",
                        self.state
                    ));
                }
            }
        }
        for (id, r) in &self.rooms {
            if r.status != RoomStatus::Joining {
                continue;
            }
            let bound = r.join_sent + self.config.join_timeout;
            match self.timers.get(Timer::Join) {
                Some(at) if at <= bound && r.join_sent <= self.now => {}
                other => {
                    return Err(format!(
                        "room {id} Joining with join deadline {other:?}, bound {bound:?}"
                    ));
                }
            }
        }
        Ok(())
    }
}
