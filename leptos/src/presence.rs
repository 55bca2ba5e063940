//! Presence: who else is in a room ([`RoomPresence`], one [`Peer`] per session),
//! kept from the session's peer and presence events for every room, and handed out
//! per room as a signal by [`use_presence`].

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use leptos::prelude::*;
use syncwire_wasm::ClientEvent;
use syncwire_wasm::proto::wire::{ReplicaId, SessionId};

use crate::context::use_sync_client;

/// Another session in a room.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    /// The replica the peer speaks for.
    pub replica: ReplicaId,
    /// The peer's user info (its `ClientConfig::user_info`), if it gave one.
    pub user_info: Option<Bytes>,
    /// The presence state the peer last set
    /// ([`SyncDoc::set_presence`](crate::SyncDoc::set_presence)), if any.
    pub state: Option<Bytes>,
}

impl Peer {
    /// The user info as text (a display name, by convention), if it is UTF-8.
    pub fn name(&self) -> Option<String> {
        let info = self.user_info.as_ref()?;
        std::str::from_utf8(info).ok().map(str::to_owned)
    }
}

/// The other members of one room, as the hub announced them while connected.
/// Emptied when the connection ends (the hub announces them again on rejoin).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoomPresence {
    /// The other sessions in the room, by session id (this session not included).
    pub peers: BTreeMap<SessionId, Peer>,
    /// Members of the room including this session, as last counted by the hub
    /// (rooms too large to list peer by peer report only this).
    pub count: Option<u64>,
}

/// A signal of the other members of `room`, for the client provided above. The
/// room need not be joined yet; it is empty until the hub reports members.
///
/// # Panics
/// When no client was provided ([`provide_sync_client`](crate::provide_sync_client)).
pub fn use_presence(room: &str) -> Memo<RoomPresence> {
    let all = use_sync_client().all_presence();
    let room = room.to_owned();
    Memo::new(move |_| all.with(|rooms| rooms.get(&room).cloned().unwrap_or_default()))
}

/// Presence of every room, by room name.
pub(crate) type AllPresence = HashMap<String, RoomPresence>;

/// Applies a peer or presence event; returns whether it changed anything.
pub(crate) fn apply(rooms: &mut AllPresence, event: &ClientEvent) -> bool {
    match event {
        ClientEvent::PeerJoined {
            room,
            peer,
            replica,
            user_info,
        } => {
            let entry = rooms.entry(room.as_str().to_owned()).or_default();
            let state = entry.peers.get(peer).and_then(|p| p.state.clone());
            entry.peers.insert(
                *peer,
                Peer {
                    replica: *replica,
                    user_info: user_info.clone(),
                    state,
                },
            );
        }
        ClientEvent::PeerLeft { room, peer } => {
            let Some(entry) = rooms.get_mut(room.as_str()) else {
                return false;
            };
            return entry.peers.remove(peer).is_some();
        }
        ClientEvent::PeerCount { room, count } => {
            rooms.entry(room.as_str().to_owned()).or_default().count = Some(*count);
        }
        ClientEvent::Presence { room, peer, state } => {
            let entry = rooms.entry(room.as_str().to_owned()).or_default();
            match entry.peers.get_mut(peer) {
                Some(p) => p.state = Some(state.clone()),
                // Presence of a peer not announced (yet): ignored.
                None => return false,
            }
        }
        _ => return false,
    }
    true
}
