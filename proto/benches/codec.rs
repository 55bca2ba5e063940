//! Wire codec benches: encode, decode and round trip of 64-byte delta frames
//! (`ClientDelta` and `HubDelta`), each beside a baseline in the same run — raw
//! ciborium + serde (with `serde_bytes`) on a tuple struct with the same fields,
//! which CBOR encodes as the same kind of array. See docs/BENCHMARKS.md.
// `criterion_group!` generates undocumented public functions.
#![allow(missing_docs)]

mod support;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde::{Deserialize, Serialize};
use support::{CRDT, ROOM, client_delta, payload, raw};
use syncwire_proto::wire::{Frame, HubDelta, ReplicaId, RoomId};

fn hub_delta() -> Frame {
    Frame::HubDelta(HubDelta {
        room: RoomId::new(ROOM),
        crdt: CRDT.to_owned(),
        epoch: 0xDEAD_BEEF,
        offset: 123_456,
        replica: ReplicaId(42),
        seq: 1_000_000,
        payload: payload(),
    })
}

fn bench_frame<R>(c: &mut Criterion, name: &str, frame: Frame, raw: R)
where
    R: Serialize + for<'de> Deserialize<'de>,
{
    let bytes = frame.encode();
    let raw_bytes = raw::encode(&raw);
    let mut g = c.benchmark_group(format!("codec/{name}_64B"));
    g.throughput(Throughput::Elements(1));
    g.bench_function("syncwire/encode", |b| b.iter(|| black_box(&frame).encode()));
    g.bench_function("baseline/encode", |b| {
        b.iter(|| raw::encode(black_box(&raw)))
    });
    g.bench_function("syncwire/decode", |b| {
        b.iter(|| Frame::decode(black_box(&bytes)).expect("decode"))
    });
    g.bench_function("baseline/decode", |b| {
        b.iter(|| raw::decode::<R>(black_box(&raw_bytes)))
    });
    g.bench_function("syncwire/round_trip", |b| {
        b.iter(|| Frame::decode(&black_box(&frame).encode()).expect("decode"))
    });
    g.bench_function("baseline/round_trip", |b| {
        b.iter(|| raw::decode::<R>(&raw::encode(black_box(&raw))))
    });
    g.finish();
}

fn codec(c: &mut Criterion) {
    bench_frame(
        c,
        "client_delta",
        client_delta(42, 1_000_000),
        raw::client_delta(42, 1_000_000),
    );
    bench_frame(c, "hub_delta", hub_delta(), raw::hub_delta());
}

criterion_group!(benches, codec);
criterion_main!(benches);
