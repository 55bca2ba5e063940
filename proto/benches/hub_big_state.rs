//! Hub bench, issue 18: the hub's per-delta cost against the size of the room's
//! state. One writer and one subscriber in a room whose snapshot holds 1,000,
//! 10,000 or 100,000 elements (OR-set of integers, map of integer registers); each
//! delta adds one element. Per delta: `handle_frame` (decode, dedupe, validate the
//! payload against the type with the built-in `Registry`) → `Append` (MemoryStorage)
//! → `handle_storage` → Ack + `HubDelta` → `handle_flushed`, and every
//! `max_tail_entries / 4` deltas the compaction: the tail is trimmed and a `Fold` is
//! asked of storage, whose completion the hub adopts. The fold itself runs in storage
//! (a server's storage worker thread, not the hub task), so its execution is not
//! timed — only what the hub does is. Baseline in the same run: the same path in a
//! `gcounter` room (a state of one entry). Flat means: the ratio to the counter does
//! not grow with the state.
// `criterion_group!` generates undocumented public functions.
#![allow(missing_docs)]

mod support;

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant as WallClock};

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use support::hub_config;
use syncwire_proto::Instant;
use syncwire_proto::crdt::{
    DeltaCrdt, GCounter, GCounterOp, MapOp, OpContext, OrMap, OrSet, OrSetOp, Registry, Value,
    join_all,
};
use syncwire_proto::hub::{
    Hub, HubOutput, MemoryStorage, OpId, StorageAction, StorageCompletion, StoredEntry,
};
use syncwire_proto::wire::{
    ClientDelta, Frame, Hello, Join, ReplicaId, RoomId, SUPPORTED_VERSIONS, SessionId,
};

const ROOM: &str = "big";
/// Deltas per timed iteration.
const BATCH: u64 = 100;
/// Deltas fed to one hub before a fresh one is loaded from the template storage.
const CHUNK: u64 = 50_000;
/// The writer's replica id.
const WRITER: u64 = 1;

/// A type under test: its tag, a state of `n` elements, and the writer's deltas.
trait Subject {
    const TAG: &'static str;
    /// The encoded state of `n` elements, as two halves (a first snapshot folds two
    /// entries).
    fn halves(n: u64) -> (Vec<u8>, Vec<u8>);
    /// The writer's `count` deltas (one element each), encoded.
    fn deltas(count: u64) -> Vec<Vec<u8>>;
}

fn ctx(replica: u64) -> OpContext {
    OpContext::new(ReplicaId(replica), 1)
}

/// The deltas of `ops` applied in turn by `replica`. Each is prepared on the
/// previous delta (whose context ends at the replica's last dot), not on the whole
/// state: the ops add fresh elements, so the deltas are those of a real replica,
/// and building 100,000 of them stays linear.
fn chain<C: DeltaCrdt>(replica: u64, ops: impl Iterator<Item = C::Op>) -> Vec<C> {
    let mut prev = C::default();
    ops.map(|op| {
        let d = prev.prepare(op, &ctx(replica)).expect("op applies");
        prev = d.clone();
        d
    })
    .collect()
}

/// A state of `ops` applied by replica 9, encoded as two halves.
fn build<C: DeltaCrdt>(ops: impl Iterator<Item = C::Op>) -> (Vec<u8>, Vec<u8>) {
    let mut deltas = chain::<C>(9, ops);
    let second = deltas.split_off(deltas.len() / 2);
    let enc = |d: Vec<C>| join_all(d).encode().expect("encodes");
    (enc(deltas), enc(second))
}

fn deltas_of<C: DeltaCrdt>(ops: impl Iterator<Item = C::Op>) -> Vec<Vec<u8>> {
    chain::<C>(WRITER, ops)
        .iter()
        .map(|d| d.encode().expect("encodes"))
        .collect()
}

struct Set;
impl Subject for Set {
    const TAG: &'static str = "orset";
    fn halves(n: u64) -> (Vec<u8>, Vec<u8>) {
        build::<OrSet<Value>>((0..n).map(|i| OrSetOp::Add(Value::Int(i as i64))))
    }
    fn deltas(count: u64) -> Vec<Vec<u8>> {
        deltas_of::<OrSet<Value>>((0..count).map(|i| OrSetOp::Add(Value::Int(-1 - i as i64))))
    }
}

struct Map;
impl Subject for Map {
    const TAG: &'static str = "map";
    fn halves(n: u64) -> (Vec<u8>, Vec<u8>) {
        build::<OrMap>((0..n).map(|i| MapOp::set(format!("k{i}"), Value::Int(i as i64))))
    }
    fn deltas(count: u64) -> Vec<Vec<u8>> {
        deltas_of::<OrMap>((0..count).map(|i| MapOp::set(format!("w{i}"), Value::Int(1))))
    }
}

struct Counter;
impl Subject for Counter {
    const TAG: &'static str = "gcounter";
    fn halves(_: u64) -> (Vec<u8>, Vec<u8>) {
        build::<GCounter>((0..2).map(|_| GCounterOp::Increment(1)))
    }
    fn deltas(count: u64) -> Vec<Vec<u8>> {
        deltas_of::<GCounter>((0..count).map(|_| GCounterOp::Increment(1)))
    }
}

/// A storage holding room [`ROOM`] of type `S` with a snapshot of `n` elements.
fn template<S: Subject>(n: u64) -> MemoryStorage {
    let mut storage = MemoryStorage::new();
    let room = RoomId::new(ROOM);
    let (a, b) = S::halves(n);
    let entry = |offset, payload: Vec<u8>| StoredEntry {
        offset,
        replica: ReplicaId(9),
        seq: offset + 1,
        payload: Bytes::from(payload),
    };
    let actions = [
        StorageAction::Create {
            op: OpId(1),
            room: room.clone(),
            crdt: S::TAG.to_owned(),
            epoch: 1,
        },
        StorageAction::Append {
            op: OpId(2),
            room: room.clone(),
            epoch: 1,
            entries: vec![entry(0, a), entry(1, b)],
        },
        StorageAction::Fold {
            op: OpId(3),
            room: room.clone(),
            epoch: 1,
            to: 2,
        },
    ];
    for action in actions {
        let done = storage.execute(action);
        assert!(
            !matches!(
                done,
                StorageCompletion::Created { result: Err(_), .. }
                    | StorageCompletion::Appended { result: Err(_), .. }
                    | StorageCompletion::Folded {
                        result: Err(_) | Ok(None),
                        ..
                    }
            ),
            "{done:?}"
        );
    }
    storage
}

/// Runs the hub until quiet; storage actions execute at once. Returns the time
/// spent executing folds (storage work, excluded from the hub's figure) and the
/// frames the subscriber got.
fn drive(
    hub: &mut Hub,
    storage: &mut MemoryStorage,
    now: Instant,
    sub: SessionId,
) -> (Duration, u64) {
    let mut folds = Duration::ZERO;
    let mut delivered = 0;
    while let Some(output) = hub.poll_output() {
        match output {
            HubOutput::Storage(action) => {
                let is_fold = matches!(action, StorageAction::Fold { .. });
                let t = WallClock::now();
                let done = storage.execute(action);
                if is_fold {
                    folds += t.elapsed();
                }
                hub.handle_storage(now, done);
            }
            HubOutput::Transmit { session, frames } => {
                for out in frames {
                    hub.handle_flushed(session, out.len());
                    delivered += u64::from(session == sub);
                    black_box(out);
                }
            }
            HubOutput::Close { session, code } => panic!("hub closed {session:?} {code}"),
            HubOutput::Auth(_) | HubOutput::Publish(_) | HubOutput::Event(_) => {}
        }
    }
    (folds, delivered)
}

/// Opens a session for `replica` and joins [`ROOM`] as type `tag`.
fn join(
    hub: &mut Hub,
    storage: &mut MemoryStorage,
    now: Instant,
    replica: u64,
    tag: &str,
) -> SessionId {
    let sid = hub.handle_session_opened(now);
    let hello = Frame::Hello(Hello {
        versions: SUPPORTED_VERSIONS.to_vec(),
        replica: ReplicaId(replica),
        token: None,
        user_info: None,
    });
    hub.handle_frame(now, sid, &hello.encode());
    let j = Frame::Join(Join {
        room: RoomId::new(ROOM),
        crdt: tag.to_owned(),
        resume: None,
    });
    hub.handle_frame(now, sid, &j.encode());
    drive(hub, storage, now, SessionId(u64::MAX));
    sid
}

/// Hub time for `iters` batches of deltas in a room of type `S` loaded from `tpl`.
fn run<S: Subject>(tpl: &MemoryStorage, iters: u64, folds_out: &mut (Duration, u64)) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters * BATCH;
    while left > 0 {
        let n = left.min(CHUNK);
        let now = Instant::from_millis(1);
        let mut storage = tpl.clone();
        let mut config = hub_config();
        config.merger = Arc::new(Registry::with_builtin());
        let mut hub = Hub::new(config, Instant::ZERO).expect("valid hub config");
        let writer = join(&mut hub, &mut storage, now, WRITER, S::TAG);
        let sub = join(&mut hub, &mut storage, now, 2, S::TAG);
        // Encoded before the timing, kept until after it.
        let frames: Vec<Vec<u8>> = S::deltas(n)
            .into_iter()
            .zip(1..)
            .map(|(payload, seq)| {
                Frame::ClientDelta(ClientDelta {
                    room: RoomId::new(ROOM),
                    crdt: S::TAG.to_owned(),
                    replica: ReplicaId(WRITER),
                    seq,
                    payload: Bytes::from(payload),
                })
                .encode()
            })
            .collect();
        let (mut folds, mut delivered) = (Duration::ZERO, 0);
        let start = WallClock::now();
        for bytes in &frames {
            hub.handle_frame(now, writer, bytes);
            let (f, d) = drive(&mut hub, &mut storage, now, sub);
            folds += f;
            delivered += d;
        }
        total += start.elapsed().saturating_sub(folds);
        assert_eq!(delivered, n, "every delta reaches the subscriber");
        let max_tail = hub.config().max_tail_entries as u64;
        assert!(
            hub.metrics().compactions > 0 || n <= max_tail,
            "compaction ran"
        );
        folds_out.0 += folds;
        folds_out.1 += hub.metrics().compactions;
        left -= n;
    }
    total
}

/// Benches type `S` at each size; `label` names the runs (the sizes by default).
fn bench<S: Subject>(c: &mut Criterion, sizes: &[u64], label: Option<&str>) {
    for &n in sizes {
        let tpl = template::<S>(n);
        let mut g = c.benchmark_group(format!("hub/big_state/{}", S::TAG));
        g.throughput(Throughput::Elements(BATCH));
        g.sample_size(10);
        let mut folds = (Duration::ZERO, 0u64);
        let name = label.map_or_else(|| n.to_string(), str::to_owned);
        g.bench_function(name, |b| {
            b.iter_custom(|iters| run::<S>(&tpl, iters, &mut folds))
        });
        g.finish();
        if folds.1 > 0 {
            // Storage-side work, for the record (not the hub's).
            println!(
                "  {} {n}: storage fold {:.2} ms each ({} folds)",
                S::TAG,
                folds.0.as_secs_f64() * 1e3 / folds.1 as f64,
                folds.1
            );
        }
    }
}

fn hub_big_state(c: &mut Criterion) {
    // The baseline runs first and last, so drift during the run shows.
    bench::<Counter>(c, &[1], Some("baseline_first"));
    bench::<Set>(c, &[1_000, 10_000, 100_000], None);
    bench::<Map>(c, &[1_000, 10_000, 100_000], None);
    bench::<Counter>(c, &[1], Some("baseline_last"));
}

criterion_group!(benches, hub_big_state);
criterion_main!(benches);
