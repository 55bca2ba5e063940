//! A publisher under a tight rate limit (a burst of 4 frames) loses nothing: every
//! element of a set arrives at the other replica, exactly once. The client paces
//! itself to the announced rate (PROTOCOL.md §7), so the hub refuses nothing; before
//! it did, the deltas were refused in the middle of the stream (`rate_limited`, and
//! the ones after `seq_gap`) and re-sent. Refusals in the middle of a stream are
//! exercised by the simulator's `limited` scenario (a full room append queue) and by
//! `bad_input.rs` (a raw client).
#![cfg(all(feature = "client", feature = "cli"))]

mod common;

use std::time::Duration;

use common::sync::{fast_config, until_acked_within, until_within, url};
use common::{Running, WAIT};
use syncwire_tokio::client::SyncClient;
use syncwire_tokio::proto::crdt::{OrSet, OrSetOp};
use syncwire_tokio::server::ServerConfig;

#[tokio::test]
async fn a_publisher_under_a_tight_rate_limit_loses_no_set_element() {
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.hub_mut().rate_frames_per_sec = 20;
    config.hub_mut().rate_frame_burst = 4;
    config.hub_mut().rate_strikes_to_close = 1_000_000;
    let server = Running::start(config).await;

    let mut pub_config = fast_config(1);
    pub_config.rate_limit_retry = Duration::from_millis(50);
    let publisher = SyncClient::connect(url(server.addr), pub_config).unwrap();
    let reader = SyncClient::connect(url(server.addr), fast_config(2)).unwrap();
    let sp = publisher.join::<OrSet<String>>("feed").unwrap();
    let sr = reader.join::<OrSet<String>>("feed").unwrap();
    // Joined and connected first, so each element travels as a delta of its own
    // (deltas are only merged before they are sent).
    sp.apply(OrSetOp::Add("first".into())).unwrap();
    until_within(&sr, WAIT, |s| s.len() == 1).await;

    const N: usize = 120;
    for i in 0..N {
        sp.apply(OrSetOp::Add(format!("item-{i}"))).unwrap();
        tokio::task::yield_now().await; // let the driver send each one on its own
    }
    until_acked_within(&publisher, WAIT * 3).await;
    until_within(&sr, WAIT, |s| s.len() == N + 1).await;
    for i in 0..N {
        let item = format!("item-{i}");
        assert!(sr.read(|s| s.contains(&item)).unwrap(), "{item} lost");
    }
    let m = publisher.metrics();
    assert_eq!(
        m.errors.rejected, 0,
        "paced: the hub refused nothing ({m:?})"
    );
    assert_eq!(m.deltas_rejected, 0, "nothing was refused for good");
    assert_eq!(publisher.close(WAIT).await, 0);
    assert_eq!(reader.close(WAIT).await, 0);
    server.stop().await;
}
