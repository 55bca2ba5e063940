//! Big documents (issue 18): one writer in an OR-set room grown to `elements`
//! elements, then writing one new element per delta at a steady rate, against the
//! same writer in a counter room (grown by as many deltas) at the same rate. Each run
//! has a syncwire server of its own, with redb storage (the production
//! configuration, every append fsynced before its ack) and the built-in CRDT
//! registry, so payloads are validated and compaction folds for real
//! (`--bigdoc-storage memory` takes the disk out, leaving the CPU cost alone). Figures of the
//! steady writes: acks/s (from the first steady send to the last ack) and p50 / p99
//! send → ack latency. The ratio is OR-set / counter: the target is 1 (a big state
//! costs the hub nothing per delta).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use syncwire_proto::crdt::{
    DeltaCrdt, GCounter, GCounterOp, OpContext, OrSet, OrSetOp, Value, join_all,
};
use syncwire_proto::wire::{ClientDelta, Frame, ReplicaId, RoomId};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

use crate::Kind;
use crate::conn::{self, BenchError};
use crate::server_proc::ServerProc;

/// The room of the runs.
const ROOM: &str = "bigdoc";
/// Elements per growth delta (≈ 120 KB encoded, under the 1 MiB frame limit).
const GROWTH_CHUNK: u64 = 10_000;
/// A writer that hears nothing for this long has lost its acks.
const IDLE: Duration = Duration::from_secs(20);

/// The document type of one run.
#[derive(Clone, Copy, Debug)]
pub enum Doc {
    /// An OR-set of integers, grown to the run's element count.
    OrSet,
    /// A grow-only counter (the baseline: its state is one entry).
    Counter,
}

/// What one run measured.
#[derive(Debug, Default)]
pub struct BigdocResult {
    /// Steady acks per second.
    pub acks_per_sec: f64,
    /// Send → ack of each steady delta, µs, sorted.
    pub latencies_us: Vec<u64>,
    /// Compactions the server reported at the end (`syncwire_compactions_total`).
    pub compactions: u64,
}

/// The deltas `ops` make, each prepared on the previous one (its context ends at
/// the replica's last dot), which is what a replica sends for fresh elements, in
/// linear time.
fn chain<C: DeltaCrdt>(prev: &mut C, ops: impl Iterator<Item = C::Op>) -> Vec<C> {
    let ctx = OpContext::new(ReplicaId(1), 1);
    ops.map(|op| {
        let d = prev.prepare(op, &ctx).expect("op applies");
        *prev = d.clone();
        d
    })
    .collect()
}

fn encode<C: DeltaCrdt>(d: &C) -> Bytes {
    Bytes::from(d.encode().expect("encodes"))
}

/// The growth deltas (`elements` elements in chunks; for the counter, as many
/// increments) and the `steady` deltas, encoded.
fn payloads(doc: Doc, elements: u64, steady: u64) -> (Vec<Bytes>, Vec<Bytes>) {
    let chunks = elements.div_ceil(GROWTH_CHUNK);
    match doc {
        Doc::OrSet => {
            let mut prev = OrSet::<Value>::default();
            let add = |i: u64| OrSetOp::Add(Value::Int(i as i64));
            let growth = (0..chunks)
                .map(|c| {
                    let end = ((c + 1) * GROWTH_CHUNK).min(elements);
                    encode(&join_all(chain(
                        &mut prev,
                        (c * GROWTH_CHUNK..end).map(add),
                    )))
                })
                .collect();
            let steady = chain(&mut prev, (elements..elements + steady).map(add));
            (growth, steady.iter().map(encode).collect())
        }
        Doc::Counter => {
            let mut prev = GCounter::default();
            let inc = |_| GCounterOp::Increment(1);
            let growth = chain(&mut prev, (0..chunks).map(inc));
            let steady = chain(&mut prev, (0..steady).map(inc));
            (
                growth.iter().map(encode).collect(),
                steady.iter().map(encode).collect(),
            )
        }
    }
}

fn tag(doc: Doc) -> &'static str {
    match doc {
        Doc::OrSet => OrSet::<Value>::TAG,
        Doc::Counter => GCounter::TAG,
    }
}

fn message(doc: Doc, seq: u64, payload: Bytes) -> Message {
    let frame = Frame::ClientDelta(ClientDelta {
        room: RoomId::new(ROOM),
        crdt: tag(doc).to_owned(),
        replica: ReplicaId(1),
        seq,
        payload,
    });
    Message::Binary(frame.encode().into())
}

/// A fresh data directory for one run's redb file.
fn data_dir() -> PathBuf {
    static RUN: AtomicUsize = AtomicUsize::new(0);
    let n = RUN.fetch_add(1, Relaxed);
    std::env::temp_dir().join(format!("syncwire-bigdoc-{}-{n}", std::process::id()))
}

/// One run: grow the room, then `rate` deltas per second for `secs` seconds; on
/// redb storage if `redb`, else in memory.
pub async fn run(
    doc: Doc,
    elements: u64,
    rate: u64,
    secs: u64,
    redb: bool,
) -> Result<BigdocResult, BenchError> {
    let steady = rate * secs;
    let (growth, steady_payloads) = payloads(doc, elements, steady);
    let grown = growth.len() as u64;
    let total = grown + steady;
    let dir = data_dir();
    let dir_arg = dir.to_string_lossy().into_owned();
    let args: &[&str] = if redb {
        &["--redb", &dir_arg, "--merge"]
    } else {
        &["--merge"]
    };
    let server = ServerProc::start_with(Kind::Syncwire, args).await?;
    let (ws, _) = conn::connect_typed(Kind::Syncwire, &server.url, 1, ROOM, tag(doc), None).await?;
    let (mut tx, mut rx) = ws.split();
    // Send time of each sequence (µs since the tool started), 0 until sent.
    let sent: Arc<Vec<AtomicU64>> = Arc::new((0..=total).map(|_| AtomicU64::new(0)).collect());
    let (acked_tx, mut acked_rx) = tokio::sync::watch::channel(0u64);
    let reader = {
        let sent = sent.clone();
        tokio::spawn(async move {
            let mut acked = 0u64;
            let mut lat = Vec::with_capacity(steady as usize);
            let mut last = Instant::now();
            while acked < total {
                let Ok(Some(Ok(msg))) = tokio::time::timeout(IDLE, rx.next()).await else {
                    break;
                };
                let Message::Binary(bytes) = msg else {
                    continue;
                };
                match Frame::decode(&bytes) {
                    Ok(Frame::Ack(a)) if a.seq > acked => {
                        let now = conn::now_us();
                        for s in acked + 1..=a.seq.min(total) {
                            if s > grown {
                                let at = sent[s as usize].load(Relaxed);
                                lat.push(now.saturating_sub(at));
                            }
                        }
                        acked = a.seq.min(total);
                        last = Instant::now();
                        let _ = acked_tx.send(acked);
                    }
                    Ok(Frame::Reject(r)) => return Err(format!("rejected: {r:?}")),
                    _ => {}
                }
            }
            Ok((acked, lat, last))
        })
    };
    for (i, p) in growth.into_iter().enumerate() {
        tx.send(message(doc, i as u64 + 1, p)).await?;
    }
    acked_rx
        .wait_for(|&a| a >= grown)
        .await
        .map_err(|_| "acks stopped during growth")?;
    let start = Instant::now();
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.max(1) as f64));
    for (i, p) in steady_payloads.into_iter().enumerate() {
        let seq = grown + i as u64 + 1;
        ticker.tick().await;
        sent[seq as usize].store(conn::now_us(), Relaxed);
        tx.send(message(doc, seq, p)).await?;
    }
    let (acked, mut latencies_us, last) = reader.await??;
    if acked < total {
        return Err(format!("{acked} of {total} deltas acked").into());
    }
    let compactions = compactions(&server.url).await.unwrap_or(0);
    let _ = tx.close().await;
    server.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
    latencies_us.sort_unstable();
    Ok(BigdocResult {
        acks_per_sec: steady as f64 / last.duration_since(start).as_secs_f64().max(1e-9),
        latencies_us,
        compactions,
    })
}

/// `syncwire_compactions_total` from the server's `/metrics` (HTTP/1.0 by hand: the
/// tool has no HTTP client).
async fn compactions(ws_url: &str) -> Result<u64, BenchError> {
    let host = ws_url
        .strip_prefix("ws://")
        .and_then(|r| r.split('/').next())
        .ok_or("bad url")?;
    let mut s = tokio::net::TcpStream::connect(host).await?;
    s.write_all(format!("GET /metrics HTTP/1.0\r\nHost: {host}\r\n\r\n").as_bytes())
        .await?;
    let mut body = String::new();
    s.read_to_string(&mut body).await?;
    body.lines()
        .find_map(|l| l.strip_prefix("syncwire_compactions_total "))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| "no syncwire_compactions_total".into())
}
