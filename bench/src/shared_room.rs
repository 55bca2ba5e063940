//! One shared room: `n` clients join the same room (100 joins in flight at a time)
//! and stay idle. Measures how long the joins take and what each idle member costs
//! the server — the workload of the systems users compare syncwire with (Socket.IO
//! and y-websocket put every client in one room), where membership notices are what
//! grows with `n` (PROTOCOL.md §3.12).

use std::time::{Duration, Instant};

use crate::Kind;
use crate::conn::{self, BenchError, Ws};
use crate::server_proc::ServerProc;

/// Joins in flight at once.
const CONCURRENCY: usize = 100;

/// What one shared-room run measured.
pub struct SharedRoom {
    /// Wall time from the first connect to the last `Joined`, in seconds.
    pub join_secs: f64,
    /// Server RSS growth per member once all are idle, in bytes.
    pub rss_per_conn: f64,
}

/// Runs `n` clients into one room on a fresh server of `kind`.
pub async fn run(kind: Kind, n: usize) -> Result<SharedRoom, BenchError> {
    raise_fd_limit(n)?;
    let server = ServerProc::start(kind).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = server.rss_bytes()?;
    let mut open: Vec<Ws> = Vec::with_capacity(n);
    let start = Instant::now();
    let mut next = 0usize;
    let mut set = tokio::task::JoinSet::new();
    while open.len() < n {
        while next < n && set.len() < CONCURRENCY {
            let url = server.url.clone();
            let replica = 50_000 + next as u64;
            set.spawn(async move { conn::connect(kind, &url, replica, "shared", None).await });
            next += 1;
        }
        match set.join_next().await {
            Some(r) => open.push(r??.0),
            None => break,
        }
    }
    let join_secs = start.elapsed().as_secs_f64();
    // Let the last membership notices (paced at 1 s in a summarised room) go out.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = server.rss_bytes()?;
    drop(open);
    server.stop().await;
    Ok(SharedRoom {
        join_secs,
        rss_per_conn: after.saturating_sub(before) as f64 / n as f64,
    })
}

/// Raises this process's open-file limit (inherited by the server child) so that
/// `n` connections fit in each of the two processes, up to the hard limit; fails with
/// a clear message when the hard limit is too low.
fn raise_fd_limit(n: usize) -> Result<(), BenchError> {
    let want = (n as u64).saturating_add(512);
    let (soft, hard) = rlimit::Resource::NOFILE.get()?;
    if soft >= want {
        return Ok(());
    }
    if hard < want {
        return Err(format!(
            "{n} connections need {want} open files, the hard limit is {hard} (raise it for this user)"
        )
        .into());
    }
    rlimit::Resource::NOFILE.set(want, hard)?;
    Ok(())
}
