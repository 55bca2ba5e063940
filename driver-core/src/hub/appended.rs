//! The shared-log input of [`HubCore`]: entries of a room's shared log appended by
//! any node (shared-log mode, docs/MULTINODE.md), which a tail feed reads from
//! storage (the servers' Redis feed: `server::storage::redis_tail`).

use syncwire_proto::Instant;
use syncwire_proto::hub::StoredEntry;
use syncwire_proto::wire::RoomId;

use super::{ConnQueue, HubCore, StorageQueue};

impl<C: ConnQueue, S: StorageQueue> HubCore<C, S> {
    /// Entries of `room`'s shared log at `epoch`, appended by any node, in any
    /// grouping, late or repeated (`Hub::handle_appended`: the hub takes each offset
    /// once and reads holes from storage).
    pub fn handle_appended(
        &mut self,
        now: Instant,
        room: &RoomId,
        epoch: u64,
        entries: Vec<StoredEntry>,
    ) {
        self.hub.handle_appended(now, room, epoch, entries);
    }
}
