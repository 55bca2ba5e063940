//! The handshake: version negotiation, authentication (inline or deferred to the
//! driver), binding the session to its replica, and `Welcome`.
//!
//! Binding checks the identity's [`ReplicaGrant`](super::ReplicaGrant) (a claim
//! outside it: `Reject{REPLICA_FORBIDDEN}` + close `REPLICA_FORBIDDEN`) and keeps one
//! live session per replica id (`Hub::replicas`): a session completing the handshake
//! with the replica id of a live session replaces it — the old one gets
//! `Reject{REPLICA_IN_USE}` and close `REPLACED`, and leaves its rooms.

use super::Hub;
use super::auth::{AuthDecision, AuthError, AuthRequest, Identity};
use super::events::HubEvent;
use super::session::{Phase, clamp};
use super::timers::TimerKey;
use crate::time::Instant;
use crate::wire::{CloseCode, ErrorCode, Frame, Hello, SUPPORTED_VERSIONS, SessionId, Welcome};

/// Caller mistakes in answering the hub.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HubError {
    /// `handle_auth` for a session that is not waiting for an authorization decision.
    #[error("session {0:?} is not awaiting authorization")]
    NotAwaitingAuth(SessionId),
}

impl Hub {
    pub(crate) fn on_hello(&mut self, sid: SessionId, hello: Hello) {
        let version = SUPPORTED_VERSIONS
            .iter()
            .copied()
            .filter(|v| hello.versions.contains(v))
            .max();
        let Some(version) = version else {
            self.reject(
                sid,
                ErrorCode::UNSUPPORTED_VERSION,
                None,
                None,
                &format!("supported versions: {SUPPORTED_VERSIONS:?}"),
            );
            self.close(sid, CloseCode::UNSUPPORTED_VERSION);
            return;
        };
        let info_len = hello.user_info.as_ref().map_or(0, |i| i.len());
        if info_len > self.config.max_user_info_bytes {
            let msg = "user_info exceeds max_user_info_bytes";
            self.reject(sid, ErrorCode::PAYLOAD_TOO_LARGE, None, None, msg);
            self.close(sid, CloseCode::MESSAGE_TOO_BIG);
            return;
        }
        let Some(s) = self.sessions.get_mut(&sid) else {
            return;
        };
        s.phase = Phase::AwaitingAuth { version };
        s.replica = hello.replica;
        s.user_info = hello.user_info.clone();
        let request = AuthRequest {
            session: sid,
            token: hello.token,
            replica: hello.replica,
            user_info: hello.user_info,
        };
        let decision = match &self.config.authorizer {
            Some(a) => a.authorize(&request),
            None => AuthDecision::Defer,
        };
        match decision {
            AuthDecision::Decided(result) => self.decide(sid, result),
            AuthDecision::Defer => self.auth.push_back(request),
        }
    }

    /// The application's answer to an [`AuthRequest`]. Answers for sessions that have
    /// since closed are ignored; a second answer for the same session is an error.
    pub fn handle_auth(
        &mut self,
        now: Instant,
        session: SessionId,
        decision: Result<Identity, AuthError>,
    ) -> Result<(), HubError> {
        clamp(&mut self.now, now);
        let Some(s) = self.sessions.get(&session) else {
            return Ok(());
        };
        if !matches!(s.phase, Phase::AwaitingAuth { .. }) {
            return Err(HubError::NotAwaitingAuth(session));
        }
        if s.closing.is_none() {
            self.decide(session, decision);
        }
        self.finish();
        Ok(())
    }

    /// The application could not decide on an [`AuthRequest`] — its authorizer
    /// failed or did not answer in time. Unlike a refusal this is not the client's
    /// fault: the session gets `Reject{INTERNAL}` with `message` and close
    /// `INTERNAL_ERROR` (1011), and the client reconnects with backoff
    /// (docs/PROTOCOL.md §4). Answers for sessions that have since closed are ignored.
    pub fn handle_auth_unavailable(
        &mut self,
        now: Instant,
        session: SessionId,
        message: &str,
    ) -> Result<(), HubError> {
        clamp(&mut self.now, now);
        let Some(s) = self.sessions.get(&session) else {
            return Ok(());
        };
        if !matches!(s.phase, Phase::AwaitingAuth { .. }) {
            return Err(HubError::NotAwaitingAuth(session));
        }
        if s.closing.is_none() {
            self.reject(session, ErrorCode::INTERNAL, None, None, message);
            self.close(session, CloseCode::INTERNAL_ERROR);
        }
        self.finish();
        Ok(())
    }

    fn decide(&mut self, sid: SessionId, decision: Result<Identity, AuthError>) {
        let identity = match decision {
            Ok(identity) => identity,
            Err(e) => {
                self.reject(sid, ErrorCode::UNAUTHORIZED, None, None, &e.0);
                self.close(sid, CloseCode::UNAUTHORIZED);
                return;
            }
        };
        let Some(s) = self.sessions.get_mut(&sid) else {
            return;
        };
        let Phase::AwaitingAuth { version } = s.phase else {
            return;
        };
        let replica = s.replica;
        if !identity.replicas.allows(replica) {
            let msg = "this identity may not use the claimed replica id";
            self.reject(sid, ErrorCode::REPLICA_FORBIDDEN, None, None, msg);
            self.close(sid, CloseCode::REPLICA_FORBIDDEN);
            return;
        }
        let name = identity.name.clone();
        s.phase = Phase::Open { identity };
        s.last_seen = self.now;
        if let Some(old) = self.replicas.insert(replica, sid) {
            self.replace(old);
        }
        let deadline = self.now.saturating_add(self.config.heartbeat_timeout);
        self.timers.set(TimerKey::Session(sid), deadline);
        let welcome = Frame::Welcome(Welcome {
            version,
            session: sid,
            heartbeat_ms: self.config.heartbeat_ms(),
            limits: self.config.wire_limits(),
        });
        self.send(sid, &welcome);
        self.events.push(HubEvent::SessionAuthenticated {
            session: sid,
            replica,
            identity: name,
        });
    }

    /// Ends a live session whose replica id a newer session just claimed.
    fn replace(&mut self, old: SessionId) {
        if self.sessions.get(&old).is_some_and(|s| s.closing.is_none()) {
            let msg = "replaced by a newer session with this replica id";
            self.reject(old, ErrorCode::REPLICA_IN_USE, None, None, msg);
            self.close(old, CloseCode::REPLACED);
        }
    }
}
