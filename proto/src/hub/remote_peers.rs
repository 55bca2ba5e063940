//! Members of a room on other hub nodes (shared-log mode, PROTOCOL.md §8.6,
//! docs/MULTINODE.md "Presence across nodes").
//!
//! This module owns [`RemotePeers`], a loaded room's view of the members other nodes
//! serve, and the hub's side of the news bus ([`super::peer_news`]):
//!
//! * **In**: [`Hub::handle_peer_news`] takes what another node said. Its members get
//!   peer ids of this hub's own (*aliases*, allocated downwards from
//!   [`MAX_SAFE_INTEGER`], so they never meet the session ids it allocates upwards
//!   from 1) and are told to the local members like local peers, in the same `Peers`
//!   frames of the turn ([`super::peers`]); their presence is relayed like local
//!   presence ([`super::presence`]). Remote members get no frames and do not keep the
//!   room loaded; news of a room this hub has not loaded is ignored.
//! * **Out**: what this hub tells the others is [`super::news_out`]'s.
//!
//! # Loss, delay, crashes and bounds
//!
//! The bus may lose or repeat news. A roster replaces what this hub held of the
//! sender's members in the room, so a lost join or leave is repaired within one
//! interval. A node not heard about a room for three intervals (crashed, partitioned,
//! or without members there any more) has its members removed. Remote members per
//! room are bounded by `max_remote_peers` and outbound news by `MAX_NEWS_QUEUED`
//! (the oldest dropped); what is dropped is counted in `HubMetrics::peer_news_dropped`
//! and repaired by the next roster. A user info or presence state over the hub's own
//! bounds is dropped the same way.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;

use super::Hub;
use super::peer_news::{NodeId, NodeNews, PeerNews};
use super::room::Room;
use super::session::clamp;
use super::state::MAX_SAFE_INTEGER;
use crate::time::Instant;
use crate::wire::{PeerInfo, ReplicaId, RoomId, SessionId};

/// Rosters missed before a node's members of a room are removed.
pub(crate) const ROSTERS_MISSED: u32 = 3;

/// A member of the room on another node.
#[derive(Debug)]
pub(crate) struct RemotePeer {
    node: NodeId,
    /// Its session id on its node.
    session: SessionId,
    pub(crate) replica: ReplicaId,
    pub(crate) user_info: Option<Bytes>,
    pub(crate) presence: Option<Bytes>,
}

/// A loaded room's members on other nodes, by alias.
#[derive(Debug, Default)]
pub(crate) struct RemotePeers {
    by_alias: BTreeMap<SessionId, RemotePeer>,
    aliases: BTreeMap<(NodeId, SessionId), SessionId>,
    /// When each node last said something about the room.
    heard: BTreeMap<NodeId, Instant>,
}

impl RemotePeers {
    pub(crate) fn len(&self) -> usize {
        self.by_alias.len()
    }
    pub(crate) fn get(&self, alias: &SessionId) -> Option<&RemotePeer> {
        self.by_alias.get(alias)
    }
    /// Members by alias, in alias order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&SessionId, &RemotePeer)> {
        self.by_alias.iter()
    }
    fn remove(&mut self, alias: SessionId) -> Option<RemotePeer> {
        let peer = self.by_alias.remove(&alias)?;
        self.aliases.remove(&(peer.node, peer.session));
        Some(peer)
    }
    fn of_node(&self, node: NodeId) -> Vec<(SessionId, SessionId)> {
        self.aliases
            .range((node, SessionId(0))..=(node, SessionId(u64::MAX)))
            .map(|(&(_, s), &a)| (s, a))
            .collect()
    }
}

impl Hub {
    /// Takes news another node published about its members of a room (shared-log
    /// mode; ignored otherwise, and for rooms not loaded here). See the module docs.
    pub fn handle_peer_news(&mut self, now: Instant, news: NodeNews) {
        let now = clamp(&mut self.now, now);
        if !self.config.shared_log || news.node == self.config.node_id {
            return;
        }
        let NodeNews { node, room, news } = news;
        let Some(l) = self.rooms.get_mut(&room).and_then(Room::loaded_mut) else {
            return;
        };
        l.remote.heard.insert(node, now);
        match news {
            PeerNews::Roster { peers, ask } => {
                let keep: BTreeSet<SessionId> = peers.iter().map(|p| p.peer).collect();
                for (session, alias) in l.remote.of_node(node) {
                    if !keep.contains(&session) {
                        self.remove_remote(&room, alias);
                    }
                }
                for p in peers {
                    self.upsert_remote(&room, node, p);
                }
                if ask {
                    self.publish_roster(&room, false);
                }
            }
            PeerNews::Changes { joined, left } => {
                let gone: Vec<SessionId> = left
                    .iter()
                    .filter_map(|&s| l.remote.aliases.get(&(node, s)).copied())
                    .collect();
                for alias in gone {
                    self.remove_remote(&room, alias);
                }
                for p in joined {
                    self.upsert_remote(&room, node, p);
                }
            }
            PeerNews::Presence { peer, state } => {
                let alias = l.remote.aliases.get(&(node, peer)).copied();
                match alias {
                    Some(alias) if state.len() <= self.config.max_presence_bytes => {
                        self.set_remote_presence(&room, alias, state);
                    }
                    _ => self.news_dropped(),
                }
            }
        }
        self.finish();
    }

    /// Adds or updates a member of `node` (its presence relayed if it changed).
    fn upsert_remote(&mut self, room: &RoomId, node: NodeId, p: PeerInfo) {
        let max_info = self.config.max_user_info_bytes;
        let max_state = self.config.max_presence_bytes;
        let max_peers = self.config.max_remote_peers;
        if p.user_info.as_ref().is_some_and(|u| u.len() > max_info)
            || p.state.as_ref().is_some_and(|s| s.len() > max_state)
        {
            self.news_dropped();
            return;
        }
        let Some(l) = self.rooms.get_mut(room).and_then(Room::loaded_mut) else {
            return;
        };
        if let Some(&alias) = l.remote.aliases.get(&(node, p.peer)) {
            if let Some(state) = p.state {
                self.set_remote_presence(room, alias, state);
            }
            return;
        }
        // Aliases come down from the top; local session ids go up from 1.
        if l.remote.len() >= max_peers || self.next_alias <= self.next_session {
            self.news_dropped();
            return;
        }
        let alias = SessionId(self.next_alias);
        self.next_alias -= 1;
        l.remote.aliases.insert((node, p.peer), alias);
        let peer = RemotePeer {
            node,
            session: p.peer,
            replica: p.replica,
            user_info: p.user_info,
            presence: p.state,
        };
        l.remote.by_alias.insert(alias, peer);
        self.note_joined(room, alias);
    }

    fn remove_remote(&mut self, room: &RoomId, alias: SessionId) {
        let l = self.rooms.get_mut(room).and_then(Room::loaded_mut);
        if l.and_then(|l| l.remote.remove(alias)).is_some() {
            self.note_left(room, alias);
        }
    }

    fn set_remote_presence(&mut self, room: &RoomId, alias: SessionId, state: Bytes) {
        let Some(l) = self.rooms.get_mut(room).and_then(Room::loaded_mut) else {
            return;
        };
        let Some(peer) = l.remote.by_alias.get_mut(&alias) else {
            return;
        };
        if peer.presence.as_ref() == Some(&state) {
            return;
        }
        peer.presence = Some(state.clone());
        self.relay_presence(room, alias, state);
    }

    /// Removes the members of `room` of nodes not heard about it for
    /// [`ROSTERS_MISSED`] roster intervals (dead, partitioned, or without members).
    pub(crate) fn expire_silent_nodes(&mut self, room: &RoomId) {
        let silence = self.config.roster_interval.saturating_mul(ROSTERS_MISSED);
        let now = self.now;
        let Some(l) = self.rooms.get_mut(room).and_then(Room::loaded_mut) else {
            return;
        };
        let gone: Vec<NodeId> = l
            .remote
            .heard
            .iter()
            .filter(|&(_, &at)| now >= at.saturating_add(silence))
            .map(|(&n, _)| n)
            .collect();
        let mut aliases = Vec::new();
        for node in gone {
            l.remote.heard.remove(&node);
            aliases.extend(l.remote.of_node(node).into_iter().map(|(_, a)| a));
        }
        for alias in aliases {
            self.remove_remote(room, alias);
        }
    }

    /// Whether `sid` names a member of another node (an alias).
    pub(crate) fn is_alias(&self, sid: SessionId) -> bool {
        sid.0 > self.next_alias
    }

    pub(crate) fn news_dropped(&mut self) {
        self.count_dropped(1);
    }

    pub(crate) fn count_dropped(&mut self, n: u64) {
        self.metrics.peer_news_dropped = self.metrics.peer_news_dropped.saturating_add(n);
    }
}

/// The first alias a hub hands out.
pub(crate) const FIRST_ALIAS: u64 = MAX_SAFE_INTEGER;
