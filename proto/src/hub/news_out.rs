//! News for the other hub nodes (shared-log mode, docs/MULTINODE.md "Presence
//! across nodes"): this module owns the hub's outbound news queue (`Hub::news`,
//! handed out as [`HubOutput::Publish`](super::HubOutput::Publish)) and what goes
//! into it — the local part of each turn's joins and leaves (at the `Peers` flush,
//! [`super::peers`]), presence ([`super::presence`]), a roster asking for the
//! others' when a room loads, and every `roster_interval` the roster of every room
//! with local members. What other nodes say comes in through
//! [`super::remote_peers`].
//!
//! Bounds: [`MAX_NEWS_QUEUED`] news waiting (the oldest dropped) and
//! [`MAX_NEWS_BYTES`] per news (entries without presence, then none, once it is
//! full); drops are counted in `HubMetrics::peer_news_dropped` and repaired by the
//! next roster.

use super::Hub;
use super::peer_news::{NodeNews, PeerNews};
use super::room::{LoadedRoom, Room};
use super::timers::TimerKey;
use crate::wire::{PeerInfo, RoomId, SessionId};

/// Most news waiting to be handed out; the oldest is dropped beyond it.
pub const MAX_NEWS_QUEUED: usize = 65_536;

/// Largest news on the bus, in bytes (read with this limit by `NodeNews::decode`;
/// under Redis's default 32 MB pub/sub output buffer limit). A roster or a turn's
/// changes that would be larger carry the members' presence states only while
/// they fit, then only the members that fit; the others are counted in
/// `peer_news_dropped` (a node lists at most about 14,000 members of one room to
/// the others, at the largest user info).
pub const MAX_NEWS_BYTES: usize = 16 * 1024 * 1024;

/// What the entries of one news may take (the rest of [`MAX_NEWS_BYTES`] is margin
/// for the frame's envelope).
const NEWS_ENTRIES_BYTES: usize = MAX_NEWS_BYTES - 64 * 1024;

impl Hub {
    /// Queues news of `room` for the other nodes (shared-log mode only).
    pub(crate) fn publish(&mut self, room: &RoomId, news: PeerNews) {
        if !self.config.shared_log {
            return;
        }
        if self.news.len() >= MAX_NEWS_QUEUED {
            self.news.pop_front();
            self.news_dropped();
        }
        self.news.push_back(NodeNews {
            node: self.config.node_id,
            room: room.clone(),
            news,
        });
    }

    /// Publishes the local members of `room` (with their presence).
    pub(crate) fn publish_roster(&mut self, room: &RoomId, ask: bool) {
        let Some(l) = self.rooms.get(room).and_then(Room::loaded) else {
            return;
        };
        let (peers, dropped) = local_infos(l, l.members.keys().copied());
        self.publish(room, PeerNews::Roster { peers, ask });
        self.count_dropped(dropped);
    }

    /// Publishes the local part of a turn's joins and leaves of `room`.
    pub(crate) fn publish_changes(
        &mut self,
        room: &RoomId,
        joined: &[SessionId],
        left: &[SessionId],
    ) {
        if !self.config.shared_log {
            return;
        }
        let Some(l) = self.rooms.get(room).and_then(Room::loaded) else {
            return;
        };
        let (joined, dropped) = local_infos(l, joined.iter().copied());
        let left: Vec<SessionId> = left
            .iter()
            .copied()
            .filter(|&s| !self.is_alias(s))
            .collect();
        if !joined.is_empty() || !left.is_empty() {
            self.publish(room, PeerNews::Changes { joined, left });
        }
        self.count_dropped(dropped);
    }

    /// Every `roster_interval`: each room's roster goes out, and the members of nodes
    /// silent about a room are removed ([`Hub::expire_silent_nodes`]).
    pub(crate) fn on_rosters_due(&mut self) {
        let rooms: Vec<RoomId> = self
            .rooms
            .iter()
            .filter(|(_, r)| r.loaded().is_some())
            .map(|(id, _)| id.clone())
            .collect();
        for room in rooms {
            self.expire_silent_nodes(&room);
            let has_members = self
                .rooms
                .get(&room)
                .and_then(Room::loaded)
                .is_some_and(|l| !l.members.is_empty());
            if has_members {
                self.publish_roster(&room, false);
            }
        }
        self.arm_rosters();
    }

    /// Sets the roster timer one interval from now (shared-log mode).
    pub(crate) fn arm_rosters(&mut self) {
        if self.config.shared_log {
            let at = self.now.saturating_add(self.config.roster_interval);
            self.timers.set(TimerKey::Rosters, at);
        }
    }

    /// The next news to publish.
    pub(crate) fn poll_news(&mut self) -> Option<NodeNews> {
        self.news.pop_front()
    }
}

/// The entries of local members `sids` of `l` within one news's budget: with
/// their presence while it fits, without once it does not, then none; and how many
/// members were left out.
fn local_infos(l: &LoadedRoom, sids: impl Iterator<Item = SessionId>) -> (Vec<PeerInfo>, u64) {
    let mut budget = NEWS_ENTRIES_BYTES;
    let mut with_state = true;
    let mut out = Vec::new();
    let mut dropped = 0;
    for sid in sids {
        let Some(m) = l.members.get(&sid) else {
            continue;
        };
        let mut e = PeerInfo {
            peer: sid,
            replica: m.replica,
            user_info: m.user_info.clone(),
            state: m.presence.clone().filter(|_| with_state),
        };
        if e.size_hint() > budget {
            with_state = false;
            e.state = None;
        }
        match budget.checked_sub(e.size_hint()) {
            Some(rest) => {
                budget = rest;
                out.push(e);
            }
            None => dropped += 1,
        }
    }
    (out, dropped)
}
