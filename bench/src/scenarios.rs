//! Connection scenarios: memory per idle connection, and connection establishment
//! (connect + handshake + join) latency.

use std::time::{Duration, Instant};

use crate::Kind;
use crate::conn::{self, BenchError, Ws};
use crate::server_proc::ServerProc;

/// Opens `n` idle connections (each handshaken and joined to a room of its own,
/// 100 at a time) and returns the server's RSS growth per connection, in bytes.
pub async fn idle_memory(kind: Kind, n: usize) -> Result<f64, BenchError> {
    let server = ServerProc::start(kind).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = server.rss_bytes()?;
    let mut open: Vec<Ws> = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(100) {
        let mut set = tokio::task::JoinSet::new();
        for &i in chunk {
            let url = server.url.clone();
            set.spawn(async move {
                let room = format!("idle-{i}");
                conn::connect(kind, &url, 10_000 + i as u64, &room, None).await
            });
        }
        while let Some(r) = set.join_next().await {
            open.push(r??.0);
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = server.rss_bytes()?;
    // Profiling hook: keep the connections open this long after measuring (e.g. to
    // attach a debugger and print the allocator's statistics).
    if let Some(secs) = std::env::var("SYNCWIRE_BENCH_HOLD_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        eprintln!(
            "holding {n} idle connections to server pid {} for {secs} s",
            server.pid()
        );
        tokio::time::sleep(Duration::from_secs(secs)).await;
    }
    drop(open);
    server.stop().await;
    Ok(after.saturating_sub(before) as f64 / n as f64)
}

/// Opens `n` connections one after another and returns each one's connect +
/// handshake + join time, in µs, sorted.
pub async fn connect_times(kind: Kind, n: usize) -> Result<Vec<u64>, BenchError> {
    let server = ServerProc::start(kind).await?;
    let mut open = Vec::with_capacity(n);
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let start = Instant::now();
        let room = format!("conn-{i}");
        let (ws, _) = conn::connect(kind, &server.url, 20_000 + i as u64, &room, None).await?;
        times.push(u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX));
        open.push(ws);
    }
    drop(open);
    server.stop().await;
    times.sort_unstable();
    Ok(times)
}
