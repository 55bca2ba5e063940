//! Client bench: `submit` of a 64-byte delta → `poll_transmit` of its encoded
//! `ClientDelta` frame, on a client joined to a room of an in-memory hub. Each
//! batch starts from a fresh joined client (set-up not timed) so the outbox of
//! unacknowledged deltas never reaches its bound. Baseline in the same run: build
//! the equivalent struct and encode it with raw ciborium + serde.
// `criterion_group!` generates undocumented public functions.
#![allow(missing_docs)]

mod support;

use std::hint::black_box;
use std::time::{Duration, Instant as WallClock};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use support::{World, payload, raw};
use syncwire_proto::wire::RoomId;

/// Deltas submitted on one client before a fresh one is set up.
const CHUNK: u64 = 5_000;

fn submit(c: &mut Criterion) {
    let mut g = c.benchmark_group("client/submit_to_frame_64B");
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
                let body = payload();
                let now = world.now;
                let start = WallClock::now();
                for _ in 0..n {
                    let seq = peer
                        .client
                        .submit(now, &room, body.clone())
                        .expect("submit");
                    black_box(seq);
                    let frame = peer.client.poll_transmit().expect("a frame");
                    black_box(frame);
                }
                total += start.elapsed();
                left -= n;
            }
            total
        })
    });
    g.bench_function("baseline", |b| {
        let mut seq = 0u64;
        b.iter(|| {
            seq += 1;
            let delta = raw::client_delta(1, seq);
            black_box(raw::encode(&delta))
        })
    });
    g.finish();
}

criterion_group!(benches, submit);
criterion_main!(benches);
