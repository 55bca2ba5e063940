//! Hub-side handlers of the world: performing the hub's outputs as they come,
//! connections reaching the hub, frames, closes, flush credit, timers and the
//! simulated durable storage (writes become durable after a latency, in order).

use bytes::Bytes;
use core::time::Duration;
use syncwire_proto::client::TransportClosed;
use syncwire_proto::hub::{HubOutput, StorageAction, StorageCompletion, StorageError};
use syncwire_proto::wire::{CloseCode, SessionId};

use super::net::{ConnId, Peer};
use super::world::{Ev, World};
use super::world_nodes::Owner;
use crate::transcript::describe;

impl World {
    /// Performs every hub output as `Hub::poll_output` hands it out (its order is
    /// legal by construction), checks its invariants and bounds, and re-arms its
    /// wake-up.
    pub(crate) fn drain_hub(&mut self) {
        while let Some(output) = self.hub.as_mut().and_then(|h| h.poll_output()) {
            match output {
                HubOutput::Transmit { session, frames } => {
                    for bytes in frames {
                        self.transmit(session, bytes);
                    }
                }
                HubOutput::Close { session, code } => {
                    let cov = &mut self.stats.coverage;
                    if code == CloseCode::SLOW_CONSUMER {
                        cov.slow_consumer_closes += 1;
                    } else if code != CloseCode::GOING_AWAY {
                        cov.other_closes += 1;
                    }
                    self.close(session, code)
                }
                HubOutput::Storage(action) => {
                    match &action {
                        StorageAction::LoadRange { .. } => self.stats.coverage.storage_ranges += 1,
                        StorageAction::Fold { .. } => self.stats.coverage.snapshot_writes += 1,
                        _ => {}
                    }
                    let owner = Owner::of(self.node, self.hub_incarnation, &action);
                    self.storage.submit(action);
                    self.storage_owners.push_back(owner);
                    let base =
                        u64::try_from(self.scenario.storage_latency.as_micros()).unwrap_or(0);
                    let at =
                        self.now + Duration::from_micros(base + self.rng.below_inclusive(base));
                    self.schedule(at, Ev::StorageDone(self.node, self.hub_incarnation));
                }
                HubOutput::Auth(req) => {
                    self.violate("hub_protocol", format!("unexpected auth request {req:?}"));
                }
                HubOutput::Publish(news) => self.publish_news(&news),
                HubOutput::Event(ev) => {
                    self.transcript
                        .note(self.now, "hub", || format!("event {ev:?}"));
                }
            }
        }
        self.check_hub();
    }

    /// Sends one hub frame down its session's connection.
    fn transmit(&mut self, sid: SessionId, bytes: Bytes) {
        let Some(&conn) = self.sessions.get(&sid) else {
            return;
        };
        let (held, bw) = match self.net.get(conn).map(|c| c.peer) {
            Some(Peer::Client(i)) => {
                let c = &self.clients[i];
                (c.held(self.now), c.bandwidth(self.now))
            }
            _ => (None, None),
        };
        let at = self
            .net
            .down(conn, self.now, &mut self.rng, held, bytes.len(), bw);
        self.queue_down(at, conn, bytes);
    }

    /// Closes a session's connection from the hub's side.
    fn close(&mut self, sid: SessionId, code: CloseCode) {
        let Some(conn) = self.sessions.remove(&sid) else {
            return;
        };
        let held = match self.net.get(conn).map(|c| c.peer) {
            Some(Peer::Client(i)) => self.clients[i].held(self.now),
            _ => None,
        };
        if let Some(c) = self.net.get_mut(conn) {
            c.hub_gone = true;
        }
        self.transcript
            .note(self.now, "hub", || format!("close s{} {code}", sid.0));
        let at = self.net.down(conn, self.now, &mut self.rng, held, 0, None);
        self.schedule(at, Ev::HubClosed(conn, code));
    }

    fn queue_down(&mut self, at: syncwire_proto::Instant, conn: ConnId, bytes: Bytes) {
        self.schedule(at, Ev::ToClient(conn, bytes));
    }

    fn check_hub(&mut self) {
        let Some(hub) = self.hub.as_ref() else { return };
        if let Err(e) = hub.check_invariants() {
            self.violate("hub_invariant", e);
            return;
        }
        let cfg = hub.config();
        let bound = cfg.max_backlog_bytes + cfg.max_frame_bytes;
        for &sid in self.sessions.keys() {
            if let Some(b) = hub.backlog(sid).filter(|&b| b > bound) {
                let detail = format!("session {} backlog {b} > {bound}", sid.0);
                self.violate("queue_bound", detail);
                return;
            }
        }
        let next = hub.poll_timeout();
        if let Some(at) = next {
            let at = at.max(self.now);
            if self.hub_wake.is_none_or(|w| w > at || w < self.now) {
                self.hub_wake = Some(at);
                self.schedule(at, Ev::HubWake(self.node));
            }
        }
    }

    pub(crate) fn on_hub_wake(&mut self, k: usize) {
        self.enter(k);
        if self.hub_wake.is_some_and(|w| w <= self.now) {
            self.hub_wake = None;
        }
        let now = self.now;
        let Some(hub) = self.hub.as_mut() else { return };
        if hub.poll_timeout().is_some_and(|d| d <= now) {
            hub.handle_timeout(now);
        }
        self.drain_hub();
    }

    pub(crate) fn on_connect_done(&mut self, conn: ConnId) {
        if let Some(k) = self.net.get(conn).map(|c| c.node) {
            self.enter(k);
        }
        let Some(i) = self.owner(conn) else {
            self.net.forget(conn);
            return;
        };
        if self.net.get(conn).is_some_and(|c| c.broken) {
            return; // the Broken event reports it
        }
        if self.clients[i].held(self.now).is_some() {
            return; // black-holed: the client's handshake timer ends the attempt
        }
        let now = self.clients[i].local(self.now);
        let Some(hub) = self.hub.as_mut() else {
            self.clients[i].conn = None;
            let closed = TransportClosed::failed("connection refused");
            let id = self
                .net
                .get(conn)
                .map(|c| c.client_conn)
                .unwrap_or_default();
            self.clients[i].app.handle_transport_closed(now, id, closed);
            self.drain_client(i);
            return;
        };
        let sid = hub.handle_session_opened(self.now);
        self.sessions.insert(sid, conn);
        if let Some(c) = self.net.get_mut(conn) {
            c.session = Some(sid);
            c.hub_incarnation = self.hub_incarnation;
        }
        self.transcript
            .note(self.now, &Self::who(i), || format!("open s{}", sid.0));
        self.drain_hub();
        let id = self
            .net
            .get(conn)
            .map(|c| c.client_conn)
            .unwrap_or_default();
        self.clients[i].app.handle_transport_open(now, id);
        self.drain_client(i);
    }

    /// The hub's session of `conn`, if the current hub still has it.
    fn hub_session(&self, conn: ConnId) -> Option<syncwire_proto::wire::SessionId> {
        let c = self.net.get(conn)?;
        if c.hub_gone || c.broken || c.hub_incarnation != self.hub_incarnation {
            return None;
        }
        self.hub.as_ref()?;
        c.session
    }

    pub(crate) fn on_to_hub(&mut self, conn: ConnId, bytes: Bytes) {
        if let Some(k) = self.net.get(conn).map(|c| c.node) {
            self.enter(k);
        }
        let Some(sid) = self.hub_session(conn) else {
            return;
        };
        self.transcript.note(self.now, "hub", || {
            format!("s{} <- {}", sid.0, describe(&bytes))
        });
        let now = self.now;
        if let Some(hub) = self.hub.as_mut() {
            hub.handle_frame(now, sid, &bytes);
        }
        self.drain_hub();
    }

    pub(crate) fn on_to_client(&mut self, conn: ConnId, bytes: Bytes) {
        if self.net.get(conn).is_none_or(|c| c.broken) {
            return;
        }
        if let Some((i, id)) = self.dialler(conn) {
            self.client_frame(i, id, &bytes);
        }
        if let Some(k) = self.net.get(conn).map(|c| c.node) {
            self.enter(k);
        }
        if let Some(sid) = self.hub_session(conn) {
            if let Some(hub) = self.hub.as_mut() {
                hub.handle_flushed(sid, bytes.len());
            }
            self.drain_hub();
        }
    }

    pub(crate) fn on_closed_at_hub(&mut self, conn: ConnId) {
        if let Some(k) = self.net.get(conn).map(|c| c.node) {
            self.enter(k);
        }
        let sid = {
            let Some(c) = self.net.get_mut(conn) else {
                return;
            };
            if c.hub_gone {
                return;
            }
            c.hub_gone = true;
            (c.hub_incarnation == self.hub_incarnation)
                .then_some(c.session)
                .flatten()
        };
        let Some(sid) = sid else { return };
        self.sessions.remove(&sid);
        let now = self.now;
        if let Some(hub) = self.hub.as_mut() {
            self.transcript
                .note(now, "hub", || format!("s{} closed by peer", sid.0));
            hub.handle_session_closed(now, sid);
        }
        self.drain_hub();
    }

    /// A storage action completes: the oldest queued one, whichever node submitted
    /// it (the store runs them in order); its completion goes to that node if the
    /// incarnation that submitted it still runs. Events of a crashed incarnation are
    /// stale (its queued actions were lost with it).
    pub(crate) fn on_storage_done(&mut self, k: usize, incarnation: u64) {
        self.enter(k);
        // One node: a crash loses every queued write, so its pending events are
        // exactly the stale ones. Several nodes share one FIFO store: an event
        // releases the oldest action whoever submitted it, so a crashed node's
        // pending events may be owed to other nodes' actions (dropping them left an
        // action queued for good: seeds 1817 and 2623 of `multinode`). They still
        // release; the completion goes to its owner only if it is still running.
        let stale = incarnation != self.hub_incarnation || self.hub.is_none();
        if stale && self.node_count() == 1 {
            return;
        }
        let now = self.now;
        let owner = self.storage_owners.pop_front();
        if let Some(done) = self.release_storage() {
            self.transcript.note(now, "storage", || {
                format!("done {done:?}").chars().take(160).collect()
            });
            let Some(owner) = owner else {
                return self.violate("sim", "a storage action without its owner".into());
            };
            if self.scenario.late_folds
                && matches!(done, StorageCompletion::Folded { .. })
                && self.rng.below_inclusive(1) == 0
            {
                // The fold took effect; its completion comes after the next ones.
                let base = u64::try_from(self.scenario.storage_latency.as_micros()).unwrap_or(0);
                let at = now + Duration::from_micros(base + self.rng.below_inclusive(2 * base));
                self.transcript
                    .note(now, "storage", || "fold completion held".into());
                self.schedule(at, Ev::LateFold(owner, done));
                return self.drain_hub();
            }
            return self.complete_storage(owner, done);
        }
        self.drain_hub();
    }

    /// Hands a storage completion to the node that submitted the action, if that
    /// incarnation still runs.
    pub(crate) fn complete_storage(&mut self, owner: Owner, done: StorageCompletion) {
        let now = self.now;
        self.feed_logged(&owner, &done);
        self.enter(owner.node);
        if owner.incarnation == self.hub_incarnation {
            if let Some(hub) = self.hub.as_mut() {
                hub.handle_storage(now, done);
            }
        }
        self.drain_hub();
    }
}

impl World {
    /// Releases the oldest queued storage action. While storage is in trouble
    /// (`Fault::StorageTrouble`) about half of them fail: half of those before the
    /// write (nothing changed), half after it took effect (a lost reply).
    fn release_storage(&mut self) -> Option<StorageCompletion> {
        let trouble = self.storage_trouble_until.is_some_and(|t| t > self.now);
        if !trouble || self.storage.pending() == 0 || self.rng.below_inclusive(1) == 0 {
            return self.storage.release_next();
        }
        self.stats.coverage.storage_failures += 1;
        if self.rng.below_inclusive(1) == 0 {
            self.storage.set_failing(true);
            let done = self.storage.release_next();
            self.storage.set_failing(false);
            return done;
        }
        self.storage.release_next().map(failed)
    }
}

/// `done` reporting a failure (its effect, if any, stays).
fn failed(done: StorageCompletion) -> StorageCompletion {
    done.into_failure(StorageError("injected failure after the write".into()))
}
