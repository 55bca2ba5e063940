//! Asking the server's [`ServerAuthorizer`] about a new session from the hub task:
//! an immediate verdict is applied at once; a later one runs as a task of its own,
//! bounded by `auth_timeout`, and comes back to the hub task as
//! [`ToHub::AuthDecided`] (a timeout is `AuthFailure::Unavailable`, which the hub
//! answers `Reject internal` and close 1011). The inbound queue is bounded: a
//! decision waits for room like any connection's message.

use std::sync::Arc;
use std::time::Duration;

use syncwire_proto::Instant;
use syncwire_proto::hub::{AuthRequest, Identity};
use syncwire_proto::wire::SessionId;

use super::auth::{AuthFailure, AuthFuture, ServerAuthorizer, UpgradeRequest, Verdict};
use super::messages::{ConnHandle, StorageTx, ToHub};
use super::runtime::{ServerRuntime, timeout};
use crate::hub::HubCore;

/// The refusal message of an authorization that took longer than `auth_timeout`.
pub(crate) const TIMED_OUT: &str = "authorization timed out";

/// Runs a deferred decision (boxed so that the hub task needs no runtime type).
type Spawn = Box<dyn Fn(SessionId, AuthFuture) + Send + Sync>;

/// The authorizer and the way to run its deferred decisions.
pub(crate) struct AuthRunner {
    authorizer: Arc<dyn ServerAuthorizer>,
    spawn: Spawn,
    /// Whether the authorizer reads the upgrade request (a proto authorizer, which
    /// the hub consults inline, does not: connections then keep none).
    wants_upgrade: bool,
}

impl AuthRunner {
    /// Deferred decisions run on `rt`, at most `limit` each, and are sent to the hub
    /// task through `hub` (weakly held: a stopped hub just drops them).
    pub(crate) fn new<R: ServerRuntime>(
        rt: R,
        authorizer: Arc<dyn ServerAuthorizer>,
        limit: Duration,
        hub: &async_channel::Sender<ToHub>,
    ) -> Self {
        let hub = hub.downgrade();
        let spawn = Box::new(move |session, decision: AuthFuture| {
            let (rt2, hub) = (rt.clone(), hub.clone());
            rt.spawn(async move {
                let result = timeout(&rt2, limit, decision)
                    .await
                    .unwrap_or_else(|| Err(AuthFailure::Unavailable(TIMED_OUT.to_owned())));
                if let Some(hub) = hub.upgrade() {
                    let result = Box::new(result);
                    let _ = hub.send(ToHub::AuthDecided { session, result }).await;
                }
            });
        });
        let wants_upgrade = authorizer.inline().is_none();
        AuthRunner {
            authorizer,
            spawn,
            wants_upgrade,
        }
    }

    /// Whether connections must keep their upgrade request until authorized.
    pub(crate) fn wants_upgrade(&self) -> bool {
        self.wants_upgrade
    }

    /// A runner whose deferred decisions are dropped (tests of inline decisions).
    #[cfg(test)]
    pub(crate) fn inline_only(authorizer: Arc<dyn ServerAuthorizer>) -> Self {
        let spawn = Box::new(|_, _| {});
        let wants_upgrade = authorizer.inline().is_none();
        AuthRunner {
            authorizer,
            spawn,
            wants_upgrade,
        }
    }

    /// Asks the authorizer: the answer if it decided now, `None` if it runs later.
    pub(crate) fn ask(
        &self,
        request: &AuthRequest,
        upgrade: Option<&UpgradeRequest>,
    ) -> Option<Result<Identity, AuthFailure>> {
        let none = UpgradeRequest::default();
        match self.authorizer.authorize(request, upgrade.unwrap_or(&none)) {
            Verdict::Now(result) => Some(result),
            Verdict::Later(decision) => {
                (self.spawn)(request.session, decision);
                None
            }
        }
    }
}

/// Gives the hub a decision.
pub(crate) fn apply(
    core: &mut HubCore<ConnHandle, StorageTx>,
    now: Instant,
    session: SessionId,
    result: Result<Identity, AuthFailure>,
) {
    match result {
        Ok(identity) => core.handle_auth(now, session, Ok(identity)),
        Err(AuthFailure::Refused(e)) => core.handle_auth(now, session, Err(e)),
        Err(AuthFailure::Unavailable(why)) => core.handle_auth_unavailable(now, session, &why),
    }
}
