//! Several hub nodes over one shared log (`Scenario::nodes` > 1, the `multinode`
//! scenario; docs/MULTINODE.md). Each node is a [`Hub`] in shared-log mode with its
//! own sessions, incarnation and wake-up; all of them use the world's one
//! [`MemoryStorage`](syncwire_proto::hub::MemoryStorage), which assigns offsets.
//!
//! The world's hub fields (`hub`, `hub_incarnation`, `sessions`, `hub_wake`) always
//! hold the *active* node; [`World::enter`] swaps another one in before handling
//! an event of that node, so every hub handler is the single-node code. A client
//! dials the nodes round-robin, one per connection attempt (as `HubUrls` does); a
//! crashed node refuses connections until it restarts. Every entry the store
//! logs is fed to every live node ([`Ev::Feed`], the driver's tail feed) after a
//! random delay, so feeds arrive late and out of order and the nodes fill holes
//! from storage.

use std::collections::BTreeMap;

use bytes::Bytes;
use core::time::Duration;
use syncwire_proto::Instant;
use syncwire_proto::hub::{
    AppendOutcome, Hub, MAX_NEWS_BYTES, NodeNews, OpId, StorageAction, StorageCompletion,
    StoredEntry,
};
use syncwire_proto::wire::{RoomId, SessionId};

use super::net::ConnId;
use super::world::{Ev, World};

/// A node's hub state while another node is active.
#[derive(Default)]
pub(crate) struct NodeState {
    hub: Option<Hub>,
    incarnation: u64,
    sessions: BTreeMap<SessionId, ConnId>,
    wake: Option<Instant>,
}

impl NodeState {
    /// Node `k` before its first start (incarnations of node `k` are `k` modulo
    /// the node count, so every hub seed differs).
    pub(crate) fn new(k: usize) -> NodeState {
        NodeState {
            incarnation: k as u64,
            ..NodeState::default()
        }
    }
}

/// Who submitted a queued storage action (the store runs them in submission order).
#[derive(Clone, Debug)]
pub(crate) struct Owner {
    pub(crate) node: usize,
    pub(crate) incarnation: u64,
    /// For shared appends: the room and epoch, to feed the logged entries.
    pub(crate) append: Option<(RoomId, u64)>,
}

impl Owner {
    pub(crate) fn of(node: usize, incarnation: u64, action: &StorageAction) -> Owner {
        let append = match action {
            StorageAction::AppendShared { room, epoch, .. } => Some((room.clone(), *epoch)),
            _ => None,
        };
        Owner {
            node,
            incarnation,
            append,
        }
    }
}

impl World {
    /// Number of hub nodes.
    pub(crate) fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Makes node `k` the active one (its hub in the world's hub fields).
    pub(crate) fn enter(&mut self, k: usize) {
        if k == self.node || k >= self.nodes.len() {
            return;
        }
        let current = NodeState {
            hub: self.hub.take(),
            incarnation: self.hub_incarnation,
            sessions: std::mem::take(&mut self.sessions),
            wake: self.hub_wake.take(),
        };
        self.nodes[self.node] = current;
        let next = std::mem::take(&mut self.nodes[k]);
        self.hub = next.hub;
        self.hub_incarnation = next.incarnation;
        self.sessions = next.sessions;
        self.hub_wake = next.wake;
        self.node = k;
    }

    /// Node `k`'s hub, active or not.
    pub(crate) fn hub_of(&self, k: usize) -> Option<&Hub> {
        if k == self.node {
            self.hub.as_ref()
        } else {
            self.nodes.get(k).and_then(|n| n.hub.as_ref())
        }
    }

    /// The node client `i`'s next connection dials (round-robin over attempts).
    pub(crate) fn dial_node(&mut self, i: usize) -> usize {
        let c = &mut self.clients[i];
        c.dials += 1;
        (i + c.dials) % self.nodes.len()
    }

    /// Drops the queued storage actions of node `k`'s current incarnation (a node
    /// crash: its requests in flight never reached the store).
    pub(crate) fn lose_node_writes(&mut self, k: usize, incarnation: u64) -> usize {
        let mut kept = Vec::new();
        let mut lost = 0;
        while let Some(action) = self.storage.take_queued() {
            let owner = self.storage_owners.pop_front();
            match owner {
                Some(o) if o.node == k && o.incarnation == incarnation => lost += 1,
                Some(o) => kept.push((action, o)),
                None => {}
            }
        }
        for (action, owner) in kept {
            self.storage.submit(action);
            self.storage_owners.push_back(owner);
        }
        lost
    }

    /// Feeds the entries a shared append just logged to every node, each after its
    /// own random delay (so feeds overtake each other).
    pub(crate) fn feed_logged(&mut self, owner: &Owner, done: &StorageCompletion) {
        let (Some((room, epoch)), StorageCompletion::AppendedShared { result: Ok(o), .. }) =
            (&owner.append, done)
        else {
            return;
        };
        let mut entries: Vec<StoredEntry> = Vec::new();
        for outcome in o {
            if let AppendOutcome::Logged { offset } = outcome {
                let read = self.storage.execute(StorageAction::LoadRange {
                    op: OpId(u64::MAX),
                    room: room.clone(),
                    epoch: *epoch,
                    from: *offset,
                    max_entries: 1,
                });
                if let StorageCompletion::Range { result: Ok(e), .. } = read {
                    entries.extend(e);
                }
            }
        }
        if entries.is_empty() {
            return;
        }
        for k in 0..self.nodes.len() {
            let base = self.scenario.storage_latency * 4;
            let extra = self.rng.below_inclusive(base.as_micros() as u64);
            let at = self.now + base + Duration::from_micros(extra);
            self.schedule(at, Ev::Feed(k, room.clone(), *epoch, entries.clone()));
        }
    }

    /// Hands a node's news to the bus: every other node gets it after its own delay
    /// (1–50 ms), except about one in twenty copies, which is lost (Redis pub/sub is
    /// at most once; the rosters repair it).
    pub(crate) fn publish_news(&mut self, news: &NodeNews) {
        let bytes = Bytes::from(news.encode());
        for k in 0..self.nodes.len() {
            if k == self.node || self.rng.below_inclusive(19) == 0 {
                continue;
            }
            let at = self.now + Duration::from_millis(1 + self.rng.below_inclusive(49));
            self.schedule(at, Ev::News(k, bytes.clone()));
        }
    }

    /// News from the bus reaches node `k` (a crashed node hears nothing).
    pub(crate) fn on_news(&mut self, k: usize, bytes: &[u8]) {
        self.enter(k);
        let now = self.now;
        let Some(hub) = self.hub.as_mut() else {
            return;
        };
        match NodeNews::decode(bytes, MAX_NEWS_BYTES) {
            Ok(news) => {
                self.stats.coverage.peer_news += 1;
                hub.handle_peer_news(now, news);
                self.drain_hub();
            }
            Err(e) => self.violate("news", format!("news does not decode: {e}")),
        }
    }

    /// The tail feed reaches node `k`.
    pub(crate) fn on_feed(&mut self, k: usize, room: RoomId, epoch: u64, e: Vec<StoredEntry>) {
        self.enter(k);
        let now = self.now;
        let Some(hub) = self.hub.as_mut() else {
            return;
        };
        self.stats.coverage.feeds += 1;
        hub.handle_appended(now, &room, epoch, e);
        self.drain_hub();
    }
}
