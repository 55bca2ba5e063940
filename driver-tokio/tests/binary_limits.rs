//! The real `syncwire` binary announces the limits its flags set, and without flags
//! the library defaults (which docs/PROTOCOL.md §7 states; proto tests that table).
#![cfg(all(feature = "client", feature = "cli"))]

mod common;

use common::Client;
use common::binary::Binary;
use syncwire_tokio::proto::hub::HubConfig;
use syncwire_tokio::proto::wire::{Frame, Hello, Limits, ReplicaId, Welcome};

/// Starts the binary with `flags` and returns the `Welcome` it sends a new session.
async fn welcome_of(flags: &[&str]) -> Welcome {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut extra = vec!["--memory"];
    extra.extend_from_slice(flags);
    let server = Binary::start(dir.path(), &extra).await;
    let mut c = Client::connect(server.addr).await;
    c.send(&Frame::Hello(Hello {
        versions: syncwire_proto::wire::SUPPORTED_VERSIONS.to_vec(),
        replica: ReplicaId(1),
        token: None,
        user_info: None,
    }))
    .await;
    c.expect(|f| match f {
        Frame::Welcome(w) => Some(w.clone()),
        _ => None,
    })
    .await
}

#[tokio::test]
async fn without_flags_the_binary_announces_the_library_defaults() {
    let w = welcome_of(&[]).await;
    let default = HubConfig::default();
    assert_eq!(w.limits, default.wire_limits());
    assert_eq!(w.heartbeat_ms, default.heartbeat_ms());
}

#[tokio::test]
async fn limit_flags_reach_the_welcome() {
    let w = welcome_of(&[
        "--max-frame-bytes",
        "70000",
        "--max-payload-bytes",
        "60000",
        "--max-presence-bytes",
        "512",
        "--max-rooms",
        "7",
        "--rate-frames-per-sec",
        "5000",
        "--rate-frame-burst",
        "9000",
        "--rate-bytes-per-sec",
        "300000",
        "--rate-byte-burst",
        "400000",
        "--heartbeat-ms",
        "2000",
        "--heartbeat-timeout-ms",
        "7000",
    ])
    .await;
    let expected = Limits {
        max_frame_bytes: 70_000,
        max_rooms: 7,
        rate_frames_per_sec: 5000,
        rate_bytes_per_sec: 300_000,
        rate_frame_burst: 9000,
        rate_byte_burst: 400_000,
        max_payload_bytes: 60_000,
        max_presence_bytes: 512,
        heartbeat_timeout_ms: 7000,
    };
    assert_eq!(w.limits, expected);
    assert_eq!(w.heartbeat_ms, 2000);
}

#[tokio::test]
async fn an_unusable_limit_stops_the_binary_with_a_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_syncwire"))
        .args(["serve", "--open", "--memory", "--addr", "127.0.0.1:0"])
        .args(["--max-frame-bytes", "4096", "--rate-byte-burst", "1024"])
        .arg("--data-dir")
        .arg(dir.path())
        .output();
    let out = tokio::time::timeout(common::WAIT, out)
        .await
        .expect("exits in time")
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("rate_byte_burst"), "{stderr}");
}
