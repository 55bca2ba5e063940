//! The session lifecycle: states, transitions, reconnection policy and the
//! transport inputs (`connect`, `close`, `handle_transport_open`,
//! `handle_transport_closed`).
//!
//! ```text
//! Disconnected ─connect─▶ Connecting ─open─▶ Handshaking ─Welcome─▶ Connected
//!                              ▲   │ fail/timeout   │ fail/timeout/Reject │ drop/fault
//!                              │   ▼                ▼                     ▼
//!                              └── Backoff ◀────────┴─────────────────────┘
//! any ─close─▶ Closed      fatal Reject / fatal close code / max attempts ─▶ Failed
//! ```
//!
//! Every waiting state has a bounded exit: `Connecting` + `Handshaking` end
//! within `handshake_timeout` of the attempt's start (`attempt_started`), a
//! `Joining` room within `join_timeout` (`join_timer.rs`), `Connected` without
//! frames within `heartbeat_timeout`, `Backoff` within `backoff_cap`
//! (`check_invariants` checks the deadlines; docs/PROTOCOL.md §10.1).
//!
//! Reconnection: losing a `Connected` connection while the attempt counter is 0
//! retries at once (the counter becomes 1); otherwise the counter grows and the
//! retry waits a jittered delay (see `backoff.rs`). A connection that stays up for
//! `stable_after` resets the counter, so a flapping hub is backed off while a
//! long-lived connection that drops is retried immediately. More than
//! `max_attempts` consecutive attempts fail the session.

use super::Client;
use super::backoff;
use super::error::{DisconnectReason, SessionError};
use super::event::{ClientEvent, ConnectionId, TransportClosed};
use super::metrics::bump;
use super::timers::Timer;
use crate::time::Instant;
use crate::wire::CloseCode;

/// Lifecycle state of a [`Client`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientState {
    /// Created, `connect` not yet called.
    Disconnected,
    /// A transport was requested (`TransportCommand::Open`); waiting for it to open.
    Connecting,
    /// The transport is open; `Hello` sent, waiting for `Welcome`.
    Handshaking,
    /// The hub welcomed the session.
    Connected,
    /// Waiting to reconnect.
    Backoff,
    /// Closed by the application.
    Closed,
    /// Stopped for good (see [`Client::failure`]).
    Failed,
}

impl ClientState {
    /// Whether a transport (or an attempt to open one) exists.
    pub fn has_transport(self) -> bool {
        matches!(
            self,
            ClientState::Connecting | ClientState::Handshaking | ClientState::Connected
        )
    }

    /// Whether the session stopped (`Closed` or `Failed`) until `connect` is called.
    pub fn is_stopped(self) -> bool {
        matches!(self, ClientState::Closed | ClientState::Failed)
    }
}

impl Client {
    /// Starts connecting. From `Backoff` it retries at once; from `Disconnected`,
    /// `Closed` or `Failed` it starts afresh (attempt counter reset); otherwise it
    /// does nothing.
    pub(crate) fn connect(&mut self, now: Instant) {
        self.advance(now);
        match self.state {
            ClientState::Disconnected | ClientState::Closed | ClientState::Failed => {
                self.attempts = 0;
                self.failure = None;
                self.start_connecting();
            }
            ClientState::Backoff => {
                self.timers.stop(Timer::Backoff);
                self.start_connecting();
            }
            _ => {}
        }
    }

    /// Closes the session: the transport is closed with `NORMAL` and no reconnect
    /// happens. Rooms and the outbox are kept (see `export_state`); `connect`
    /// starts again.
    pub(crate) fn close(&mut self, now: Instant) {
        self.advance(now);
        if self.state.is_stopped() {
            return;
        }
        self.drop_connection(CloseCode::NORMAL);
        self.timers.stop(Timer::Backoff);
        self.failure = Some(DisconnectReason::ClosedByApp);
        self.set_state(ClientState::Closed, Some(DisconnectReason::ClosedByApp));
    }

    /// The driver opened connection `conn` requested by `TransportCommand::Open`.
    /// Ignored unless `conn` is the connection the session is waiting for.
    pub(crate) fn handle_transport_open(&mut self, now: Instant, conn: ConnectionId) {
        self.advance(now);
        if self.state == ClientState::Connecting && conn == self.conn {
            self.hello_sent = false;
            self.set_state(ClientState::Handshaking, None);
        }
    }

    /// The transport closed or failed without the session asking for it (also a
    /// failed connection attempt). A fatal close code fails the session; anything
    /// else leads to a reconnect. Ignored for any connection but the current one.
    pub(crate) fn handle_transport_closed(
        &mut self,
        now: Instant,
        conn: ConnectionId,
        closed: TransportClosed,
    ) {
        self.advance(now);
        if !self.is_current(conn) {
            return;
        }
        bump(&mut self.metrics.errors.transport_lost);
        let fatal = closed.code.is_some_and(CloseCode::is_fatal);
        let lost = super::identity::close_reason(closed.code);
        let reason = lost.unwrap_or(DisconnectReason::Transport(closed));
        // The transport is gone already: nothing to close.
        self.transport_gone = true;
        if fatal {
            self.fail(reason, CloseCode::NORMAL);
        } else {
            self.enter_backoff(reason, CloseCode::NORMAL);
        }
    }

    /// Whether `conn` is the live connection (or attempt) of the session.
    pub(super) fn is_current(&self, conn: ConnectionId) -> bool {
        self.state.has_transport() && !self.transport_gone && conn == self.conn
    }

    /// The id of the live connection (or attempt), if any.
    pub fn connection(&self) -> Option<ConnectionId> {
        self.is_current(self.conn).then_some(self.conn)
    }

    /// Records the transition and emits `StateChanged`.
    pub(super) fn set_state(&mut self, to: ClientState, reason: Option<DisconnectReason>) {
        let from = self.state;
        if from == to {
            return;
        }
        self.state = to;
        self.emit(ClientEvent::StateChanged { from, to, reason });
    }

    /// Asks the driver for a transport and starts the handshake timer.
    fn start_connecting(&mut self) {
        if self.state == ClientState::Backoff {
            bump(&mut self.metrics.reconnects);
        }
        self.transport_gone = false;
        self.conn = ConnectionId(self.conn.0.wrapping_add(1));
        self.out.push_open(self.conn);
        self.attempt_started = self.now;
        self.timers
            .set(Timer::Handshake, self.now + self.config.handshake_timeout);
        self.set_state(ClientState::Connecting, None);
    }

    /// Forgets everything tied to the current connection, commanding a close with
    /// `code` if a transport exists and was not reported gone.
    fn drop_connection(&mut self, code: CloseCode) {
        if self.state.has_transport() && !self.transport_gone {
            let reason = code.name().unwrap_or("closed");
            self.out.push_close(self.conn, code, reason);
        }
        self.transport_gone = true;
        for t in [
            Timer::Handshake,
            Timer::Ping,
            Timer::Idle,
            Timer::Stable,
            Timer::RateLimit,
            Timer::Pace,
            Timer::Join,
        ] {
            self.timers.stop(t);
        }
        self.heartbeat
            .reset_connection(self.config.heartbeat_interval);
        self.session = None;
        self.pacer = None;
        self.hello_sent = false;
        if let Some(since) = self.connected_since.take() {
            let up = self.now - since;
            self.metrics.time_connected = self.metrics.time_connected.saturating_add(up);
        }
        self.leaving.clear();
        for room in self.rooms.values_mut() {
            room.connection_lost();
        }
        self.forget_peers();
        let bounds = self.size_bounds(false);
        self.outbox.connection_lost(&*self.config.merger, bounds);
        for (id, room) in self.rooms.iter_mut() {
            if let Some(last) = self.outbox.last_seq(id) {
                room.next_seq = last.saturating_add(1); // folding freed numbers
            }
        }
    }

    /// Ends the connection (closing it with `code` if still open) and schedules
    /// a reconnect, or fails once `max_attempts` is exceeded.
    pub(super) fn enter_backoff(&mut self, reason: DisconnectReason, code: CloseCode) {
        let was_connected = self.state == ClientState::Connected;
        self.drop_connection(code);
        if was_connected && self.attempts == 0 {
            self.attempts = 1;
            self.set_state(ClientState::Backoff, Some(reason));
            self.start_connecting();
            return;
        }
        self.attempts = self.attempts.saturating_add(1);
        if let Some(max) = self.config.max_attempts {
            if self.attempts > max {
                self.fail(DisconnectReason::MaxAttemptsReached { attempts: max }, code);
                return;
            }
        }
        let c = &self.config;
        let delay = backoff::jittered(&mut self.rng, c.backoff_base, c.backoff_cap, self.attempts);
        self.set_state(ClientState::Backoff, Some(reason));
        if delay.is_zero() {
            self.start_connecting();
        } else {
            self.timers.set(Timer::Backoff, self.now + delay);
        }
    }

    /// Stops the session for good (until `connect`).
    pub(super) fn fail(&mut self, reason: DisconnectReason, code: CloseCode) {
        self.drop_connection(code);
        self.timers.stop(Timer::Backoff);
        self.failure = Some(reason.clone());
        self.set_state(ClientState::Failed, Some(reason));
    }

    /// Reports a fault and, if a transport exists, closes it with `code` and
    /// reconnects (or fails, if `fatal`).
    pub(super) fn fault_with(&mut self, err: SessionError, code: CloseCode, fatal: bool) {
        self.metrics.errors.count(&err);
        self.emit(ClientEvent::Error(err.clone()));
        if !self.state.has_transport() {
            return;
        }
        if fatal {
            self.fail(DisconnectReason::Fault(err), code);
        } else {
            self.enter_backoff(DisconnectReason::Fault(err), code);
        }
    }

    /// A non-fatal fault: report, close with `code`, reconnect.
    pub(super) fn fault(&mut self, err: SessionError, code: CloseCode) {
        self.fault_with(err, code, false);
    }

    /// The backoff delay elapsed.
    pub(super) fn on_backoff_timer(&mut self) {
        if self.state == ClientState::Backoff {
            self.start_connecting();
        }
    }

    /// The transport did not open, or the hub did not welcome us, in time.
    pub(super) fn on_handshake_timer(&mut self) {
        if matches!(
            self.state,
            ClientState::Connecting | ClientState::Handshaking
        ) {
            self.fault(SessionError::HandshakeTimeout, CloseCode::HANDSHAKE_TIMEOUT);
        }
    }
}
