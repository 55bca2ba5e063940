//! Authentication and per-room authorization: what the application supplies.
//!
//! A session's `Hello` carries a token; the application turns it into an
//! [`Identity`] (a name, a rule giving [`Access`] per room, and a [`ReplicaGrant`]
//! saying which replica ids it may speak for) or an [`AuthError`].
//! It may answer inline through an [`Authorizer`] in the config, or later: the hub
//! then emits an [`AuthRequest`] (handed out by `Hub::poll_output`) and waits for
//! `Hub::handle_auth`.

use core::fmt;
use std::collections::BTreeSet;
use std::ops::RangeInclusive;
use std::sync::Arc;

use bytes::Bytes;
use thiserror::Error;

use crate::wire::{ReplicaId, RoomId, SessionId};

/// What an identity may do in a room.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Access {
    /// Nothing: joins are rejected `FORBIDDEN`.
    None,
    /// Join and receive; deltas are rejected `FORBIDDEN`.
    Read,
    /// Join, receive and submit deltas.
    ReadWrite,
}

/// Maps a room to the access an identity has in it.
pub type AccessRule = Arc<dyn Fn(&RoomId) -> Access + Send + Sync>;

/// Which replica ids an identity may claim in its `Hello`. A claim outside the grant
/// is refused at the handshake with `Reject{REPLICA_FORBIDDEN}` and close
/// `REPLICA_FORBIDDEN` (4014).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ReplicaGrant {
    /// Any replica id (the default).
    #[default]
    Any,
    /// Only the listed ids.
    Only(Arc<BTreeSet<u64>>),
    /// Only ids in this inclusive range.
    Range(RangeInclusive<u64>),
}

impl ReplicaGrant {
    /// A grant of exactly the given ids.
    pub fn only(ids: impl IntoIterator<Item = u64>) -> Self {
        ReplicaGrant::Only(Arc::new(ids.into_iter().collect()))
    }
    /// Whether `replica` may be claimed under this grant.
    pub fn allows(&self, replica: ReplicaId) -> bool {
        match self {
            ReplicaGrant::Any => true,
            ReplicaGrant::Only(ids) => ids.contains(&replica.0),
            ReplicaGrant::Range(range) => range.contains(&replica.0),
        }
    }
}

/// Who a session is, as decided by the application's authorizer.
#[derive(Clone)]
pub struct Identity {
    /// A name for operator events and logs (not sent to peers).
    pub name: String,
    /// Per-room access.
    pub access: AccessRule,
    /// The replica ids this identity may claim (checked once, at the handshake).
    pub replicas: ReplicaGrant,
}

impl Identity {
    /// An identity with the given access rule, allowed any replica id.
    pub fn with_rule(name: impl Into<String>, rule: AccessRule) -> Self {
        Identity {
            name: name.into(),
            access: rule,
            replicas: ReplicaGrant::Any,
        }
    }
    /// The same identity, restricted to the replica ids of `grant`.
    pub fn with_replicas(mut self, grant: ReplicaGrant) -> Self {
        self.replicas = grant;
        self
    }
    /// An identity that may read and write every room.
    pub fn read_write_all(name: impl Into<String>) -> Self {
        Identity::with_rule(name, Arc::new(|_: &RoomId| Access::ReadWrite))
    }
    /// An identity that may read every room and write none.
    pub fn read_only_all(name: impl Into<String>) -> Self {
        Identity::with_rule(name, Arc::new(|_: &RoomId| Access::Read))
    }
    /// The access this identity has to `room`.
    pub fn access_to(&self, room: &RoomId) -> Access {
        (self.access)(room)
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("name", &self.name)
            .field("replicas", &self.replicas)
            .finish_non_exhaustive()
    }
}

/// Why authentication failed; the message goes to the client in the `Reject`.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("unauthorized: {0}")]
pub struct AuthError(pub String);

/// A pending authentication the driver must answer with `Hub::handle_auth`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthRequest {
    /// The session awaiting the decision.
    pub session: SessionId,
    /// The token from its `Hello`, if any.
    pub token: Option<String>,
    /// The replica it speaks for.
    pub replica: ReplicaId,
    /// Its user info, if any.
    pub user_info: Option<Bytes>,
}

/// An authorizer's answer.
#[derive(Clone, Debug)]
pub enum AuthDecision {
    /// Decided now.
    Decided(Result<Identity, AuthError>),
    /// Decide later: the hub emits an [`AuthRequest`].
    Defer,
}

/// A synchronous authorizer the hub consults inline during the handshake.
pub trait Authorizer: Send + Sync {
    /// Decides on a handshake (or defers to the driver).
    fn authorize(&self, request: &AuthRequest) -> AuthDecision;
}

/// Accepts every session with read-write access to every room (tests, local demos).
#[derive(Clone, Copy, Debug, Default)]
pub struct AllowAll;

impl Authorizer for AllowAll {
    fn authorize(&self, request: &AuthRequest) -> AuthDecision {
        AuthDecision::Decided(Ok(Identity::read_write_all(format!(
            "replica-{}",
            request.replica.0
        ))))
    }
}
