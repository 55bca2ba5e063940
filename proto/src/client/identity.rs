//! Losing the replica identity: the hub replaced this session because a newer
//! session claimed the same replica id (`Reject{replica_in_use}`, close 4013
//! `replaced`), or refused the claim because the identity may not use that replica
//! id (`Reject{replica_forbidden}`, close 4014 `replica_forbidden`).
//!
//! Both are fatal for the replica id: reconnecting with it would only replace the
//! other session in turn (or be refused again). The session goes to `Failed` with
//! [`DisconnectReason::Replaced`] or [`DisconnectReason::ReplicaForbidden`] (the
//! `StateChanged` event carries it; [`Client::failure`] keeps it) and does not
//! reconnect. Its outbox and documents are kept, so the application can export them
//! and continue under a replica id of its own.

use super::Client;
use super::error::{DisconnectReason, SessionError};
use super::event::ClientEvent;
use crate::wire::{CloseCode, ErrorCode, Reject};

/// The reason a close code takes the replica id away, if it does.
pub(super) fn close_reason(code: Option<CloseCode>) -> Option<DisconnectReason> {
    match code? {
        CloseCode::REPLACED => Some(DisconnectReason::Replaced),
        CloseCode::REPLICA_FORBIDDEN => Some(DisconnectReason::ReplicaForbidden),
        _ => None,
    }
}

impl Client {
    /// Handles a session-wide `Reject` that takes the replica id away; `false` (and
    /// nothing done) for any other reject.
    pub(super) fn on_identity_reject(&mut self, r: &Reject) -> bool {
        let reason = match r.code {
            ErrorCode::REPLICA_IN_USE => DisconnectReason::Replaced,
            ErrorCode::REPLICA_FORBIDDEN => DisconnectReason::ReplicaForbidden,
            _ => return false,
        };
        if r.room.is_some() {
            return false;
        }
        let err = SessionError::Rejected {
            code: r.code,
            room: None,
            seq: r.seq,
            message: r.message.clone(),
        };
        self.metrics.errors.count(&err);
        self.emit(ClientEvent::Error(err));
        // The hub closes right after; our side of the close is a normal one.
        self.fail(reason, CloseCode::NORMAL);
        true
    }
}
