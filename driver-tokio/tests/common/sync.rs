//! Helpers for tests that drive [`SyncClient`]s: client configs with fast reconnects,
//! bounded waits on documents and outboxes, and a [`Recorder`] that counts what each
//! client's event stream delivered (per room, replica and sequence).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use syncwire_tokio::client::{ClientConfig, ClientEvent, Doc, SyncClient};
use syncwire_tokio::proto::client::ClientState;
use syncwire_tokio::proto::crdt::DeltaCrdt;
use syncwire_tokio::proto::wire::ReplicaId;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::WAIT;

/// The WebSocket URL of a hub at `addr`.
pub fn url(addr: SocketAddr) -> String {
    format!("ws://{addr}/sync")
}

/// A client config for `replica` that reconnects within tens of milliseconds.
pub fn fast_config(replica: u64) -> ClientConfig {
    let mut c = ClientConfig::new(ReplicaId(replica));
    c.seed = replica;
    c.backoff_base = Duration::from_millis(10);
    c.backoff_cap = Duration::from_millis(200);
    c
}

/// [`fast_config`] with a fresh random replica id: local operations apply at once
/// (a chosen id makes them wait until the room caught up).
pub fn fast_fresh_config() -> ClientConfig {
    let mut c = fast_config(1);
    c.replica = None;
    c.seed = 0;
    c
}

/// Waits until `doc`'s state satisfies `pred`, bounded by `limit`.
pub async fn until_within<C: DeltaCrdt>(doc: &Doc<C>, limit: Duration, pred: impl Fn(&C) -> bool) {
    let mut changes = doc.changes();
    let wait = async {
        while !doc.read(&pred).unwrap() {
            changes.next().await;
        }
    };
    if tokio::time::timeout(limit, wait).await.is_err() {
        let mut state = format!("{:?}", doc.state().unwrap());
        state.truncate(600);
        panic!(
            "{}: document did not reach the expected state in time: {state}",
            doc.room()
        );
    }
}

/// Waits until `doc`'s state satisfies `pred`, bounded by [`WAIT`].
pub async fn until<C: DeltaCrdt>(doc: &Doc<C>, pred: impl Fn(&C) -> bool) {
    until_within(doc, WAIT, pred).await;
}

/// Waits until two documents hold equal states, bounded by [`WAIT`].
pub async fn until_equal<C: DeltaCrdt>(a: &Doc<C>, b: &Doc<C>) {
    let (mut ca, mut cb) = (a.changes(), b.changes());
    let wait = async {
        while a.state().unwrap() != b.state().unwrap() {
            tokio::select! {
                _ = ca.next() => {}
                _ = cb.next() => {}
            }
        }
    };
    if tokio::time::timeout(WAIT, wait).await.is_err() {
        panic!(
            "{}: replicas did not converge:\n{:?}\n{:?}",
            a.room(),
            a.state().unwrap(),
            b.state().unwrap()
        );
    }
}

/// Waits until the client's outbox is empty (every local delta acked), bounded by `limit`.
pub async fn until_acked_within(client: &SyncClient, limit: Duration) {
    let mut events = client.events();
    let wait = async {
        while client.outbox_len() > 0 {
            events.next().await;
        }
    };
    tokio::time::timeout(limit, wait)
        .await
        .unwrap_or_else(|_| panic!("outbox drains in time ({} left)", client.outbox_len()));
}

/// What one client's event stream delivered.
#[derive(Debug, Default)]
pub struct Record {
    /// Remote deltas delivered, counted per (room, replica, seq).
    pub deliveries: HashMap<(String, u64, u64), u32>,
    /// Highest cumulative ack per room.
    pub acked: HashMap<String, u64>,
    /// `Joined` events (joins and re-joins), per room.
    pub joined: HashMap<String, u32>,
    /// `Resync` events (with whether they carried a snapshot), per room.
    pub resyncs: HashMap<String, Vec<bool>>,
    /// Times the client entered `Backoff`.
    pub backoffs: u32,
    /// Deltas the hub refused for good.
    pub rejected: u32,
    /// Events the subscriber lost because it lagged.
    pub lagged: u64,
}

impl Record {
    /// Deltas of `room` delivered more than once, as ((replica, seq), count).
    pub fn duplicates(&self, room: &str) -> Vec<((u64, u64), u32)> {
        let mut d: Vec<_> = self
            .deliveries
            .iter()
            .filter(|((r, _, _), n)| r == room && **n > 1)
            .map(|((_, rep, seq), n)| ((*rep, *seq), *n))
            .collect();
        d.sort();
        d
    }

    /// Sequences of `replica` in `room` delivered at least once, sorted.
    pub fn seqs_from(&self, room: &str, replica: u64) -> Vec<u64> {
        let mut s: Vec<u64> = self
            .deliveries
            .keys()
            .filter(|(r, rep, _)| r == room && *rep == replica)
            .map(|(_, _, seq)| *seq)
            .collect();
        s.sort_unstable();
        s
    }
}

/// Records a client's events in a background task (so its queue never lags).
pub struct Recorder {
    record: Arc<Mutex<Record>>,
    version: watch::Receiver<u64>,
    task: JoinHandle<()>,
}

impl Recorder {
    /// Subscribes to `client`'s events now.
    pub fn new(client: &SyncClient) -> Recorder {
        let mut events = client.events();
        let record = Arc::new(Mutex::new(Record::default()));
        let (tx, version) = watch::channel(0u64);
        let shared = record.clone();
        let task = tokio::spawn(async move {
            while let Some(ev) = events.next().await {
                let mut r = shared.lock().unwrap();
                r.lagged = events.lagged();
                match ev {
                    ClientEvent::Delta {
                        room, replica, seq, ..
                    } => {
                        let key = (room.as_str().to_owned(), replica.0, seq);
                        *r.deliveries.entry(key).or_default() += 1;
                    }
                    ClientEvent::DeltaAcked { room, seq } => {
                        let slot = r.acked.entry(room.as_str().to_owned()).or_default();
                        *slot = (*slot).max(seq);
                    }
                    ClientEvent::Joined { room, .. } => {
                        *r.joined.entry(room.as_str().to_owned()).or_default() += 1;
                    }
                    ClientEvent::Resync { room, snapshot, .. } => {
                        let room = room.as_str().to_owned();
                        r.resyncs.entry(room).or_default().push(snapshot.is_some());
                    }
                    ClientEvent::StateChanged {
                        to: ClientState::Backoff,
                        ..
                    } => r.backoffs += 1,
                    ClientEvent::DeltaRejected { .. } => r.rejected += 1,
                    _ => {}
                }
                drop(r);
                tx.send_modify(|v| *v += 1);
            }
        });
        Recorder {
            record,
            version,
            task,
        }
    }

    /// Reads the record.
    pub fn read<R>(&self, f: impl FnOnce(&Record) -> R) -> R {
        f(&self.record.lock().unwrap())
    }

    /// A receiver that changes whenever the record did.
    pub fn watch(&self) -> watch::Receiver<u64> {
        self.version.clone()
    }

    /// Waits until the record satisfies `pred`, bounded by `limit`.
    pub async fn until(&mut self, limit: Duration, pred: impl Fn(&Record) -> bool) {
        let wait = async {
            loop {
                self.version.borrow_and_update();
                if self.read(&pred) {
                    return;
                }
                if self.version.changed().await.is_err() {
                    panic!("event stream ended");
                }
            }
        };
        let met = tokio::time::timeout(limit, wait).await.is_ok();
        assert!(met, "record condition not met in time: {:?}", self.record);
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.task.abort();
    }
}
