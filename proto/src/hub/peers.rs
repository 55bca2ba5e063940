//! Membership notices: who is in a room, told to its members as `Peers` frames
//! (PROTOCOL.md §3.12), batched per hub turn.
//!
//! This module owns [`PeerNotices`], a loaded room's record of the joins and leaves
//! its members have not been told about yet, and the rendering of that record into
//! `Peers` frames. Joins and leaves only record; the record is flushed once per turn
//! (at the first [`Hub::poll_output`](super::Hub::poll_output) after the inputs, and
//! before any presence of the room is relayed, so a peer is always announced before
//! its presence). A turn that handles many joins of one room therefore costs each
//! member one frame, not one per join:
//!
//! * a member that joined since the last flush gets the whole list (`Full`, split
//!   into frames of at most `PEERS_FRAME_BYTES` (`peers_frames`));
//! * the others get what changed (`Changes`: who left, then who joined);
//! * a room with more than `max_presence_members` members lists nobody (`Summary`:
//!   only the member count, sent to existing members at most once per
//!   `presence_summary_interval`, to a joiner at once) and relays no presence; it lists
//!   again (`Full` to everyone) once it has at most half that many members.

use super::Hub;
use super::peers_frames::{chunks, info, peers_frame};
use super::room::Room;
use super::timers::TimerKey;
use crate::time::Instant;
use crate::wire::{PeerInfo, PeersMode, RoomId, SessionId};

/// A loaded room's membership changes not yet told to its members, and its mode.
#[derive(Debug, Default)]
pub(crate) struct PeerNotices {
    /// Sessions that joined since the last flush (announced after `left`).
    joined: Vec<SessionId>,
    /// Sessions that left since the last flush.
    left: Vec<SessionId>,
    /// The room is listed in the hub's due list.
    due: bool,
    /// The room has too many members to list (summary mode).
    summary: bool,
    /// The member count last sent to every member in summary mode, and when.
    count_sent: Option<(u64, Instant)>,
}

impl PeerNotices {
    /// Records a join; true if the room must be added to the hub's due list.
    pub(crate) fn joined(&mut self, sid: SessionId) -> bool {
        self.joined.push(sid);
        !std::mem::replace(&mut self.due, true)
    }

    /// Records a leave; true if the room must be added to the hub's due list.
    pub(crate) fn left(&mut self, sid: SessionId) -> bool {
        if let Some(i) = self.joined.iter().position(|&s| s == sid) {
            // Never announced: nobody needs to hear it left.
            self.joined.remove(i);
        } else {
            self.left.push(sid);
        }
        !std::mem::replace(&mut self.due, true)
    }

    /// Whether the room relays presence (it is not in summary mode).
    pub(crate) fn listed(&self) -> bool {
        !self.summary
    }

    /// Whether changes wait for a flush.
    pub(crate) fn is_due(&self) -> bool {
        self.due
    }
}

/// One member's `Peers` frames of a flush.
enum Notice {
    Full,
    Changes,
    Summary,
}

impl Hub {
    /// Records that `sid` joined `room` (told at the next flush).
    pub(crate) fn note_joined(&mut self, room: &RoomId, sid: SessionId) {
        let l = self.rooms.get_mut(room).and_then(Room::loaded_mut);
        if l.is_some_and(|l| l.peers.joined(sid)) {
            self.peers_due.push(room.clone());
        }
    }

    /// Records that `sid` left `room` (told at the next flush).
    pub(crate) fn note_left(&mut self, room: &RoomId, sid: SessionId) {
        let l = self.rooms.get_mut(room).and_then(Room::loaded_mut);
        if l.is_some_and(|l| l.peers.left(sid)) {
            self.peers_due.push(room.clone());
        }
    }

    /// Tells every room's members what changed since the last flush.
    pub(crate) fn flush_peers(&mut self) {
        for room in std::mem::take(&mut self.peers_due) {
            self.flush_room_peers(&room, false);
        }
    }

    /// Tells `room`'s members what changed, if anything waits (before its presence).
    pub(crate) fn flush_room_peers_if_due(&mut self, room: &RoomId) {
        let due = self
            .rooms
            .get(room)
            .and_then(Room::loaded)
            .is_some_and(|l| l.peers.is_due());
        if due {
            self.peers_due.retain(|r| r != room);
            self.flush_room_peers(room, false);
        }
    }

    /// The summary interval of `room` passed: sends the current count if it changed.
    pub(crate) fn on_peer_count_due(&mut self, room: &RoomId) {
        self.flush_room_peers(room, true);
    }

    fn flush_room_peers(&mut self, room: &RoomId, count_due: bool) {
        let max = self.config.max_presence_members;
        let interval = self.config.presence_summary_interval;
        let now = self.now;
        let Some(l) = self.rooms.get_mut(room).and_then(Room::loaded_mut) else {
            return;
        };
        let joined = std::mem::take(&mut l.peers.joined);
        let left = std::mem::take(&mut l.peers.left);
        l.peers.due = false;
        // Members of other nodes count and are listed like local ones (§8.6).
        let count = l.members.iter().count() + l.remote.len();
        let was_summary = l.peers.summary;
        let summary = if was_summary {
            count > max / 2
        } else {
            count > max
        };
        l.peers.summary = summary;
        let count = count as u64;
        // In summary mode existing members hear the count at most once per interval.
        let count_changed = l.peers.count_sent.is_none_or(|(c, _)| c != count);
        let mut arm = None;
        let send_count = summary
            && count_changed
            && match l.peers.count_sent {
                Some((_, at)) if !count_due && now < at.saturating_add(interval) => {
                    arm = Some(at.saturating_add(interval));
                    false
                }
                _ => true,
            };
        if summary && (send_count || !was_summary) {
            l.peers.count_sent = Some((count, now));
        }
        if !summary {
            l.peers.count_sent = None;
        }
        let mut plan = Vec::new();
        for (&sid, m) in l.members.iter_mut() {
            let notice = match (summary, m.listed) {
                (true, false) => Notice::Summary,
                (true, true) if !was_summary || send_count => Notice::Summary,
                (true, true) => continue,
                (false, false) => Notice::Full,
                (false, true) if was_summary => Notice::Full,
                (false, true) => Notice::Changes,
            };
            m.listed = true;
            plan.push((sid, notice));
        }
        if let Some(at) = arm {
            self.timers.set(TimerKey::PeerCount(room.clone()), at);
        }
        self.publish_changes(room, &joined, &left);
        for (sid, notice) in plan {
            match notice {
                Notice::Summary => {
                    let frame =
                        peers_frame(room, PeersMode::Summary, count, Vec::new(), Vec::new());
                    self.send(sid, &frame);
                }
                Notice::Changes => self.send_changes(room, sid, count, &joined, &left),
                Notice::Full => self.send_full(room, sid, count),
            }
        }
    }

    /// What changed, to a member that holds the list.
    fn send_changes(
        &mut self,
        room: &RoomId,
        sid: SessionId,
        count: u64,
        joined: &[SessionId],
        left: &[SessionId],
    ) {
        let Some(l) = self.rooms.get(room).and_then(Room::loaded) else {
            return;
        };
        let entries: Vec<PeerInfo> = joined
            .iter()
            .filter(|&&s| s != sid)
            .filter_map(|&s| info(l, s, true))
            .collect();
        if entries.is_empty() && left.is_empty() {
            return;
        }
        for frame in chunks(room, PeersMode::Changes, count, entries, left.to_vec()) {
            self.send(sid, &frame);
        }
    }

    /// The whole list, to a member that does not hold it. Peers' presence states ride
    /// along while they fit the member's backlog; the rest follow as it drains, like
    /// any dropped presence (`Member::presence_from`).
    fn send_full(&mut self, room: &RoomId, sid: SessionId, count: u64) {
        let Some(l) = self.rooms.get(room).and_then(Room::loaded) else {
            return;
        };
        let mut budget = self.config.max_backlog_bytes / 2;
        let mut missed = None;
        let entries: Vec<PeerInfo> = l
            .members
            .keys()
            .chain(l.remote.iter().map(|(alias, _)| alias))
            .filter(|&&s| s != sid)
            .filter_map(|&s| {
                let mut e = info(l, s, missed.is_none())?;
                if let Some(state) = &e.state {
                    if state.len() > budget {
                        e.state = None;
                        missed = Some(s);
                    } else {
                        budget -= state.len();
                    }
                }
                Some(e)
            })
            .collect();
        for frame in chunks(room, PeersMode::Full, count, entries, Vec::new()) {
            self.send(sid, &frame);
        }
        if let Some(from) = missed {
            self.metrics.presence_dropped = self.metrics.presence_dropped.saturating_add(1);
            self.mark_presence_missed(room, sid, from);
        }
    }
}
