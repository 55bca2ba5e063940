//! The `Peers` frames of a room (PROTOCOL.md §3.12): a member's entry (local or of
//! another node) and the splitting of a list into frames of at most
//! [`PEERS_FRAME_BYTES`]. What is told to whom, and when, is [`super::peers`]'s.

use super::room::LoadedRoom;
use crate::wire::{Frame, PeerInfo, Peers, PeersMode, RoomId, SessionId};

/// Largest `Peers` frame the hub builds from a list (one entry larger than this
/// still goes alone).
pub(crate) const PEERS_FRAME_BYTES: usize = 64 * 1024;

/// A member's entry in a `Peers` frame (its presence state if `with_state`).
pub(super) fn info(l: &LoadedRoom, sid: SessionId, with_state: bool) -> Option<PeerInfo> {
    let (replica, user_info, presence) = match l.members.get(&sid) {
        Some(m) => (m.replica, &m.user_info, &m.presence),
        None => {
            let r = l.remote.get(&sid)?;
            (r.replica, &r.user_info, &r.presence)
        }
    };
    Some(PeerInfo {
        peer: sid,
        replica,
        user_info: user_info.clone(),
        state: presence.clone().filter(|_| with_state),
    })
}

pub(super) fn peers_frame(
    room: &RoomId,
    mode: PeersMode,
    count: u64,
    joined: Vec<PeerInfo>,
    left: Vec<SessionId>,
) -> Frame {
    Frame::Peers(Peers {
        room: room.clone(),
        mode,
        count,
        joined,
        left,
    })
}

/// Splits a list into frames of at most [`PEERS_FRAME_BYTES`]: the first frame has
/// `mode` and all of `left`, the rest add entries (`Changes`).
pub(super) fn chunks(
    room: &RoomId,
    mode: PeersMode,
    count: u64,
    entries: Vec<PeerInfo>,
    left: Vec<SessionId>,
) -> Vec<Frame> {
    let mut frames = Vec::new();
    let mut size = 9 * left.len();
    let mut current = Vec::new();
    let mut left = Some(left);
    for e in entries {
        let len = e.size_hint();
        if !current.is_empty() && size + len > PEERS_FRAME_BYTES {
            let mode = if frames.is_empty() {
                mode
            } else {
                PeersMode::Changes
            };
            let left = left.take().unwrap_or_default();
            frames.push(peers_frame(
                room,
                mode,
                count,
                std::mem::take(&mut current),
                left,
            ));
            size = 0;
        }
        size += len;
        current.push(e);
    }
    let mode = if frames.is_empty() {
        mode
    } else {
        PeersMode::Changes
    };
    frames.push(peers_frame(
        room,
        mode,
        count,
        current,
        left.unwrap_or_default(),
    ));
    frames
}
