//! Decoding a large CRDT payload in canonical (ascending) and hostile
//! (descending, shuffled) order: a ~1 MiB multi-value register of ~174,000 entries
//! (three dots per replica, so its context has a vector entry and two cloud dots per
//! replica), validated as the hub validates a delta (`Registry::validate`: the
//! structural pre-scan, then decoding). The register's entries and context are sorted
//! vectors built by one sort; a construction by repeated inserts would make the
//! descending row quadratic (hundreds of GB of moves), not a small factor slower.
//! See driver-wasm/README.md ("Bundle size") and docs/BENCHMARKS.md.
// `criterion_group!` generates undocumented public functions.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use syncwire_proto::crdt::{Registry, Value, codec};

/// Entries of the payload: six bytes each (`[replica, counter, value]` with a
/// two-byte replica, one-byte counter and value), about 1 MiB in all.
const ENTRIES: u64 = 174_000;

type Entry = (u64, u64, Value);
/// A causal context's encoding: version vector and dot cloud.
type Context = (Vec<(u64, u64)>, Vec<(u64, u64)>);

fn entry(i: u64) -> Entry {
    (i / 3 + 1, (i % 3) * 2 + 1, Value::Int((i % 24) as i64))
}

fn payload(entries: &[Entry]) -> Vec<u8> {
    let cc: Context = (vec![], vec![]);
    codec::encode("mvreg", &(entries, cc)).expect("encodes")
}

fn decode_mvreg(c: &mut Criterion) {
    let ascending: Vec<Entry> = (0..ENTRIES).map(entry).collect();
    let mut descending = ascending.clone();
    descending.reverse();
    // A deterministic shuffle (xorshift).
    let mut shuffled = ascending.clone();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in (1..shuffled.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        shuffled.swap(i, (x % (i as u64 + 1)) as usize);
    }
    let registry = Registry::with_builtin();
    let mut g = c.benchmark_group("crdt/decode_mvreg_1MiB");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    for (name, entries) in [
        ("ascending", &ascending),
        ("descending", &descending),
        ("shuffled", &shuffled),
    ] {
        let bytes = payload(entries);
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                registry
                    .validate("mvreg", black_box(&bytes))
                    .expect("validates")
            })
        });
    }
    g.finish();
}

criterion_group!(benches, decode_mvreg);
criterion_main!(benches);
