//! Room state: loading (joins queued until storage answers) or loaded (type, epoch,
//! log, snapshot, members).

use std::sync::Arc;

use bytes::Bytes;

use super::checked::Checked;
use super::compaction::Folding;
use super::log::RoomLog;
use super::peers::PeerNotices;
use super::remote_peers::RemotePeers;
use super::shared_log::JoinSync;
use super::storage::{OpId, StoredSnapshot};
use crate::wire::{Join, ReplicaId, RoomEncoder, SessionId};

/// One member of a loaded room.
#[derive(Debug)]
pub(crate) struct Member {
    pub(crate) replica: ReplicaId,
    pub(crate) user_info: Option<Bytes>,
    pub(crate) writable: bool,
    /// Next offset to deliver to this member; equal to the durable head when live.
    pub(crate) next: u64,
    /// A storage range load in flight for this member's catch-up.
    pub(crate) range_op: Option<OpId>,
    /// Latest presence state (ephemeral, never logged).
    pub(crate) presence: Option<Bytes>,
    /// Presence of peers was dropped for this member (its backlog was full): the
    /// latest state of every peer from this session id on is re-sent as its backlog
    /// drains (latest value wins).
    pub(crate) presence_from: Option<SessionId>,
    /// The member was told the room's peers (or its summary) since it joined.
    pub(crate) listed: bool,
}

/// The members of a loaded room in session-id order, with the subset of the
/// `BTreeMap<SessionId, Member>` API the hub uses. A sorted vector that grows by
/// doubling from one slot: a room of one member (every idle connection in its own
/// room) costs one `Member` instead of a `BTreeMap` leaf of eleven (≈ 1.2 KiB).
/// New sessions have the highest ids, so joins append; a leave moves the members
/// after it, which is less work than the `PeerLeft` frames a leave sends to all of
/// them. The buffer shrinks when it is at most a quarter full.
#[derive(Debug, Default)]
pub(crate) struct Members(Vec<(SessionId, Member)>);

/// Slots a member list keeps without shrinking.
const MEMBERS_KEEP: usize = 8;

impl Members {
    fn find(&self, sid: &SessionId) -> Result<usize, usize> {
        self.0.binary_search_by(|(s, _)| s.cmp(sid))
    }
    /// Adds or replaces `sid`'s entry; returns the replaced member.
    pub(crate) fn insert(&mut self, sid: SessionId, member: Member) -> Option<Member> {
        match self.find(&sid) {
            Ok(i) => self.0.get_mut(i).map(|(_, m)| std::mem::replace(m, member)),
            Err(i) => {
                if self.0.len() == self.0.capacity() {
                    self.0.reserve_exact(self.0.len().max(1));
                }
                self.0.insert(i, (sid, member));
                None
            }
        }
    }
    /// Removes `sid`'s entry.
    pub(crate) fn remove(&mut self, sid: &SessionId) -> Option<Member> {
        let i = self.find(sid).ok()?;
        let (_, member) = self.0.remove(i);
        let cap = self.0.capacity();
        if cap > MEMBERS_KEEP && self.0.len().saturating_mul(4) <= cap {
            self.0
                .shrink_to(self.0.len().saturating_mul(2).max(MEMBERS_KEEP));
        }
        Some(member)
    }
    pub(crate) fn get(&self, sid: &SessionId) -> Option<&Member> {
        self.0.get(self.find(sid).ok()?).map(|(_, m)| m)
    }
    pub(crate) fn get_mut(&mut self, sid: &SessionId) -> Option<&mut Member> {
        let i = self.find(sid).ok()?;
        self.0.get_mut(i).map(|(_, m)| m)
    }
    #[cfg(any(test, feature = "test-hooks"))]
    pub(crate) fn contains_key(&self, sid: &SessionId) -> bool {
        self.find(sid).is_ok()
    }
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// How many members (each session at most once).
    #[cfg(any(test, feature = "test-hooks"))]
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }
    /// Members in session-id order.
    pub(crate) fn iter(&self) -> MembersIter<'_> {
        self.0
            .iter()
            .map(pair as fn(&(SessionId, Member)) -> (&SessionId, &Member))
    }
    /// Entries in session order, mutably.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (&SessionId, &mut Member)> {
        self.0.iter_mut().map(|(s, m)| (&*s, m))
    }
    /// Session ids in order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &SessionId> {
        self.0.iter().map(|(s, _)| s)
    }
    /// Session ids in order, consuming the list.
    pub(crate) fn into_keys(self) -> impl Iterator<Item = SessionId> {
        self.0.into_iter().map(|(s, _)| s)
    }
}

fn pair(entry: &(SessionId, Member)) -> (&SessionId, &Member) {
    (&entry.0, &entry.1)
}

/// Iterator over `(&SessionId, &Member)` in session-id order.
pub(crate) type MembersIter<'a> = std::iter::Map<
    std::slice::Iter<'a, (SessionId, Member)>,
    fn(&'a (SessionId, Member)) -> (&'a SessionId, &'a Member),
>;

impl<'a> IntoIterator for &'a Members {
    type Item = (&'a SessionId, &'a Member);
    type IntoIter = MembersIter<'a>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// A join waiting for the room to load.
#[derive(Debug)]
pub(crate) struct PendingJoin {
    pub(crate) session: SessionId,
    pub(crate) join: Join,
}

/// A loaded room.
#[derive(Debug)]
pub(crate) struct LoadedRoom {
    /// The CRDT type tag (shared: every delivered frame names it).
    pub(crate) crdt: Arc<str>,
    pub(crate) epoch: u64,
    /// Checked apart from the rest: `Hub::check_invariants` walks its tail.
    pub(crate) log: Checked<RoomLog>,
    /// The latest snapshot, as storage holds it (loaded, or returned by a fold).
    pub(crate) snapshot: Option<StoredSnapshot>,
    /// First offset storage still holds as an entry.
    pub(crate) storage_first: u64,
    /// Storage folding the log prefix into the snapshot ([`super::compaction`]).
    pub(crate) fold: Folding,
    pub(crate) members: Members,
    /// Joins waiting until their replica has no append in flight in this room, so
    /// `Joined.acked_seq` is exactly the highest sequence the hub accepted from it
    /// (PROTOCOL.md §3.5); served in order as the appends become durable.
    pub(crate) parked: Vec<PendingJoin>,
    /// Joins whose `Joined` did not fit the session's backlog (a big snapshot behind
    /// queued output): served when the session reports output flushed. Meanwhile the
    /// session is sent no data frames, so its backlog drains ([`super::backlog`]).
    pub(crate) backlogged: Vec<PendingJoin>,
    /// Shared-log mode: joins waiting for a read of the shared log.
    pub(crate) sync: JoinSync,
    /// Shared-log mode: the room's snapshot and first stored offset are being
    /// loaded again (another node compacted entries a member needs).
    pub(crate) refreshing: bool,
    /// Joins and leaves not yet told to the members ([`super::peers`]).
    pub(crate) peers: PeerNotices,
    /// Shared-log mode: the room's members on other nodes.
    pub(crate) remote: RemotePeers,
    /// Encodes the live frames; made at the first delivery (idle rooms keep none).
    pub(crate) encoder: Option<RoomEncoder>,
}

/// A room in the hub: `incarnation` tells storage completions for an older
/// instance of the same room id apart from current ones.
#[derive(Debug)]
pub(crate) struct Room {
    pub(crate) incarnation: u64,
    pub(crate) state: RoomState,
}

/// Loading or loaded.
#[derive(Debug)]
pub(crate) enum RoomState {
    /// `creates`: shared-log mode, creations refused so far (another node created
    /// the room first: it is loaded again).
    Loading {
        pending: Vec<PendingJoin>,
        creates: u8,
    },
    Loaded(Box<LoadedRoom>),
}

impl Room {
    pub(crate) fn loaded(&self) -> Option<&LoadedRoom> {
        match &self.state {
            RoomState::Loaded(r) => Some(r),
            RoomState::Loading { .. } => None,
        }
    }
    pub(crate) fn loaded_mut(&mut self) -> Option<&mut LoadedRoom> {
        match &mut self.state {
            RoomState::Loaded(r) => Some(r),
            RoomState::Loading { .. } => None,
        }
    }
    /// Whether nothing refers to the room any more, so it may be unloaded.
    pub(crate) fn is_idle(&self) -> bool {
        match &self.state {
            RoomState::Loading { .. } => false,
            RoomState::Loaded(r) => {
                r.members.is_empty()
                    && r.parked.is_empty()
                    && r.backlogged.is_empty()
                    && r.sync.is_empty()
                    && r.log.inflight_len() == 0
                    && !matches!(r.fold, Folding::InFlight { .. })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(next: u64) -> Member {
        Member {
            replica: ReplicaId(1),
            user_info: None,
            writable: true,
            next,
            range_op: None,
            presence: None,
            presence_from: None,
            listed: true,
        }
    }

    #[test]
    fn members_behave_like_an_ordered_map() {
        let mut m = Members::default();
        assert!(m.is_empty());
        for sid in [5, 1, 9, 3] {
            assert!(m.insert(SessionId(sid), member(sid)).is_none());
        }
        assert_eq!(m.insert(SessionId(3), member(30)).map(|x| x.next), Some(3));
        let keys: Vec<u64> = m.keys().map(|s| s.0).collect();
        assert_eq!(keys, [1, 3, 5, 9]);
        let nexts: Vec<u64> = (&m).into_iter().map(|(_, x)| x.next).collect();
        assert_eq!(nexts, [1, 30, 5, 9]);
        assert!(m.contains_key(&SessionId(9)));
        if let Some(x) = m.get_mut(&SessionId(9)) {
            x.next = 90;
        }
        assert_eq!(m.get(&SessionId(9)).map(|x| x.next), Some(90));
        assert_eq!(m.remove(&SessionId(1)).map(|x| x.next), Some(1));
        assert!(m.remove(&SessionId(1)).is_none());
        assert!(m.get(&SessionId(2)).is_none());
        let rest: Vec<u64> = m.into_keys().map(|s| s.0).collect();
        assert_eq!(rest, [3, 5, 9]);
    }

    #[test]
    fn one_member_takes_one_slot_and_a_shrunk_room_gives_memory_back() {
        let mut m = Members::default();
        m.insert(SessionId(1), member(0));
        assert_eq!(m.0.capacity(), 1);
        for sid in 2..=1000 {
            m.insert(SessionId(sid), member(0));
        }
        assert!(m.0.capacity() >= 1000);
        for sid in 2..=1000 {
            m.remove(&SessionId(sid));
        }
        assert_eq!(m.keys().count(), 1);
        assert!(m.0.capacity() <= MEMBERS_KEEP);
    }
}
