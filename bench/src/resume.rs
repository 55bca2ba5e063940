//! Reconnect + resume: a subscriber's connection drops, a delta is published while
//! it is gone, and the subscriber reconnects with `Join{resume}` from the offset it
//! had reached. The figure is the time from the drop to that missed delta's
//! re-delivery. The baseline has no log and no resume (a missed message is lost):
//! its figure is the bare reconnect + join after the same drop, i.e. the floor that
//! any resume includes.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use syncwire_proto::wire::Position;

use crate::Kind;
use crate::conn::{self, BenchError, ROOM};
use crate::server_proc::ServerProc;

/// Runs `n` drop → publish → reconnect cycles; returns each one's time in µs, sorted.
pub async fn resume_times(kind: Kind, n: usize) -> Result<Vec<u64>, BenchError> {
    let server = ServerProc::start(kind).await?;
    let url = server.url.clone();
    let (publisher, _) = conn::connect(kind, &url, 1, ROOM, None).await?;
    let (mut ptx, mut prx) = publisher.split();
    let drain = tokio::spawn(async move { while let Some(Ok(_)) = prx.next().await {} });
    let (mut sub, joined) = conn::connect(kind, &url, 2, ROOM, None).await?;
    let epoch = joined.epoch;
    let mut next = joined.head;
    let mut times = Vec::with_capacity(n);
    for seq in 1..=n as u64 {
        let _ = sub.close(None).await;
        drop(sub);
        let start = Instant::now();
        ptx.send(conn::delta_message(kind, 1, seq)).await?;
        let resume = Some(Position {
            epoch,
            offset: next,
        });
        let (mut ws, _) = conn::connect(kind, &url, 2, ROOM, resume).await?;
        if kind != Kind::Baseline {
            let mut got = false;
            while !got {
                let wait = tokio::time::timeout(Duration::from_secs(10), ws.next()).await;
                let Ok(Some(Ok(msg))) = wait else {
                    return Err("missed delta not re-delivered within 10 s".into());
                };
                conn::deliveries(kind, &msg, |offset, _| {
                    if offset >= next {
                        next = offset + 1;
                        got = true;
                    }
                });
            }
        }
        times.push(u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX));
        sub = ws;
    }
    drop(sub);
    drain.abort();
    server.stop().await;
    times.sort_unstable();
    Ok(times)
}
