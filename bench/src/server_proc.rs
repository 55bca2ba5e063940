//! A server under test in a child process (`syncwire-bench serve <kind>`): its URL
//! and its resident memory. The child ends when this handle is dropped.

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::Kind;
use crate::conn::BenchError;

/// A running server child.
pub struct ServerProc {
    child: Child,
    pid: u32,
    /// The WebSocket URL to connect to.
    pub url: String,
}

impl ServerProc {
    /// Starts a server of `kind` and waits until it listens.
    pub async fn start(kind: Kind) -> Result<ServerProc, BenchError> {
        ServerProc::start_with(kind, &[]).await
    }

    /// [`ServerProc::start`] with extra `serve` arguments (`--redb <dir>`, `--merge`).
    pub async fn start_with(kind: Kind, extra: &[&str]) -> Result<ServerProc, BenchError> {
        let exe = std::env::current_exe()?;
        // Profiling hook: `SYNCWIRE_BENCH_WRAP="heaptrack -o /tmp/hp"` runs the server
        // child under that command (its RSS figures then include the wrapper's cost).
        let wrap = std::env::var("SYNCWIRE_BENCH_WRAP").unwrap_or_default();
        let mut words = wrap.split_whitespace();
        let mut command = match words.next() {
            Some(program) => {
                let mut c = Command::new(program);
                c.args(words).arg(exe);
                c
            }
            None => Command::new(exe),
        };
        let mut child = command
            .args(["serve", kind.name()])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let pid = child.id().ok_or("server exited at once")?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let line = lines
                .next_line()
                .await?
                .ok_or("server exited before listening")?;
            if let Some(addr) = line.strip_prefix("LISTENING ") {
                break addr.to_owned();
            }
        };
        let path = match kind {
            Kind::Syncwire | Kind::Durable => "/sync",
            Kind::Baseline => "/",
        };
        Ok(ServerProc {
            child,
            pid,
            url: format!("ws://{addr}{path}"),
        })
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The child's resident set size, in bytes (from /proc).
    pub fn rss_bytes(&self) -> Result<u64, BenchError> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))?;
        let kb = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .ok_or("no VmRSS")?;
        Ok(kb * 1024)
    }

    /// CPU time the child has used so far (user + system), in seconds, from
    /// /proc/<pid>/stat (clock ticks of 1/100 s, Linux's USER_HZ).
    pub fn cpu_secs(&self) -> Result<f64, BenchError> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid))?;
        // Fields after the parenthesised command name; utime and stime are 14 and 15.
        let rest = stat.rsplit_once(')').ok_or("bad stat")?.1;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let tick = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or("bad stat")
        };
        Ok((tick(11)? + tick(12)?) as f64 / 100.0)
    }

    /// Stops the child (closing its stdin ends it; kill if it lingers).
    pub async fn stop(mut self) {
        drop(self.child.stdin.take());
        let wait = tokio::time::timeout(std::time::Duration::from_secs(5), self.child.wait());
        if wait.await.is_err() {
            let _ = self.child.kill().await;
        }
    }
}
