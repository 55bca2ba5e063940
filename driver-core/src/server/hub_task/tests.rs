//! The hub task's bounds through the server's channels: a batch that finds the
//! outbound queue full joins its last batch, and a close that finds it full goes
//! through the kill switch; a full storage queue fails
//! the action and the hub answers `INTERNAL`; a `Flushed` message releases every byte
//! the connection added to its counter. (The logic is `HubCore`'s; these check the
//! server's queue adapters end to end.)

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use bytes::Bytes;
use std::sync::mpsc;
use syncwire_proto::hub::{AllowAll, Hub, HubConfig};
use syncwire_proto::wire::{
    CloseCode, ErrorCode, Frame, Hello, Join, ReplicaId, RoomId, SessionId,
};

use futures_channel::oneshot;

use super::HubTask;
use crate::hub::{FlushedBytes, HubCore, Outbound};
use crate::server::auth::Inline;
use crate::server::auth_runner::AuthRunner;
use crate::server::messages::{StorageTx, ToHub};
use crate::server::outbound_queue::{self, Receiver};
use crate::{Clock, SystemClock};

struct Conn {
    session: SessionId,
    rx: Receiver<Outbound>,
    kill: oneshot::Receiver<CloseCode>,
    flushed: FlushedBytes,
}

fn task(storage_capacity: usize) -> (HubTask, mpsc::Receiver<syncwire_proto::hub::StorageAction>) {
    task_with(storage_capacity, HubConfig::default())
}

fn task_with(
    storage_capacity: usize,
    config: HubConfig,
) -> (HubTask, mpsc::Receiver<syncwire_proto::hub::StorageAction>) {
    let config = HubConfig {
        authorizer: Some(Arc::new(AllowAll)),
        ..config
    };
    let clock = SystemClock::default();
    let (storage, actions) = mpsc::sync_channel(storage_capacity);
    let hub = Hub::new(config, clock.now()).unwrap();
    let task = HubTask {
        core: HubCore::new(hub, StorageTx(storage), Arc::default()),
        clock,
        auth: AuthRunner::inline_only(Arc::new(Inline(Arc::new(AllowAll)))),
        follows: None,
    };
    (task, actions)
}

fn open(t: &mut HubTask, capacity: usize) -> Conn {
    let (outbound, rx) = outbound_queue::channel(capacity);
    let (kill_tx, kill) = oneshot::channel();
    let (reply, mut session) = oneshot::channel();
    let flushed = FlushedBytes::new();
    t.on_message(ToHub::Opened {
        outbound,
        kill: kill_tx,
        flushed: flushed.clone(),
        reply,
        upgrade: Box::default(),
    });
    t.drain();
    let session = session.try_recv().unwrap().unwrap().unwrap();
    Conn {
        session,
        rx,
        kill,
        flushed,
    }
}

fn frame(t: &mut HubTask, session: SessionId, f: Frame) {
    t.on_message(ToHub::Frame {
        session,
        bytes: Bytes::from(f.encode()),
    });
    t.drain();
}

fn hello(replica: u64) -> Frame {
    Frame::Hello(Hello {
        versions: syncwire_proto::wire::SUPPORTED_VERSIONS.to_vec(),
        replica: ReplicaId(replica),
        token: None,
        user_info: None,
    })
}

#[test]
fn a_full_outbound_queue_merges_the_next_batches_and_keeps_the_session() {
    let (mut t, _actions) = task(16);
    let mut c = open(&mut t, 1);
    frame(&mut t, c.session, hello(1)); // the Welcome fills the queue
    frame(&mut t, c.session, Frame::Ping { nonce: 9 });
    frame(&mut t, c.session, Frame::Ping { nonce: 10 });
    assert_eq!(
        c.kill.try_recv(),
        Ok(None),
        "not closed for a count of turns"
    );
    assert_eq!(t.core.hub().session_count(), 1);
    let Ok(queued) = c.rx.try_recv() else {
        panic!("one message queued");
    };
    let frames: Vec<Frame> = match queued {
        Outbound::Batches(batches) => batches
            .into_iter()
            .flatten()
            .map(|b| Frame::decode(&b).unwrap())
            .collect(),
        other => panic!("the Pongs joined the Welcome's batch: {other:?}"),
    };
    assert!(matches!(
        frames[..],
        [
            Frame::Welcome(_),
            Frame::Pong { nonce: 9 },
            Frame::Pong { nonce: 10 }
        ]
    ));
    assert!(c.rx.try_recv().is_err(), "nothing else queued");
    let overflow = t.core.counters().outbound_overflow.load(Relaxed);
    assert_eq!(overflow, 0);
}

#[test]
fn a_close_that_finds_the_queue_full_closes_at_once_with_its_code() {
    let (mut t, _actions) = task(16);
    let mut c = open(&mut t, 1);
    frame(&mut t, c.session, hello(1)); // the Welcome fills the queue
    t.on_message(ToHub::Frame {
        session: c.session,
        bytes: Bytes::from_static(&[0xff]),
    });
    t.drain();
    assert_eq!(c.kill.try_recv(), Ok(Some(CloseCode::MALFORMED)));
    assert_eq!(t.core.hub().session_count(), 0);
    assert!(t.core.conn(c.session).is_none());
    assert_eq!(t.core.counters().outbound_overflow.load(Relaxed), 0);
}

#[test]
fn a_full_storage_queue_fails_the_join_explicitly() {
    let (mut t, actions) = task(1);
    let mut a = open(&mut t, 64);
    let mut b = open(&mut t, 64);
    frame(&mut t, a.session, hello(1));
    frame(&mut t, b.session, hello(2));
    let join = |room: &str| {
        Frame::Join(Join {
            room: RoomId::new(room),
            crdt: "gcounter".into(),
            resume: None,
        })
    };
    frame(&mut t, a.session, join("r1")); // its Load fills the storage queue
    frame(&mut t, b.session, join("r2")); // its Load does not fit
    assert!(actions.try_recv().is_ok());
    assert!(actions.try_recv().is_err());
    let mut rejected = None;
    while let Ok(Outbound::Frames(frames)) = b.rx.try_recv() {
        for bytes in frames {
            if let Ok(Frame::Reject(r)) = Frame::decode(&bytes) {
                rejected = Some(r.code);
            }
        }
    }
    assert_eq!(rejected, Some(ErrorCode::INTERNAL));
    assert_eq!(
        t.core
            .counters()
            .storage_overflow
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    // The first join is still waiting for storage, unharmed.
    while let Ok(Outbound::Frames(frames)) = a.rx.try_recv() {
        for bytes in frames {
            assert!(!matches!(Frame::decode(&bytes), Ok(Frame::Reject(_))));
        }
    }
}

#[test]
fn a_flushed_message_releases_everything_the_connection_added() {
    // A backlog of one byte: each frame fits only once the previous one is released.
    let config = HubConfig {
        max_backlog_bytes: 1,
        ..HubConfig::default()
    };
    let (mut t, _actions) = task_with(16, config);
    let mut c = open(&mut t, 16);
    frame(&mut t, c.session, hello(1));
    let Ok(Outbound::Frames(welcome)) = c.rx.try_recv() else {
        panic!("no Welcome");
    };
    // The connection wrote the Welcome in two writes; only the first asks for a message.
    let len = welcome[0].len();
    assert!(c.flushed.add(len - 1));
    assert!(!c.flushed.add(1));
    t.on_message(ToHub::Flushed { session: c.session });
    t.drain();
    // The whole Welcome was released, so the Pong fits: the session stays open.
    frame(&mut t, c.session, Frame::Ping { nonce: 3 });
    assert!(matches!(c.rx.try_recv(), Ok(Outbound::Frames(f)) if f.len() == 1));
    assert_eq!(c.kill.try_recv(), Ok(None), "not closed");
    assert_eq!(t.core.hub().session_count(), 1);
}

#[test]
fn without_the_release_the_same_pong_closes_the_session() {
    let config = HubConfig {
        max_backlog_bytes: 1,
        ..HubConfig::default()
    };
    let (mut t, _actions) = task_with(16, config);
    let mut c = open(&mut t, 16);
    frame(&mut t, c.session, hello(1));
    assert!(c.rx.try_recv().is_ok());
    frame(&mut t, c.session, Frame::Ping { nonce: 3 });
    assert_eq!(t.core.hub().session_count(), 0, "closed as a slow consumer");
}
