//! Tests' own `redis-server`: started on 127.0.0.1, a free port and a directory of
//! the test's, with the AOF fsynced on every write; ready once it answers `PING`
//! (polled, bounded); killed by PID (SIGKILL) on drop. A missing `redis-server`
//! fails the test with a message saying how to install it.
//!
//! Shared with driver-tokio's tests (`tests/common/mod.rs` includes this file by
//! path), so each user calls only part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `redis-server` of a test.
pub(crate) struct RedisServer {
    child: Child,
    port: u16,
    dir: PathBuf,
}

/// How long a `redis-server` may take to answer `PING`.
const READY_WITHIN: Duration = Duration::from_secs(20);

impl RedisServer {
    /// Starts one with `appendonly yes`, `appendfsync always` in `dir` on a free port.
    pub(crate) fn start(dir: &Path) -> RedisServer {
        Self::start_with(dir, Self::free_port(), &["--appendfsync", "always"])
    }

    /// A port free on 127.0.0.1 (the OS's pick).
    pub(crate) fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port on 127.0.0.1")
            .port()
    }

    /// Starts one in `dir` on `port` with `extra` settings (after the defaults).
    pub(crate) fn start_with(dir: &Path, port: u16, extra: &[&str]) -> RedisServer {
        let mut cmd = Command::new("redis-server");
        cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .arg("--dir")
            .arg(dir)
            .args(["--appendonly", "yes", "--save", "", "--daemonize", "no"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => panic!(
                "cannot start redis-server ({e}): the Redis backend tests need it on PATH; \
                 install it with `apt-get install -y redis-server` (scripts/test does)"
            ),
        };
        let mut server = RedisServer {
            child,
            port,
            dir: dir.to_owned(),
        };
        server.wait_ready();
        server
    }

    fn wait_ready(&mut self) {
        let client = redis::Client::open(self.url()).expect("a valid url");
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            let pong = client
                .get_connection_with_timeout(Duration::from_millis(200))
                .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c));
            if pong.is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("redis-server on port {} exited: {status}", self.port);
            }
            assert!(
                Instant::now() < deadline,
                "redis-server did not answer PING"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// `redis://127.0.0.1:<port>/0`.
    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Its port.
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// Kills it with SIGKILL (by PID) and starts it again on the same port and
    /// directory (it reloads the AOF).
    pub(crate) fn kill_and_restart(mut self) -> RedisServer {
        self.kill();
        self.restart()
    }

    /// Starts it again (after [`RedisServer::kill`]) on the same port and directory.
    pub(crate) fn restart(&self) -> RedisServer {
        RedisServer::start_with(&self.dir, self.port, &["--appendfsync", "always"])
    }

    /// SIGKILL by PID, and waits for the process to be gone.
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
