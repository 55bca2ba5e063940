//! The real `syncwire` binary configured through all three layers at once: a config
//! file, the child's environment (set on the child only, never on this process) and
//! flags; the flag wins over env, env over the file. `/metrics` on its own listener
//! behind a bearer token from the environment; the main listener does not serve it.
//! The child is stopped by its PID (SIGTERM), every wait is bounded.
#![cfg(all(feature = "client", feature = "cli"))]

mod common;

use std::net::SocketAddr;
use std::process::Stdio;

use common::{Client, WAIT, http_get, http_get_with};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use syncwire_tokio::proto::wire::{Frame, Hello, ReplicaId};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

/// The address after `prefix` on the next stdout line.
async fn addr_line(
    lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    prefix: &str,
) -> SocketAddr {
    let line = tokio::time::timeout(WAIT, lines.next_line())
        .await
        .expect("line in time")
        .expect("stdout")
        .expect("a line");
    line.strip_prefix(prefix)
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("unexpected line {line:?}"))
}

#[tokio::test]
async fn file_env_and_flags_layer_and_metrics_go_to_their_own_listener() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("syncwire.toml");
    let config = "memory = true\nopen = true\nmax_rooms = 3\nheartbeat_ms = 2000\n\
                  max_presence_bytes = 100\nmetrics_addr = \"127.0.0.1:0\"\n";
    std::fs::write(&file, config).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_syncwire"));
    for (var, _) in std::env::vars().filter(|(k, _)| k.starts_with("SYNCWIRE_")) {
        command.env_remove(var);
    }
    let mut child = command
        .args(["serve", "--addr", "127.0.0.1:0", "--max-rooms", "7"])
        .env("SYNCWIRE_CONFIG", &file)
        .env("SYNCWIRE_MAX_ROOMS", "5")
        .env("SYNCWIRE_MAX_PRESENCE_BYTES", "200")
        .env("SYNCWIRE_METRICS_TOKEN", "m3trics")
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn syncwire");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = addr_line(&mut lines, "syncwire listening on ").await;
    let metrics = addr_line(&mut lines, "syncwire metrics on ").await;

    let mut c = Client::connect(addr).await;
    c.send(&Frame::Hello(Hello {
        versions: syncwire_proto::wire::SUPPORTED_VERSIONS.to_vec(),
        replica: ReplicaId(1),
        token: None,
        user_info: None,
    }))
    .await;
    let w = c
        .expect(|f| match f {
            Frame::Welcome(w) => Some(w.clone()),
            _ => None,
        })
        .await;
    assert_eq!(w.limits.max_rooms, 7, "the flag wins");
    assert_eq!(w.limits.max_presence_bytes, 200, "env wins over the file");
    assert_eq!(w.heartbeat_ms, 2000, "the file wins over the default");
    drop(c);

    assert_eq!(http_get(addr, "/metrics").await.0, 404);
    assert_eq!(http_get(metrics, "/metrics").await.0, 401);
    let bearer = "Authorization: Bearer m3trics\r\n";
    let (status, body) = http_get_with(metrics, "/metrics", bearer).await;
    assert_eq!(status, 200);
    assert!(body.contains("syncwire_connections_total"), "{body}");

    let pid = Pid::from_raw(i32::try_from(child.id().unwrap()).unwrap());
    kill(pid, Signal::SIGTERM).unwrap();
    let status = tokio::time::timeout(WAIT * 2, child.wait())
        .await
        .expect("exits in time")
        .unwrap();
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn an_unknown_key_in_the_config_file_stops_the_binary_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("syncwire.toml");
    std::fs::write(&file, "open = true\nmax_room = 3\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_syncwire"))
        .args(["serve", "--memory", "--print-config", "--config"])
        .arg(&file)
        .output();
    let out = tokio::time::timeout(WAIT, out).await.unwrap().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown setting `max_room`"), "{stderr}");
}
