//! A peer that stops reading (its TCP window closed, the connection kept alive).
//!
//! * It must not hold its connection task, socket and queued frames for ever: once a
//!   batch of output has not gone out within the hub's heartbeat timeout, the server
//!   drops the connection (docs/PROTOCOL.md §9).
//! * While it pauses for less than that, it is not closed for the number of hub turns
//!   that queue output for it, only by the hub's byte bound (§7, *Backlog*): the
//!   connection's queue merges batches beyond its count.

mod common;

use std::time::Duration;

use common::{Client, OPAQUE_CRDT, Running, Seen, WAIT, http_get};
use futures_util::StreamExt;
use syncwire_tokio::proto::wire::Frame;
use syncwire_tokio::server::ServerConfig;
use tokio::net::TcpSocket;
use tokio_tungstenite::MaybeTlsStream;

/// The size of each big delta.
const PAYLOAD: usize = 256 * 1024;

/// How many big deltas fill every buffer between the hub and a reader that reads
/// nothing: three times the largest TCP send buffer this kernel grants
/// (`net.ipv4.tcp_wmem`, 4 MiB by default), the reader's window being tiny.
fn big_entries() -> u64 {
    let max_send_buffer = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_wmem")
        .ok()
        .and_then(|s| s.split_whitespace().nth(2)?.parse::<u64>().ok())
        .unwrap_or(16 << 20);
    (3 * max_send_buffer).div_ceil(PAYLOAD as u64) + 8
}

fn metric(body: &str, name: &str) -> Option<u64> {
    body.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

/// A server whose hub bounds only what the test is about: heartbeat timeout
/// `heartbeat`, a byte bound and rates that the big deltas do not reach.
async fn server(heartbeat: Duration, outbound_capacity: usize) -> Running {
    let mut cfg = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    cfg.set_outbound_capacity(outbound_capacity);
    let hub = cfg.hub_mut();
    hub.heartbeat_interval = heartbeat / 4;
    hub.heartbeat_timeout = heartbeat;
    hub.max_backlog_bytes = 64 << 20;
    hub.rate_bytes_per_sec = 1 << 30;
    hub.rate_byte_burst = 1 << 30;
    Running::start(cfg).await
}

/// Logs `count` big deltas of replica 1 in room `big`, seqs from 1.
async fn write_big_entries(writer: &mut Client, count: u64) {
    for seq in 1..=count {
        let payload = vec![u8::try_from(seq % 251).unwrap(); PAYLOAD];
        writer.delta_acked("big", 1, seq, &payload).await;
    }
}

/// A client on a socket with the smallest receive buffer the kernel allows, so that
/// what it does not read soon fills every buffer on the way.
async fn small_window_client(server: &Running, replica: u64) -> Client {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(server.addr).await.unwrap();
    let url = format!("ws://{}/sync", server.addr);
    let (ws, _) = tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(stream))
        .await
        .unwrap();
    let mut client = Client::from_stream(ws);
    client.hello(replica, None).await;
    client
}

#[tokio::test]
async fn a_peer_that_stops_reading_is_dropped_after_the_heartbeat_timeout() {
    let server = server(Duration::from_secs(2), 4096).await;
    let mut writer = Client::connect(server.addr).await;
    writer.hello(1, None).await;
    writer.join("big", None).await;
    write_big_entries(&mut writer, big_entries()).await;
    drop(writer);

    // It joins and then reads nothing more: its catch-up fills every buffer.
    let mut stalled = small_window_client(&server, 2).await;
    stalled
        .send(&common::join_frame("big", OPAQUE_CRDT, None))
        .await;

    // Bounded: the write bound (2 s) plus the close; without it the connection
    // stays open for ever.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (status, body) = http_get(server.addr, "/metrics").await;
        assert_eq!(status, 200);
        let stalled_writes = metric(&body, "syncwire_writes_stalled_total");
        let open = metric(&body, "syncwire_connections_open");
        if stalled_writes == Some(1) && open == Some(0) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the stalled connection is still open: stalled writes {stalled_writes:?}, \
             connections open {open:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // What the kernel had buffered still arrives, then the stream ends.
    let mut ws = stalled.into_stream();
    let ended =
        tokio::time::timeout(WAIT, async { while let Some(Ok(_)) = ws.next().await {} }).await;
    assert!(ended.is_ok(), "the server dropped the socket");
    server.stop().await;
}

#[tokio::test]
async fn a_reader_that_pauses_across_more_turns_than_its_queue_holds_gets_everything() {
    const SMALL: u64 = 30;
    let server = server(Duration::from_secs(20), 2).await;
    let mut reader = small_window_client(&server, 2).await;
    reader.join("big", None).await;
    let mut writer = Client::connect(server.addr).await;
    writer.hello(1, None).await;
    writer.join("big", None).await;
    // The reader reads nothing meanwhile: the big entries stall its connection's
    // writes, then each small delta is a hub turn with output for it, many more
    // than its queue's two messages.
    let big = big_entries();
    write_big_entries(&mut writer, big).await;
    for seq in big + 1..=big + SMALL {
        writer.delta_acked("big", 1, seq, b"small").await;
    }

    // Every entry arrives, in order, and the session is never closed.
    let mut next_seq = 1;
    while next_seq <= big + SMALL {
        let seqs: Vec<u64> = match reader.next().await {
            Seen::Frame(Frame::HubDelta(d)) => vec![d.seq],
            Seen::Frame(Frame::DeltaBatch(b)) => b.entries.iter().map(|e| e.seq).collect(),
            Seen::Frame(Frame::Peers(_) | Frame::Presence(_)) => continue,
            other => panic!("at seq {next_seq}: {other:?}"),
        };
        for seq in seqs {
            assert_eq!(seq, next_seq, "entries in order, none missing");
            next_seq += 1;
        }
    }
    let (_, body) = http_get(server.addr, "/metrics").await;
    assert_eq!(metric(&body, "syncwire_outbound_overflow_total"), Some(0));
    drop((reader, writer));
    server.stop().await;
}
