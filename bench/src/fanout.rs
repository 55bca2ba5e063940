//! Fan-out: one publisher and N subscribers in one room, 64-byte deltas.
//! Throughput: the publisher sends as fast as the server takes them; the figure is
//! deliveries (deltas × subscribers) per second from the first send to the last
//! delivery. Latency: the publisher sends at a fixed delivery rate; the figures are
//! p50 / p99 of send → receive over every delivery.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::task::JoinSet;

use crate::Kind;
use crate::conn::{self, BenchError, ROOM};
use crate::server_proc::ServerProc;

/// What one fan-out run measured.
#[derive(Debug, Default)]
pub struct FanoutResult {
    /// Deliveries counted by all subscribers.
    pub delivered: u64,
    /// Deliveries owed (deltas × subscribers).
    pub expected: u64,
    /// From the first send to the last delivery.
    pub elapsed: Duration,
    /// Send → receive of each delivery, µs, sorted.
    pub latencies_us: Vec<u64>,
    /// The server's CPU time (user + system) over the same span as `elapsed`: the
    /// fan-out alone, without connecting and joining the subscribers before it.
    pub server_cpu_secs: f64,
}

/// How the publisher paces its deltas.
#[derive(Clone, Copy, Debug)]
pub enum Pace {
    /// As fast as the socket takes them.
    Full,
    /// This many deltas per second.
    PerSecond(u64),
}

/// Runs one fan-out: `subscribers` subscribers, `deltas` deltas at `pace`.
pub async fn run(
    kind: Kind,
    server: &ServerProc,
    subscribers: usize,
    deltas: u64,
    pace: Pace,
) -> Result<FanoutResult, BenchError> {
    run_split(kind, &[server], subscribers, deltas, pace).await
}

/// [`run`] over several nodes serving the same room: subscriber `i` on node
/// `i % n`, the publisher on the first; the CPU figure sums every node's.
pub async fn run_split(
    kind: Kind,
    servers: &[&ServerProc],
    subscribers: usize,
    deltas: u64,
    pace: Pace,
) -> Result<FanoutResult, BenchError> {
    let first = servers.first().ok_or("no server")?;
    let mut subs = Vec::with_capacity(subscribers);
    for i in 0..subscribers {
        let url = &servers[i % servers.len()].url;
        let (ws, _) = conn::connect(kind, url, 1000 + i as u64, ROOM, None).await?;
        subs.push(ws);
    }
    let (publisher, _) = conn::connect(kind, &first.url, 1, ROOM, None).await?;
    let (mut tx, mut rx) = publisher.split();
    // Drain the publisher's inbound side (acks, peer notices) so it never stalls.
    let drain = tokio::spawn(async move { while let Some(Ok(_)) = rx.next().await {} });
    // A subscriber that hears nothing for this long is done (the baseline drops
    // messages to full queues, so it may never count them all).
    let idle = Duration::from_secs(3);
    let mut tasks = JoinSet::new();
    for mut ws in subs {
        tasks.spawn(async move {
            let mut got = 0u64;
            let mut lat = Vec::with_capacity(deltas as usize);
            let mut last = Instant::now();
            while got < deltas {
                let Ok(Some(Ok(msg))) = tokio::time::timeout(idle, ws.next()).await else {
                    break;
                };
                got += conn::payloads(kind, &msg, |p| {
                    if let Some(sent) = conn::stamp_of(p) {
                        lat.push(conn::now_us().saturating_sub(sent));
                    }
                });
                last = Instant::now();
            }
            (got, lat, last)
        });
    }
    let cpu = || -> Result<f64, BenchError> {
        servers
            .iter()
            .map(|s| s.cpu_secs())
            .sum::<Result<f64, BenchError>>()
    };
    let cpu_start = cpu()?;
    let start = Instant::now();
    let mut ticker = match pace {
        Pace::Full => None,
        Pace::PerSecond(r) => Some(tokio::time::interval(Duration::from_secs_f64(
            1.0 / r as f64,
        ))),
    };
    for seq in 1..=deltas {
        if let Some(t) = ticker.as_mut() {
            t.tick().await;
            tx.send(conn::delta_message(kind, 1, seq)).await?;
        } else {
            tx.feed(conn::delta_message(kind, 1, seq)).await?;
        }
    }
    tx.flush().await?;
    let mut result = FanoutResult {
        expected: deltas * subscribers as u64,
        ..FanoutResult::default()
    };
    let mut end = start;
    while let Some(done) = tasks.join_next().await {
        let (got, lat, last) = done?;
        result.delivered += got;
        result.latencies_us.extend(lat);
        end = end.max(last);
    }
    result.server_cpu_secs = cpu()? - cpu_start;
    result.elapsed = end.duration_since(start);
    result.latencies_us.sort_unstable();
    let _ = tx.close().await;
    drain.abort();
    Ok(result)
}
