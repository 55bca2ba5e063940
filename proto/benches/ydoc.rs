//! `ydoc` bench, issue 22: a text document built by steady typing (one writer
//! appending, a second one editing in the middle now and then) to 1,000, 10,000 and
//! 100,000 characters; then one more keystroke's update. Per update, each beside the
//! same work done through yrs directly in the same run:
//!
//! * `validate`: the hub's payload check (`Registry::validate`: bounded scan +
//!   `Update::decode_v1`) vs `Update::decode_v1` alone;
//! * `apply`: a replica merging the remote update (`Document::apply_remote`) vs
//!   `TransactionMut::apply_update` on a `yrs::Doc` holding the same state;
//! * `fold64`: the hub's compaction of 64 logged updates into the snapshot
//!   (`Registry::merge_many`), vs decode snapshot + apply 64 updates + encode in yrs;
//! * `local`: a local keystroke through `Document::apply_local` (which prepares on a
//!   copy of the document) vs a yrs transaction (no copy).
//!
//! Update and snapshot sizes are printed once per size. See docs/BENCHMARKS.md.
// `criterion_group!` generates undocumented public functions.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use syncwire_proto::crdt::{DeltaCrdt, DeltaMerger, Document, Registry, YDoc, YOp};
use syncwire_proto::wire::ReplicaId;
use yrs::updates::decoder::Decode;
use yrs::{Doc, GetString, ReadTxn, StateVector, Text, Transact, Update, WriteTxn};

/// Builds a document of `chars` characters by steady typing: client 1 appends ten
/// characters per update; every 50th update client 2 inserts five characters in the
/// middle and deletes two. Returns the writer's doc and the state.
fn typed(chars: usize) -> (Doc, Vec<u8>) {
    let a = Doc::with_client_id(1);
    let b = Doc::with_client_id(2);
    let mut i = 0usize;
    loop {
        let len = {
            let txn = a.transact();
            txn.get_text("t").map(|t| t.len(&txn)).unwrap_or(0)
        };
        if len as usize >= chars {
            break;
        }
        let up = {
            let mut txn = a.transact_mut();
            let t = txn.get_or_insert_text("t");
            t.insert(&mut txn, len, "abcdefghij");
            txn.encode_update_v1()
        };
        b.transact_mut()
            .apply_update(Update::decode_v1(&up).unwrap())
            .unwrap();
        if i % 50 == 49 {
            let up = {
                let mut txn = b.transact_mut();
                let t = txn.get_or_insert_text("t");
                let at = (i * 7919) as u32 % len.max(1);
                t.insert(&mut txn, at, "XYZWV");
                t.remove_range(&mut txn, at / 2, 2);
                txn.encode_update_v1()
            };
            a.transact_mut()
                .apply_update(Update::decode_v1(&up).unwrap())
                .unwrap();
        }
        i += 1;
    }
    let state = a
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    (a, state)
}

/// The next `n` keystrokes of the writer, one update each.
fn keystrokes(writer: &Doc, n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|_| {
            let mut txn = writer.transact_mut();
            let t = txn.get_or_insert_text("t");
            let len = t.len(&txn);
            t.insert(&mut txn, len, "k");
            txn.encode_update_v1()
        })
        .collect()
}

fn yrs_doc(state: &[u8]) -> Doc {
    let d = Doc::with_client_id(9);
    d.transact_mut()
        .apply_update(Update::decode_v1(state).unwrap())
        .unwrap();
    d
}

fn bench_size(c: &mut Criterion, chars: usize) {
    let (writer, state) = typed(chars);
    let updates = keystrokes(&writer, 64);
    let one = updates[0].clone();
    let registry = Registry::with_builtin();
    let folded = registry
        .merge_many(
            "ydoc",
            &state,
            &updates.iter().map(Vec::as_slice).collect::<Vec<_>>(),
        )
        .unwrap()
        .unwrap();
    let text_len = YDoc::decode(&folded).unwrap().text("t").chars().count();
    println!(
        "ydoc/{chars}: snapshot {} bytes, keystroke update {} bytes, after 64: {} chars, snapshot {} bytes",
        state.len(),
        one.len(),
        text_len,
        folded.len()
    );
    let mut g = c.benchmark_group(format!("ydoc/{chars}"));
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));

    g.bench_function("syncwire/validate", |b| {
        b.iter(|| registry.validate("ydoc", black_box(&one)).unwrap())
    });
    g.bench_function("yrs/decode", |b| {
        b.iter(|| Update::decode_v1(black_box(&one)).unwrap())
    });

    let mut template = Document::<YDoc>::new(ReplicaId(9));
    template.reset_to_snapshot(Some(&state)).unwrap();
    g.bench_function("syncwire/apply", |b| {
        b.iter_batched_ref(
            || template.clone(),
            |d| d.apply_remote(black_box(&one)).unwrap(),
            BatchSize::LargeInput,
        )
    });
    g.bench_function("yrs/apply", |b| {
        b.iter_batched_ref(
            || yrs_doc(&state),
            |d| {
                d.transact_mut()
                    .apply_update(Update::decode_v1(black_box(&one)).unwrap())
                    .unwrap()
            },
            BatchSize::LargeInput,
        )
    });

    let refs: Vec<&[u8]> = updates.iter().map(Vec::as_slice).collect();
    g.bench_function("syncwire/fold64", |b| {
        b.iter(|| {
            registry
                .merge_many("ydoc", black_box(&state), &refs)
                .unwrap()
        })
    });
    g.bench_function("yrs/fold64", |b| {
        b.iter(|| {
            let d = yrs_doc(black_box(&state));
            for u in &updates {
                d.transact_mut()
                    .apply_update(Update::decode_v1(u).unwrap())
                    .unwrap();
            }
            d.transact()
                .encode_state_as_update_v1(&StateVector::default())
        })
    });

    let mut local = Document::<YDoc>::new(ReplicaId(1));
    local.reset_to_snapshot(Some(&state)).unwrap();
    let end = local.state().text("t").chars().count();
    g.bench_function("syncwire/local", |b| {
        b.iter_batched_ref(
            || local.clone(),
            |d| d.apply_local(YOp::insert_text("t", end, "k"), 0).unwrap(),
            BatchSize::LargeInput,
        )
    });
    g.bench_function("yrs/local", |b| {
        b.iter_batched_ref(
            || yrs_doc(&state),
            |d| {
                let mut txn = d.transact_mut();
                let t = txn.get_or_insert_text("t");
                let s = t.get_string(&txn);
                let at = s.encode_utf16().count() as u32;
                t.insert(&mut txn, at, "k");
                txn.encode_update_v1()
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

fn ydoc(c: &mut Criterion) {
    for chars in [1_000, 10_000, 100_000] {
        bench_size(c, chars);
    }
}

criterion_group!(benches, ydoc);
criterion_main!(benches);
