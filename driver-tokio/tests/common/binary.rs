//! Runs the real `syncwire` binary as a child process (killed when dropped).

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::WAIT;

/// A running `syncwire serve` process.
pub struct Binary {
    pub child: Child,
    pub addr: SocketAddr,
}

impl Binary {
    /// Starts `syncwire serve --open` on a free 127.0.0.1 port with `extra` arguments.
    pub async fn start(data_dir: &Path, extra: &[&str]) -> Binary {
        Binary::start_on(data_dir, "127.0.0.1:0".parse().unwrap(), extra).await
    }

    /// Starts `syncwire serve --open` on `addr` (e.g. the port of a killed instance).
    /// The child gets none of this process's `SYNCWIRE_*` variables (settings).
    pub async fn start_on(data_dir: &Path, addr: SocketAddr, extra: &[&str]) -> Binary {
        let dir = data_dir.to_str().expect("a UTF-8 path");
        let args: Vec<&str> = ["--data-dir", dir].iter().chain(extra).copied().collect();
        Binary::start_args(addr, &args).await
    }

    /// Starts `syncwire serve --open` on `addr` with `args` (and no data dir).
    pub async fn start_args(addr: SocketAddr, args: &[&str]) -> Binary {
        let mut child = Binary::command(addr, args)
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn syncwire");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(WAIT, lines.next_line())
            .await
            .expect("server starts in time")
            .expect("read stdout")
            .expect("a listening line");
        let addr = line
            .strip_prefix("syncwire listening on ")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        Binary { child, addr }
    }

    /// `syncwire serve --open --addr addr <args>`, without the `SYNCWIRE_*` variables
    /// of this process.
    pub fn command(addr: SocketAddr, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_syncwire"));
        for (var, _) in std::env::vars().filter(|(k, _)| k.starts_with("SYNCWIRE_")) {
            command.env_remove(var);
        }
        command
            .args(["serve", "--open", "--addr"])
            .arg(addr.to_string())
            .args(args)
            .env("RUST_LOG", "error");
        command
    }

    /// The process id.
    pub fn pid(&self) -> i32 {
        self.child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .expect("running")
    }

    /// SIGKILL, then waits for the process to be gone.
    pub async fn kill_9(&mut self) {
        self.child.kill().await.expect("SIGKILL");
    }

    /// Resident set size in KiB, from /proc.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS")
    }
}
