//! The `multinode` scenario: two syncwire nodes on one local Redis (shared-log mode,
//! `redis-server` with `appendfsync always` on a free 127.0.0.1 port and a temporary
//! directory, started and killed here), 100 subscribers split over the two nodes and
//! the publisher on the first, against the single-node server on redb in the same
//! run (the "baseline" column). Both run as deployed (`Kind::Durable`: the built-in
//! types, every append fsynced before its ack). Figures: fan-out deliveries/s at
//! full speed, and p50 / p99 send → receive at a paced rate. Each run gets a fresh
//! Redis (the room starts empty).

use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use crate::Kind;
use crate::conn::BenchError;
use crate::fanout::{self, Pace};
use crate::report::{Row, median, quantile, row};
use crate::server_proc::ServerProc;

/// Subscribers of every run, split over the nodes.
const SUBSCRIBERS: usize = 100;

/// A `redis-server` child in a temporary directory (both gone when dropped).
struct Redis {
    _child: Child,
    dir: std::path::PathBuf,
    url: String,
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Redis {
    async fn start() -> Result<Redis, BenchError> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let dir = std::env::temp_dir().join(format!(
            "syncwire-bench-redis-{}-{port}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir)?;
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .arg("--dir")
            .arg(&dir)
            .args([
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ])
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                format!("redis-server ({e}); install it (apt-get install redis-server)")
            })?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            if Instant::now() > deadline {
                return Err("redis-server did not listen".into());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(Redis {
            _child: child,
            dir,
            url: format!("redis://127.0.0.1:{port}/0"),
        })
    }
}

/// One run: the two nodes on a fresh Redis (index 0) or the single redb node (1).
async fn once(which: usize, deltas: u64, pace: Pace) -> Result<fanout::FanoutResult, BenchError> {
    let kind = Kind::Durable;
    if which == 1 {
        let server = ServerProc::start(kind).await?;
        let r = fanout::run(kind, &server, SUBSCRIBERS, deltas, pace).await?;
        server.stop().await;
        return Ok(r);
    }
    let redis = Redis::start().await?;
    let args = ["--redis", redis.url.as_str()];
    let a = ServerProc::start_with(kind, &args).await?;
    let b = ServerProc::start_with(kind, &args).await?;
    let r = fanout::run_split(kind, &[&a, &b], SUBSCRIBERS, deltas, pace).await?;
    a.stop().await;
    b.stop().await;
    drop(redis);
    Ok(r)
}

/// The scenario's rows: `rounds` alternating runs each, medians.
pub async fn run(
    rounds: usize,
    deliveries: u64,
    latency: (u64, u64),
) -> Result<Vec<Row>, BenchError> {
    let deltas = (deliveries / SUBSCRIBERS as u64).max(1);
    let mut rate = [Vec::new(), Vec::new()];
    let mut share = [Vec::new(), Vec::new()];
    let (rate_per_sec, secs) = latency;
    let per_sec = (rate_per_sec / SUBSCRIBERS as u64).max(1);
    let mut p = [[Vec::new(), Vec::new()], [Vec::new(), Vec::new()]];
    for _ in 0..rounds.max(1) {
        for which in 0..2 {
            let r = once(which, deltas, Pace::Full).await?;
            rate[which].push(r.delivered as f64 / r.elapsed.as_secs_f64().max(1e-9));
            share[which].push(r.delivered as f64 / r.expected.max(1) as f64);
            let r = once(which, per_sec * secs, Pace::PerSecond(per_sec)).await?;
            p[0][which].push(quantile(&r.latencies_us, 0.50));
            p[1][which].push(quantile(&r.latencies_us, 0.99));
        }
    }
    let sc = format!("multinode_{SUBSCRIBERS}");
    let lat = format!("multinode_latency_{SUBSCRIBERS}_at_{rate_per_sec}");
    let p = p.map(|q| q.map(median));
    Ok(vec![
        row(sc.clone(), "deliveries_per_sec", rate.map(median), "1/s"),
        row(sc, "delivered_share", share.map(median), "1"),
        row(lat.clone(), "p50", p[0], "us"),
        row(lat, "p99", p[1], "us"),
    ])
}
