//! The README's tokio example on the real binary: run twice, in two fresh
//! processes, against one server, the first prints 1 and the second 2 (it waits
//! with `Doc::synced` until the room caught up), and the counter is left at 2 — with the
//! default (fresh random) replica id, and with a fixed id of the user's choosing
//! (the join gate makes the second process build on the first one's entry).
//!
//! The example's code lives once, in `examples/readme_counter.rs`; a test checks
//! that the README's block is that file. The programs run as child processes: this
//! test binary re-executes itself with `--exact` on the `child_program` test, which
//! runs the example's `main` (the file is a module here) or its fixed-id variant, depending on
//! an environment variable.
#![cfg(all(feature = "client", feature = "cli"))]

mod common;

use std::time::Duration;

use common::WAIT;
use common::binary::Binary;
use common::sync::url;
use futures_util::StreamExt;
use syncwire_tokio::client::{ClientConfig, ClientEvent, SyncClient};
use syncwire_tokio::proto::crdt::{GCounter, GCounterOp};
use syncwire_tokio::proto::wire::ReplicaId;

/// The example file itself, as a module of this test binary.
#[path = "../examples/readme_counter.rs"]
mod readme;

/// Which program a child process runs (unset: not a child).
const CHILD: &str = "SYNCWIRE_README_CHILD";

/// The README example with one change: `ClientConfig::new(ReplicaId(7))` instead of
/// `ClientConfig::default()`.
#[tokio::main]
async fn fixed_id_program() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("SYNCWIRE_URL").unwrap_or("ws://127.0.0.1:8080/sync".into());
    let client = SyncClient::connect(&url, ClientConfig::new(ReplicaId(7)))?;
    let counter = client.join::<GCounter>("counter")?;
    counter.apply(GCounterOp::Increment(1))?;
    counter.synced().await?;
    println!("counter = {}", counter.read(|c| c.value())?);
    let left = client.close(std::time::Duration::from_secs(2)).await;
    assert_eq!(left, 0, "close waits until the waiting operation is acked");
    Ok(())
}

#[test]
fn child_program() {
    match std::env::var(CHILD).as_deref() {
        Ok("default") => readme::main().expect("the README example runs"),
        Ok("fixed") => fixed_id_program().expect("the fixed-id variant runs"),
        _ => {} // run as a normal test: nothing to do
    }
}

#[test]
fn the_readme_block_is_the_example_file() {
    let readme = include_str!("../../README.md");
    let example = include_str!("../examples/readme_counter.rs");
    let start = "## Example: a tokio client\n\n```rust,no_run\n";
    let at = readme.find(start).expect("the README has a tokio example") + start.len();
    let end = readme[at..].find("```\n").expect("the block ends") + at;
    assert_eq!(&readme[at..end], example);
    assert!(example.contains("ClientConfig::default()"));
}

/// Runs `program` in a fresh process of this test binary against `server_url`;
/// returns the counter it printed.
async fn run_child(program: &str, server_url: &str) -> u64 {
    let exe = std::env::current_exe().expect("test binary path");
    let child = tokio::process::Command::new(exe)
        .args([
            "--exact",
            "child_program",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, program)
        .env("SYNCWIRE_URL", server_url)
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(WAIT, child)
        .await
        .expect("the program ends in time")
        .expect("the program starts");
    assert!(
        out.status.success(),
        "{program} program failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .find_map(|l| l.split("counter = ").nth(1))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no counter printed: {stdout}"))
}

/// The counter as a third client sees it once caught up with the room.
async fn counter_value(server_url: &str) -> u64 {
    let client = SyncClient::connect(server_url, ClientConfig::default()).unwrap();
    let mut events = client.events();
    let counter = client.join::<GCounter>("counter").unwrap();
    let caught_up = async {
        while let Some(ev) = events.next().await {
            if matches!(ev, ClientEvent::CaughtUp { .. }) {
                return;
            }
        }
        panic!("the session ended before the room caught up");
    };
    tokio::time::timeout(WAIT, caught_up)
        .await
        .expect("the room catches up in time");
    // `synced` agrees once the event was seen.
    tokio::time::timeout(WAIT, counter.synced())
        .await
        .expect("synced returns at once")
        .unwrap();
    let value = counter.read(|c| c.value()).unwrap();
    client.close(Duration::from_secs(1)).await;
    value
}

async fn twice_in_fresh_processes(program: &str) {
    let dir = tempfile::tempdir().unwrap();
    let server = Binary::start(dir.path(), &[]).await;
    let server_url = url(server.addr);
    // What each run prints is what the README promises: the second sees the first.
    assert_eq!(
        run_child(program, &server_url).await,
        1,
        "{program} program, first run"
    );
    assert_eq!(
        run_child(program, &server_url).await,
        2,
        "{program} program, second run"
    );
    assert_eq!(counter_value(&server_url).await, 2, "{program} program");
}

#[tokio::test]
async fn the_readme_example_run_twice_counts_two() {
    twice_in_fresh_processes("default").await;
}

#[tokio::test]
async fn a_fixed_replica_id_run_twice_counts_two() {
    twice_in_fresh_processes("fixed").await;
}
