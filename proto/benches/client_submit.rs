//! Client bench: a local operation on a replica (what `Doc::apply` runs in every
//! driver) — a counter increment prepared, checked, queued and applied — and
//! `poll_output` of its encoded `ClientDelta` frame, on a replica joined to a room
//! of an in-memory hub. Each batch starts from a fresh joined replica (set-up not
//! timed) so the outbox of unacknowledged deltas never reaches its bound. Baseline
//! in the same run: a hand-written client bumping its entry in a map, encoding the
//! delta and the frame with raw ciborium + serde.
// `criterion_group!` generates undocumented public functions.
#![allow(missing_docs)]

mod support;

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant as WallClock};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use support::{World, raw};
use syncwire_proto::crdt::{GCounter, GCounterOp};
use syncwire_proto::replica::Output;
use syncwire_proto::wire::RoomId;

/// Operations applied on one replica before a fresh one is set up.
const CHUNK: u64 = 5_000;

fn apply(c: &mut Criterion) {
    let mut g = c.benchmark_group("client/apply_to_frame_counter");
    g.throughput(Throughput::Elements(1));
    g.bench_function("syncwire", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                let n = left.min(CHUNK);
                let mut world = World::new();
                let mut peer = world.join(1, CHUNK as usize + 16);
                let room = RoomId::new(support::ROOM);
                let now = world.now;
                let start = WallClock::now();
                for _ in 0..n {
                    let applied = peer
                        .replica
                        .apply::<GCounter>(now, 0, &room, GCounterOp::Increment(1))
                        .expect("apply");
                    black_box(applied);
                    let Some(Output::Transmit(frame)) = peer.replica.poll_output() else {
                        panic!("a frame first");
                    };
                    black_box(frame);
                    while peer.replica.poll_output().is_some() {}
                }
                total += start.elapsed();
                left -= n;
            }
            total
        })
    });
    g.bench_function("baseline", |b| {
        let mut counts = BTreeMap::new();
        let mut seq = 0u64;
        b.iter(|| {
            seq += 1;
            black_box(raw::counter_increment_frame(&mut counts, 1, seq))
        })
    });
    g.finish();
}

criterion_group!(benches, apply);
criterion_main!(benches);
