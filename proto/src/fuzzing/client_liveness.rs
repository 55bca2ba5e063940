//! The bounded-exit check of the client fuzz body: a client whose transport or
//! hub goes silent leaves every waiting state within its timeout of the driver's
//! time — `Connecting`/`Handshaking` within `handshake_timeout` of the attempt's
//! start, a `Joining` room within `join_timeout` of its `Join` — even when the
//! driver's clock steps back on the way. Time is measured like the client's
//! own: the sum of the forward steps of the `now` values it was given.

use core::time::Duration;
use std::collections::BTreeMap;

use crate::client::{Client, ClientState, ConnectionId, RoomStatus};
use crate::time::Instant;
use crate::wire::RoomId;

/// Driver time seen by the client and the waits being watched.
#[derive(Default)]
pub(crate) struct Waits {
    /// Sum of the forward steps of `now` given to the client.
    elapsed: Duration,
    /// The most recent `now` given to the client.
    last: Option<Instant>,
    /// The attempt being watched and `elapsed` when it was first seen.
    attempt: Option<(ConnectionId, Duration)>,
    /// `Joining` rooms, with the connection and `elapsed` when first seen so.
    joins: BTreeMap<RoomId, (ConnectionId, Duration)>,
}

impl Waits {
    /// The client was given `now` (by any input or command).
    pub(crate) fn input(&mut self, now: Instant) {
        if let Some(last) = self.last {
            self.elapsed += now - last;
        }
        self.last = Some(now);
    }

    /// The most recent `now` given to the client.
    pub(crate) fn latest(&self) -> Instant {
        self.last.unwrap_or(Instant::ZERO)
    }

    /// The client was replaced by a restored one: its waits start afresh.
    pub(crate) fn restarted(&mut self) {
        self.attempt = None;
        self.joins.clear();
    }

    /// Checks the waits after a step: none has lasted its timeout, and the
    /// deadline the driver sees ends each within the time left.
    pub(crate) fn after_step(&mut self, client: &Client) {
        let c = client.config();
        let state = client.state();
        let conn = client.connection();
        let waiting = matches!(state, ClientState::Connecting | ClientState::Handshaking);
        self.attempt = match (waiting, conn) {
            (true, Some(conn)) => {
                let since = match self.attempt {
                    Some((c0, since)) if c0 == conn => since,
                    _ => self.elapsed,
                };
                self.bounded(client, self.elapsed - since, c.handshake_timeout, "attempt");
                Some((conn, since))
            }
            _ => None,
        };
        let mut joins = BTreeMap::new();
        for (room, info) in client.rooms() {
            let (Some(conn), RoomStatus::Joining) = (conn, info.status) else {
                continue;
            };
            let since = match self.joins.get(room) {
                Some(&(c0, since)) if c0 == conn => since,
                _ => self.elapsed,
            };
            self.bounded(client, self.elapsed - since, c.join_timeout, "join");
            joins.insert(room.clone(), (conn, since));
        }
        self.joins = joins;
    }

    /// A wait that has lasted `waited` of at most `timeout`.
    fn bounded(&self, client: &Client, waited: Duration, timeout: Duration, what: &str) {
        assert!(
            waited < timeout,
            "{what} still waiting {waited:?} (timeout {timeout:?}) in {:?}",
            client.state()
        );
        let (Some(last), Some(deadline)) = (self.last, client.poll_timeout()) else {
            panic!("{what} waiting without a deadline");
        };
        let left = timeout - waited;
        assert!(
            deadline - last <= left,
            "{what} deadline {:?} away, only {left:?} of its timeout left",
            deadline - last
        );
    }
}
