//! The client's view of who is in each room: `Peers` frames (PROTOCOL.md §3.12)
//! applied to the room's peer set and turned into `PeerJoined` / `PeerLeft` /
//! `Presence` / `PeerCount` events.
//!
//! A lost connection forgets every room's peers (each gets `PeerLeft`, and the count
//! is unknown again), as y-websocket drops remote awareness states: a view of who is
//! there that nobody keeps up to date is not shown. The `full` list after the next
//! `Joined` announces them again. A room in summary mode holds no set, only the count.

use crate::vecmap::VecSet;

use super::Client;
use super::error::SessionError;
use super::event::ClientEvent;
use crate::wire::{CloseCode, PeerInfo, Peers, PeersMode, RoomId, SessionId};

/// Most peers the client tracks per room; a hub that lists more is faulty (a
/// listing hub stops at its `max_presence_members`, 256 by default).
pub const MAX_TRACKED_PEERS: usize = 65_536;

impl Client {
    pub(super) fn on_peers(&mut self, p: Peers) {
        let Some(room) = self.rooms.get_mut(&p.room) else {
            return;
        };
        let mut events = Vec::new();
        let mut peers = std::mem::take(&mut room.peers);
        match p.mode {
            PeersMode::Full => {
                // Inserted one by one (no sort routine for one more type in the bundle).
                let mut listed = VecSet::new();
                for e in &p.joined {
                    listed.insert(e.peer);
                }
                for &gone in peers.difference(&listed) {
                    events.push(left(&p.room, gone));
                }
                let known = std::mem::take(&mut peers);
                for e in p.joined {
                    let new = !known.contains(&e.peer);
                    peers.insert(e.peer);
                    joined(&p.room, e, new, &mut events);
                }
            }
            PeersMode::Changes => {
                for gone in p.left {
                    if peers.remove(&gone) {
                        events.push(left(&p.room, gone));
                    }
                }
                for e in p.joined {
                    let new = peers.insert(e.peer);
                    joined(&p.room, e, new, &mut events);
                }
            }
            PeersMode::Summary => {
                for gone in std::mem::take(&mut peers) {
                    events.push(left(&p.room, gone));
                }
            }
        }
        if peers.len() > MAX_TRACKED_PEERS {
            self.fault(
                SessionError::ProtocolViolation("the hub listed more peers than a client tracks"),
                CloseCode::PROTOCOL_ERROR,
            );
            return;
        }
        room.peers = peers;
        if room.peer_count != Some(p.count) {
            room.peer_count = Some(p.count);
            events.push(ClientEvent::PeerCount {
                room: p.room.clone(),
                count: p.count,
            });
        }
        for e in events {
            self.emit(e);
        }
    }
}

impl Client {
    /// The connection is gone: every peer of every room leaves the application's view.
    pub(super) fn forget_peers(&mut self) {
        let mut events = Vec::new();
        for (id, room) in self.rooms.iter_mut() {
            for gone in std::mem::take(&mut room.peers) {
                events.push(left(id, gone));
            }
            room.peer_count = None;
        }
        for e in events {
            self.emit(e);
        }
    }
}

fn left(room: &RoomId, peer: SessionId) -> ClientEvent {
    ClientEvent::PeerLeft {
        room: room.clone(),
        peer,
    }
}

/// Events for a listed peer: `PeerJoined` if it is `new`, then its presence.
fn joined(room: &RoomId, e: PeerInfo, new: bool, events: &mut Vec<ClientEvent>) {
    if new {
        events.push(ClientEvent::PeerJoined {
            room: room.clone(),
            peer: e.peer,
            replica: e.replica,
            user_info: e.user_info,
        });
    }
    if let Some(state) = e.state {
        events.push(ClientEvent::Presence {
            room: room.clone(),
            peer: e.peer,
            state,
        });
    }
}
