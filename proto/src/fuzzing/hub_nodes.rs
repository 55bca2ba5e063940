//! What the other hub nodes of a shared-log deployment give the fuzzed hub (flag 16
//! of `hub_sessions`): their appends through the tail feed ([`feed`]) and their
//! members through the news bus ([`news`]), and the checks on the news the fuzzed
//! hub publishes ([`drain_news`]).

use bytes::Bytes;

use super::reader::Input;
use crate::hub::MemoryStorage;
use crate::hub::{
    Hub, MAX_NEWS_BYTES, MAX_NEWS_QUEUED, NodeId, NodeNews, OpId, PeerNews, StorageAction,
    StorageCompletion, StoredEntry,
};
use crate::time::Instant;
use crate::wire::{PeerInfo, ReplicaId, RoomId, SessionId};

/// The shared log's tail feed: some stored entries of a room (from any offset, at
/// the stored epoch or, about one time in sixteen, a wrong one), as another node's
/// appends would arrive. Returns the room and the entries fed at the right epoch.
pub(super) fn feed(
    hub: &mut Hub,
    storage: &mut MemoryStorage,
    now: Instant,
    input: &mut Input<'_>,
) -> Option<(RoomId, Vec<StoredEntry>)> {
    let rooms = super::client_frames::rooms();
    let room = input.pick(&rooms)?;
    let load = StorageAction::Load {
        op: OpId(u64::MAX),
        room: room.clone(),
        tail_limit: usize::from(input.byte()),
    };
    let StorageCompletion::Loaded {
        result: Ok(Some(rec)),
        ..
    } = storage.execute(load)
    else {
        return None;
    };
    let skip = input.below(rec.tail.len() + 1);
    let entries: Vec<_> = rec.tail.into_iter().skip(skip).collect();
    if input.below(16) == 0 {
        hub.handle_appended(now, &room, rec.epoch ^ 1, entries);
        return None;
    }
    hub.handle_appended(now, &room, rec.epoch, entries.clone());
    Some((room, entries))
}

/// News of other nodes' members: forged from the input for up to three nodes
/// (rosters, changes and presence naming any of a few session ids, values of any
/// size up to the input's), or raw bytes through the bus decoder.
pub(super) fn news(hub: &mut Hub, now: Instant, input: &mut Input<'_>) {
    let rooms = super::client_frames::rooms();
    let Some(room) = input.pick(&rooms) else {
        return;
    };
    if input.below(4) == 0 {
        let raw = input.bytes(96).to_vec();
        if let Ok(news) = NodeNews::decode(&raw, MAX_NEWS_BYTES) {
            hub.handle_peer_news(now, news);
        }
        return;
    }
    let mut entries = Vec::new();
    for _ in 0..input.below(4) {
        entries.push(PeerInfo {
            peer: SessionId(input.below(6) as u64),
            replica: ReplicaId(input.below(6) as u64),
            user_info: input.bool().then(|| Bytes::copy_from_slice(input.bytes(8))),
            state: input
                .bool()
                .then(|| Bytes::copy_from_slice(input.bytes(16))),
        });
    }
    let news = match input.below(3) {
        0 => PeerNews::Roster {
            peers: entries,
            ask: input.bool(),
        },
        1 => PeerNews::Changes {
            joined: entries,
            left: vec![SessionId(input.below(6) as u64)],
        },
        _ => PeerNews::Presence {
            peer: SessionId(input.below(6) as u64),
            state: Bytes::copy_from_slice(input.bytes(16)),
        },
    };
    let node = NodeId(1 + input.below(3) as u64);
    hub.handle_peer_news(now, NodeNews { node, room, news });
}

/// Takes the news the hub publishes: bounded, its own node's, and every one reads
/// back as itself from its bus bytes.
pub(super) fn drain_news(hub: &mut Hub) {
    let node = hub.config().node_id;
    let mut n = 0;
    while let Some(news) = hub.poll_news() {
        n += 1;
        assert_eq!(news.node, node, "news published under another node's id");
        let back = NodeNews::decode(&news.encode(), MAX_NEWS_BYTES);
        assert_eq!(back.as_ref(), Ok(&news), "news does not read back");
    }
    assert!(n <= MAX_NEWS_QUEUED, "news queue over its bound");
}
