//! Several hubs in shared-log mode over one [`MemoryStorage`] (the tests of
//! `shared_log` and `remote_peers`): each hub's storage actions are held in its
//! harness and executed on the shared store by [`Nodes::pump`].

use super::harness::*;
use crate::hub::*;
use crate::wire::*;

/// Hubs in shared-log mode over one store. Each hub's storage actions are held in
/// its harness and executed on the shared store by [`Nodes::pump`].
pub struct Nodes {
    pub hubs: Vec<Harness>,
    pub log: MemoryStorage,
}

pub fn shared() -> HubConfig {
    HubConfig {
        shared_log: true,
        ..config()
    }
}

impl Nodes {
    pub fn new(n: usize) -> Nodes {
        let hubs = (0..n)
            .map(|i| {
                let mut h = Harness::with(HubConfig {
                    seed: i as u64 + 1,
                    node_id: NodeId(i as u64 + 1),
                    ..shared()
                });
                h.hold_storage = true;
                h
            })
            .collect();
        let mut log = MemoryStorage::new();
        log.set_merger(config().merger);
        Nodes { hubs, log }
    }

    /// Executes hub `i`'s held storage actions on the shared store, in order.
    pub fn pump(&mut self, i: usize) {
        loop {
            let h = &mut self.hubs[i];
            let Some(action) = h.storage.take_queued() else {
                return;
            };
            let done = self.log.execute(action);
            h.hub.handle_storage(h.now, done);
            h.settle();
        }
    }

    pub fn pump_all(&mut self) {
        for _ in 0..10 {
            for i in 0..self.hubs.len() {
                self.pump(i);
            }
        }
    }

    /// What the store holds for `room` from `from` on (as the tail feed would read it).
    pub fn stored(&mut self, room: &str, from: u64) -> (u64, Vec<StoredEntry>) {
        let room = RoomId::new(room);
        let load = self.log.execute(StorageAction::Load {
            op: OpId(0),
            room: room.clone(),
            tail_limit: 0,
        });
        let StorageCompletion::Loaded {
            result: Ok(Some(rec)),
            ..
        } = load
        else {
            panic!("room {room} not stored");
        };
        let range = self.log.execute(StorageAction::LoadRange {
            op: OpId(0),
            room,
            epoch: rec.epoch,
            from,
            max_entries: 1_000,
        });
        let StorageCompletion::Range { result: Ok(e), .. } = range else {
            panic!("range read failed");
        };
        (rec.epoch, e)
    }

    /// Feeds hub `i` the stored entries of `room` picked by `pick` (the tail feed).
    pub fn feed(&mut self, i: usize, room: &str, pick: impl Fn(&StoredEntry) -> bool) {
        let (epoch, entries) = self.stored(room, 0);
        let entries = entries.into_iter().filter(|e| pick(e)).collect();
        let h = &mut self.hubs[i];
        h.hub
            .handle_appended(h.now, &RoomId::new(room), epoch, entries);
        h.settle();
        self.pump(i);
    }
}

/// Connects `replica` to hub `i` and joins room "r" (type "sum").
pub fn member(n: &mut Nodes, i: usize, replica: u64) -> SessionId {
    let sid = n.hubs[i].connect(replica);
    n.hubs[i].send(sid, join("r", "sum", None));
    n.pump_all();
    let frames = n.hubs[i].take(sid);
    assert_eq!(joined(&frames).room.as_str(), "r");
    sid
}
