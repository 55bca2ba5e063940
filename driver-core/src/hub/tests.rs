//! The hub core's bounds: a full outbound queue closes the session `SLOW_CONSUMER`;
//! a full storage queue fails the action and the hub answers `INTERNAL`; a full news
//! bus queue (shared-log mode) drops the news that does not fit and counts it; the
//! frames of one drain reach a connection as one batch, in order, before its close.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use bytes::Bytes;
use syncwire_proto::Instant;
use syncwire_proto::hub::{
    AllowAll, Hub, HubConfig, MemoryStorage, NodeNews, PeerNews, StorageAction,
};
use syncwire_proto::wire::{CloseCode, ErrorCode, Frame, Hello, Join, ReplicaId, RoomId};

use super::*;

/// A bounded queue seen from both ends.
#[derive(Clone, Default)]
struct Queue<T> {
    items: Rc<RefCell<VecDeque<T>>>,
    capacity: usize,
    killed: Rc<RefCell<Option<CloseCode>>>,
}

impl<T> Queue<T> {
    fn new(capacity: usize) -> Self {
        Queue {
            items: Rc::default(),
            capacity,
            killed: Rc::default(),
        }
    }
    fn pop(&self) -> Option<T> {
        self.items.borrow_mut().pop_front()
    }
    fn len(&self) -> usize {
        self.items.borrow().len()
    }
    fn push(&self, item: T) -> Result<(), T> {
        let mut items = self.items.borrow_mut();
        if items.len() >= self.capacity {
            return Err(item);
        }
        items.push_back(item);
        Ok(())
    }
}

impl ConnQueue for Queue<Outbound> {
    fn try_send(&mut self, msg: Outbound) -> Result<(), SendRefused> {
        self.push(msg).map_err(SendRefused::Full)
    }
    fn kill(self, code: CloseCode) {
        *self.killed.borrow_mut() = Some(code);
    }
}

impl Queue<Outbound> {
    /// Every frame queued so far, in order, decoded (stops at a close).
    fn frames(&self) -> Vec<Frame> {
        let mut out = Vec::new();
        while let Some(Outbound::Frames(batch)) = self.pop() {
            out.extend(batch.iter().map(|b| Frame::decode(b).unwrap()));
        }
        out
    }
}

impl StorageQueue for Queue<StorageAction> {
    fn try_send(&mut self, action: StorageAction) -> Result<(), (StorageAction, &'static str)> {
        self.push(action).map_err(|a| (a, "storage queue full"))
    }
}

type Core = HubCore<Queue<Outbound>, Queue<StorageAction>>;
const NOW: Instant = Instant::ZERO;

fn core(storage_capacity: usize) -> (Core, Queue<StorageAction>) {
    let config = HubConfig {
        authorizer: Some(Arc::new(AllowAll)),
        ..HubConfig::default()
    };
    let storage = Queue::new(storage_capacity);
    let hub = Hub::new(config, NOW).unwrap();
    let core = HubCore::new(hub, storage.clone(), Arc::default());
    (core, storage)
}

fn open(c: &mut Core, capacity: usize) -> (SessionId, Queue<Outbound>) {
    let q = Queue::new(capacity);
    let session = c.handle_opened(NOW, q.clone()).unwrap();
    c.drain(NOW, drop);
    (session, q)
}

fn frame(c: &mut Core, session: SessionId, f: Frame) {
    c.handle_frame(NOW, session, &Bytes::from(f.encode()));
    c.drain(NOW, drop);
}

fn hello(replica: u64) -> Frame {
    Frame::Hello(Hello {
        versions: syncwire_proto::wire::SUPPORTED_VERSIONS.to_vec(),
        replica: ReplicaId(replica),
        token: None,
        user_info: None,
    })
}

fn join(room: &str) -> Frame {
    Frame::Join(Join {
        room: RoomId::new(room),
        crdt: "gcounter".into(),
        resume: None,
    })
}

#[test]
fn a_full_outbound_queue_closes_the_session_as_slow_consumer() {
    let (mut c, _storage) = core(16);
    let (session, q) = open(&mut c, 1);
    frame(&mut c, session, hello(1)); // the Welcome fills the queue
    assert_eq!(c.hub.session_count(), 1);
    frame(&mut c, session, Frame::Ping { nonce: 9 }); // the Pong does not fit
    assert_eq!(*q.killed.borrow(), Some(CloseCode::SLOW_CONSUMER));
    assert_eq!(c.hub.session_count(), 0);
    assert!(!c.conns.contains_key(&session));
    assert!(matches!(q.pop(), Some(Outbound::Frames(f)) if f.len() == 1));
    assert_eq!(c.counters.outbound_overflow.load(Relaxed), 1);
}

#[test]
fn a_full_storage_queue_fails_the_join_explicitly() {
    let (mut c, storage) = core(1);
    let (a, qa) = open(&mut c, 64);
    let (b, qb) = open(&mut c, 64);
    frame(&mut c, a, hello(1));
    frame(&mut c, b, hello(2));
    frame(&mut c, a, join("r1")); // its Load fills the storage queue
    frame(&mut c, b, join("r2")); // its Load does not fit
    assert!(storage.pop().is_some());
    assert!(storage.pop().is_none());
    let rejected = qb.frames().into_iter().find_map(|f| match f {
        Frame::Reject(r) => Some(r.code),
        _ => None,
    });
    assert_eq!(rejected, Some(ErrorCode::INTERNAL));
    assert_eq!(c.counters.storage_overflow.load(Relaxed), 1);
    // The first join is still waiting for storage, unharmed.
    assert!(!qa.frames().iter().any(|f| matches!(f, Frame::Reject(_))));
}

#[test]
fn a_draining_core_refuses_new_sessions_and_closes_the_rest_going_away() {
    let (mut c, _storage) = core(16);
    let (_session, q) = open(&mut c, 4);
    c.begin_shutdown();
    assert!(c.drained(), "nothing in flight");
    assert_eq!(c.handle_opened(NOW, Queue::new(4)), None);
    c.close_all(CloseCode::GOING_AWAY);
    assert!(c.conns.is_empty());
    assert_eq!(q.pop(), Some(Outbound::Close(CloseCode::GOING_AWAY)));
}

#[test]
fn the_frames_of_one_drain_arrive_as_one_batch_in_order() {
    let (mut c, _storage) = core(16);
    let (session, q) = open(&mut c, 4);
    frame(&mut c, session, hello(1));
    q.frames();
    // Three inputs before one drain: their three Pongs go out as one message.
    for nonce in 1..=3 {
        let bytes = Bytes::from(Frame::Ping { nonce }.encode());
        c.handle_frame(NOW, session, &bytes);
    }
    c.drain(NOW, drop);
    assert_eq!(q.len(), 1, "one message for the whole drain");
    let nonces: Vec<u64> = q
        .frames()
        .into_iter()
        .map(|f| match f {
            Frame::Pong { nonce } => nonce,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(nonces, [1, 2, 3]);
}

#[test]
fn a_closed_session_gets_its_last_frames_before_the_close() {
    let (mut c, _storage) = core(16);
    let (session, q) = open(&mut c, 4);
    // No common version: the hub rejects, then closes.
    let mut hello = hello(1);
    if let Frame::Hello(h) = &mut hello {
        h.versions = vec![u32::MAX];
    }
    frame(&mut c, session, hello);
    let Some(Outbound::Frames(batch)) = q.pop() else {
        panic!("the rejection comes first");
    };
    let rejected = batch.iter().map(|b| Frame::decode(b).unwrap());
    assert!(
        rejected
            .into_iter()
            .any(|f| matches!(f, Frame::Reject(r) if r.code == ErrorCode::UNSUPPORTED_VERSION))
    );
    assert_eq!(
        q.pop(),
        Some(Outbound::Close(CloseCode::UNSUPPORTED_VERSION))
    );
    assert!(q.pop().is_none());
}

/// A core in shared-log mode whose storage actions run on `store` (see [`settle`]).
fn shared_core() -> (Core, Queue<StorageAction>) {
    let config = HubConfig {
        authorizer: Some(Arc::new(AllowAll)),
        shared_log: true,
        ..HubConfig::default()
    };
    let storage = Queue::new(16);
    let hub = Hub::new(config, NOW).unwrap();
    (HubCore::new(hub, storage.clone(), Arc::default()), storage)
}

/// Runs the core's queued storage actions on `store` and drains, until none is left.
fn settle(c: &mut Core, storage: &Queue<StorageAction>, store: &mut MemoryStorage) {
    while let Some(action) = storage.pop() {
        let done = store.execute(action);
        c.handle_storage(NOW, done);
        c.drain(NOW, drop);
    }
}

/// One member joins "r" in shared-log mode: the room's load publishes a roster
/// (asking the other nodes for theirs), the join a change. Returns the news the
/// bus (`bus`'s receiver) got and the member's frames.
fn join_publishing(bus: std::sync::mpsc::SyncSender<Vec<u8>>) -> (Core, Vec<Frame>) {
    let (mut c, storage) = shared_core();
    c.set_news(bus);
    let mut store = MemoryStorage::new();
    let (session, q) = open(&mut c, 64);
    frame(&mut c, session, hello(1));
    frame(&mut c, session, join("r"));
    settle(&mut c, &storage, &mut store);
    (c, q.frames())
}

#[test]
fn a_full_news_queue_drops_the_later_news_and_counts_it() {
    // The same join with room for every news: it publishes two, in this order.
    let (roomy, all) = std::sync::mpsc::sync_channel(16);
    let (c, _) = join_publishing(roomy);
    let published: Vec<Vec<u8>> = all.try_iter().collect();
    let kinds: Vec<PeerNews> = published
        .iter()
        .map(|b| NodeNews::decode(b, 1 << 20).unwrap().news)
        .collect();
    assert!(
        matches!(
            kinds.as_slice(),
            [PeerNews::Roster { ask: true, .. }, PeerNews::Changes { .. }]
        ),
        "a load's roster, then the join: {kinds:?}"
    );
    assert_eq!(c.counters.news_overflow.load(Relaxed), 0);
    // A bus queue of one, nobody publishing: the first news waits there, the second
    // finds it full, is dropped and counted; the member is served all the same.
    let (bus, queued) = std::sync::mpsc::sync_channel(1);
    let (c, frames) = join_publishing(bus);
    assert_eq!(c.counters.news_overflow.load(Relaxed), 1);
    assert_eq!(queued.try_iter().collect::<Vec<_>>(), published[..1]);
    assert!(frames.iter().any(|f| matches!(f, Frame::Joined(_))));
    assert_eq!(c.hub.session_count(), 1);
}
