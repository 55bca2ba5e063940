//! The handshake: frames accepted while `Handshaking`.
//!
//! The client's `Hello` (versions, replica, token, user info) is built in
//! `transmit.rs` as soon as the transport is open. The hub answers `Welcome`
//! (→ `Connected`, heartbeat started, rooms re-joined) or `Reject`: a fatal code
//! (`unsupported_version`, `unauthorized`, `replica_forbidden`) fails the session
//! without reconnecting,
//! any other code backs off. Pings are answered; any other frame is a protocol
//! violation.

use super::error::SessionError;
use super::lifecycle::ClientState;
use super::metrics::bump;
use super::pacing;
use super::timers::Timer;
use super::{Client, ConfigError};
use crate::wire::{CloseCode, ErrorCode, Frame, Reject, SUPPORTED_VERSIONS, Welcome};

impl Client {
    /// Replaces the token the next `Hello` carries (drivers call this before each
    /// connection attempt, with what the application's token provider returns).
    /// Refused, keeping the current token, if the new one is longer than the protocol
    /// allows or would make the `Hello` exceed `max_frame_bytes`.
    pub fn set_token(&mut self, token: Option<String>) -> Result<(), ConfigError> {
        let mut config = self.config.clone();
        config.token = token;
        config.validate()?;
        self.config = config;
        Ok(())
    }

    /// A frame arrived during the handshake.
    pub(super) fn on_handshake_frame(&mut self, frame: Frame) {
        match frame {
            Frame::Welcome(w) => self.on_welcome(w),
            Frame::Reject(r) => self.on_handshake_reject(r),
            Frame::Ping { nonce } => self.on_hub_ping(nonce),
            Frame::Pong { nonce } => self.on_pong(nonce),
            _ => self.fault(
                SessionError::ProtocolViolation("unexpected frame during the handshake"),
                CloseCode::PROTOCOL_ERROR,
            ),
        }
    }

    fn on_welcome(&mut self, w: Welcome) {
        if !SUPPORTED_VERSIONS.contains(&w.version) {
            self.fault(
                SessionError::ProtocolViolation("hub chose a version that was not offered"),
                CloseCode::PROTOCOL_ERROR,
            );
            return;
        }
        self.timers.stop(Timer::Handshake);
        self.start_heartbeat(w.heartbeat_ms);
        self.timers
            .set(Timer::Stable, self.now + self.config.stable_after);
        self.connected_since = Some(self.now);
        bump(&mut self.metrics.connections);
        self.hub_limits = Some(w.limits);
        self.pacer = Some(pacing::Pacer::new(&w.limits, self.now));
        self.session = Some(w);
        // Rooms are `Pending` (joined before connecting or reset by the lost
        // connection): `poll_transmit` sends their `Join` with resume positions.
        self.set_state(ClientState::Connected, None);
    }

    fn on_handshake_reject(&mut self, r: Reject) {
        if self.on_identity_reject(&r) {
            return;
        }
        // Sending the same `Hello` again would be refused again: a too-large
        // `user_info` is fatal during the handshake.
        let fatal = r.code.is_fatal() || r.code == ErrorCode::PAYLOAD_TOO_LARGE;
        let err = SessionError::Rejected {
            code: r.code,
            room: r.room,
            seq: r.seq,
            message: r.message,
        };
        // The hub closes after a Reject; our side of the close is a normal one.
        self.fault_with(err, CloseCode::NORMAL, fatal);
    }
}
