//! Hub bench: the per-delta server path — decode a `ClientDelta` (received as
//! `&[u8]`, as the servers hand it to `Hub::handle_frame`) → dedupe →
//! append (MemoryStorage, executed at once) → ack → encode the `HubDelta` for
//! each subscriber → report the bytes flushed. One writer session and 1 or 10
//! subscriber sessions in one room, joined through real replicas. Each batch
//! starts from a fresh hub (set-up and frame pre-encoding not timed), so storage
//! memory stays bounded. Baseline in the same run: a minimal hand-written loop
//! over a HashMap (dedupe) and a Vec (log) with raw ciborium + serde frames.
// `criterion_group!` generates undocumented public functions.
#![allow(missing_docs)]

mod support;

use std::collections::{HashMap, VecDeque};
use std::hint::black_box;
use std::time::{Duration, Instant as WallClock};

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use support::raw::{self, RawAck, RawClientDelta, RawHubDelta};
use support::{World, client_delta};
use syncwire_proto::hub::HubOutput;
use syncwire_proto::wire::SessionId;

/// Deltas fed to one hub before a fresh one is set up.
const CHUNK: u64 = 20_000;
/// Deltas per timed iteration.
const BATCH: u64 = 100;

/// Runs `iters` batches through fresh hubs with `subscribers` subscribers.
fn run_syncwire(iters: u64, subscribers: u64) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters * BATCH;
    while left > 0 {
        let n = left.min(CHUNK);
        let mut world = World::new();
        let writer = world.join(1, 16);
        for r in 0..subscribers {
            let _ = world.join(100 + r, 16);
        }
        // Encoded before the timing, kept until after it.
        let frames: Vec<Vec<u8>> = (1..=n).map(|s| client_delta(1, s).encode()).collect();
        let World { hub, storage, now } = &mut world;
        let mut delivered = 0u64;
        let start = WallClock::now();
        for bytes in &frames {
            hub.handle_frame(*now, writer.session, bytes);
            while let Some(output) = hub.poll_output() {
                match output {
                    HubOutput::Storage(action) => {
                        let done = storage.execute(action);
                        hub.handle_storage(*now, done);
                    }
                    HubOutput::Transmit { session, frames } => {
                        for out in frames {
                            hub.handle_flushed(session, out.len());
                            delivered += u64::from(session != writer.session);
                            black_box(out);
                        }
                    }
                    HubOutput::Close { session, code } => panic!("hub closed {session:?} {code}"),
                    HubOutput::Auth(_) | HubOutput::Publish(_) | HubOutput::Event(_) => {}
                }
            }
        }
        total += start.elapsed();
        assert_eq!(
            delivered,
            n * subscribers,
            "every delta reaches every subscriber"
        );
        left -= n;
    }
    total
}

/// The baseline server: dedupe by replica in a HashMap, log in a Vec, ack the
/// writer, encode one broadcast frame shared by every subscriber.
struct BaselineRoom {
    highest: HashMap<u64, u64>,
    log: Vec<(u64, u64, Bytes)>,
    subscribers: Vec<SessionId>,
    out: VecDeque<(SessionId, Bytes)>,
}

impl BaselineRoom {
    /// Handles one client delta (not inlined, so profilers can find it).
    #[inline(never)]
    fn handle(&mut self, from: SessionId, bytes: &[u8]) {
        let RawClientDelta(_, room, crdt, replica, seq, payload) = raw::decode(bytes);
        let highest = self.highest.entry(replica).or_insert(0);
        let fresh = seq > *highest;
        if fresh {
            *highest = seq;
        }
        let ack = raw::encode(&RawAck(9, room.clone(), *highest));
        self.out.push_back((from, Bytes::from(ack)));
        if !fresh {
            return;
        }
        let offset = self.log.len() as u64;
        let payload = payload.into_vec();
        let hd = RawHubDelta(
            7,
            room,
            crdt,
            1,
            offset,
            replica,
            seq,
            payload.clone().into(),
        );
        self.log.push((replica, seq, Bytes::from(payload)));
        let frame = Bytes::from(raw::encode(&hd));
        for s in &self.subscribers {
            self.out.push_back((*s, frame.clone()));
        }
    }
}

fn run_baseline(iters: u64, subscribers: u64) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters * BATCH;
    while left > 0 {
        let n = left.min(CHUNK);
        let mut room = BaselineRoom {
            highest: HashMap::new(),
            log: Vec::new(),
            subscribers: (0..subscribers).map(|s| SessionId(100 + s)).collect(),
            out: VecDeque::new(),
        };
        let frames: Vec<Vec<u8>> = (1..=n)
            .map(|s| raw::encode(&raw::client_delta(1, s)))
            .collect();
        let start = WallClock::now();
        for bytes in &frames {
            room.handle(SessionId(1), bytes);
            while let Some((to, out)) = room.out.pop_front() {
                black_box((to, out));
            }
        }
        total += start.elapsed();
        left -= n;
    }
    total
}

fn hub_path(c: &mut Criterion) {
    for subscribers in [1u64, 10, 100] {
        let mut g = c.benchmark_group(format!("hub/delta_path_64B/{subscribers}_subscriber"));
        g.throughput(Throughput::Elements(BATCH));
        g.bench_function("syncwire", |b| {
            b.iter_custom(|iters| run_syncwire(iters, subscribers))
        });
        g.bench_function("baseline", |b| {
            b.iter_custom(|iters| run_baseline(iters, subscribers))
        });
        g.finish();
    }
}

criterion_group!(benches, hub_path);
criterion_main!(benches);
