//! [`HubCore`]'s authorization answers: a server that runs deferred decisions
//! ([`HubCore::drain_with`]) hands them back through these.

use syncwire_proto::Instant;
use syncwire_proto::hub::{AuthError, Identity};
use syncwire_proto::wire::SessionId;

use super::{ConnQueue, HubCore, StorageQueue};

impl<C: ConnQueue, S: StorageQueue> HubCore<C, S> {
    /// The application's decision on an authorization request
    /// ([`Hub::handle_auth`](syncwire_proto::hub::Hub::handle_auth); answers for
    /// sessions gone since are ignored).
    pub fn handle_auth(
        &mut self,
        now: Instant,
        session: SessionId,
        decision: Result<Identity, AuthError>,
    ) {
        let _ = self.hub.handle_auth(now, session, decision);
    }

    /// No decision could be had
    /// ([`Hub::handle_auth_unavailable`](syncwire_proto::hub::Hub::handle_auth_unavailable):
    /// `Reject internal`, close 1011).
    pub fn handle_auth_unavailable(&mut self, now: Instant, session: SessionId, why: &str) {
        let _ = self.hub.handle_auth_unavailable(now, session, why);
    }
}
