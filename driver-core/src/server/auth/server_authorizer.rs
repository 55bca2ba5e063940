//! [`ServerAuthorizer`]: what a server asks to decide on a session — the `Hello`'s
//! [`AuthRequest`] with the connection's [`UpgradeRequest`] — answered now or later
//! ([`Verdict`]). A later answer runs as its own task, bounded by
//! [`ServerConfig::auth_timeout`](crate::server::ServerConfig::auth_timeout): past it
//! the session is refused `Reject internal` and closed 1011 (docs/PROTOCOL.md §4),
//! as it is when the authorizer fails ([`AuthFailure::Unavailable`]).
//!
//! Every proto [`Authorizer`] (tokens, JWT) is one through [`Inline`], which ignores
//! the upgrade request.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use syncwire_proto::hub::{AuthDecision, AuthError, AuthRequest, Authorizer, Identity};

use super::UpgradeRequest;

/// Why a session got no identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthFailure {
    /// The credentials are refused: `Reject unauthorized`, close 4002 (the client
    /// stops, or retries only with a new token).
    Refused(AuthError),
    /// No decision could be had (the authorizer is down, answered nonsense, or timed
    /// out): `Reject internal`, close 1011 (the client retries with backoff). The
    /// text goes to the client.
    Unavailable(String),
}

impl From<AuthError> for AuthFailure {
    fn from(e: AuthError) -> Self {
        AuthFailure::Refused(e)
    }
}

/// A decision to come.
pub type AuthFuture = Pin<Box<dyn Future<Output = Result<Identity, AuthFailure>> + Send>>;

/// A [`ServerAuthorizer`]'s answer.
pub enum Verdict {
    /// Decided now (inline, on the hub task: must be quick).
    Now(Result<Identity, AuthFailure>),
    /// Decided by this future, which the server runs as a task of its own.
    Later(AuthFuture),
}

impl std::fmt::Debug for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Verdict::Now(r) => f.debug_tuple("Now").field(r).finish(),
            Verdict::Later(_) => f.write_str("Later(..)"),
        }
    }
}

/// Decides who a session is, from its `Hello` and its upgrade request. Called on the
/// hub task: return [`Verdict::Later`] for anything that waits (I/O, a remote call).
pub trait ServerAuthorizer: Send + Sync {
    /// Decides, or returns the future that will.
    fn authorize(&self, request: &AuthRequest, upgrade: &UpgradeRequest) -> Verdict;

    /// The proto [`Authorizer`] this one is, if it needs nothing but the `Hello`
    /// ([`Inline`]): the hub then consults it inline, while it handles the `Hello`,
    /// as a hub without a server does.
    fn inline(&self) -> Option<Arc<dyn Authorizer>> {
        None
    }
}

/// A proto [`Authorizer`] as a [`ServerAuthorizer`] (the upgrade request unused; a
/// deferral, which a proto authorizer cannot follow up here, is `Unavailable`).
pub struct Inline(pub Arc<dyn Authorizer>);

impl ServerAuthorizer for Inline {
    fn authorize(&self, request: &AuthRequest, _upgrade: &UpgradeRequest) -> Verdict {
        Verdict::Now(match self.0.authorize(request) {
            AuthDecision::Decided(result) => result.map_err(AuthFailure::Refused),
            AuthDecision::Defer => Err(AuthFailure::Unavailable(
                "authorization unavailable".to_owned(),
            )),
        })
    }

    fn inline(&self) -> Option<Arc<dyn Authorizer>> {
        Some(self.0.clone())
    }
}
