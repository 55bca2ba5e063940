//! Browser tests of the per-subscriber event queue bound (driver-core's
//! `SUBSCRIBER_QUEUE`) and of the JavaScript client's hub URL list, in headless
//! Chromium against the real `syncwire` of scripts/browser-test.
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use syncwire_wasm::js::JsClient;
use syncwire_wasm::proto::client::{ClientEvent, ClientState};
use syncwire_wasm::proto::crdt::{GCounter, GCounterOp};
use syncwire_wasm::{ClientConfig, SyncClient};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The hub (baked in at compile time: the browser sees no environment).
const URL: &str = match option_env!("SYNCWIRE_TEST_URL") {
    Some(u) => u,
    None => "ws://127.0.0.1:18731/sync",
};
/// Nothing listens here: every connection attempt fails.
const DOWN: &str = "ws://127.0.0.1:18739/sync";

/// Events a subscriber holds before it starts losing them (driver-core's
/// `SUBSCRIBER_QUEUE`).
const QUEUE: usize = 1024;

#[path = "support/wait.rs"]
mod wait;
use wait::wait_until;

fn config() -> ClientConfig {
    ClientConfig {
        backoff_base: Duration::from_millis(100),
        backoff_cap: Duration::from_millis(300),
        ..ClientConfig::default()
    }
}

#[wasm_bindgen_test]
async fn a_subscriber_that_does_not_keep_up_loses_events_not_state() {
    let client = SyncClient::connect(URL, config()).expect("url");
    let mut slow = client.events(); // never read until the end
    let mut fast = client.events();
    let doc = client.join::<GCounter>("event-queue-bound").expect("join");
    let mut fast_seen = 0usize;
    let mut acks = 0usize;
    let rounds = 13;
    for _ in 0..rounds {
        for _ in 0..100 {
            doc.apply(GCounterOp::Increment(1)).expect("apply");
        }
        wait_until("the round acknowledged", 15.0, || {
            while let Some(ev) = fast.try_next() {
                fast_seen += 1;
                acks += usize::from(matches!(ev, ClientEvent::DeltaAcked { .. }));
            }
            client.outbox_len() == 0
        })
        .await;
    }
    while let Some(ev) = fast.try_next() {
        fast_seen += 1;
        acks += usize::from(matches!(ev, ClientEvent::DeltaAcked { .. }));
    }
    assert_eq!(acks, rounds * 100, "the reading subscriber saw every ack");
    assert_eq!(fast.lagged(), 0, "and lost nothing");
    let mut slow_seen = 0usize;
    while slow.try_next().is_some() {
        slow_seen += 1;
    }
    assert_eq!(slow_seen, QUEUE, "the idle subscriber holds a full queue");
    assert_eq!(
        slow_seen as u64 + slow.lagged(),
        fast_seen as u64,
        "and counts every event it lost"
    );
    let value = doc.read(|c| c.value()).expect("read");
    assert_eq!(value, rounds as u64 * 100, "the document lost nothing");
}

#[wasm_bindgen_test]
async fn the_javascript_client_fails_over_to_the_next_hub_url() {
    let urls = js_sys::Array::of2(&DOWN.into(), &URL.into());
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"name".into(), &"failover".into()).expect("set");
    let client = JsClient::open(urls.into(), Some(options))
        .await
        .map_err(JsValue::from)
        .expect("open");
    let counter = client
        .join_counter("js-failover")
        .map_err(JsValue::from)
        .expect("join");
    counter
        .increment(3)
        .map_err(JsValue::from)
        .expect("increment");
    wait_until(
        "connected through the second URL and acknowledged",
        15.0,
        || client.state() == format!("{:?}", ClientState::Connected) && client.outbox_len() == 0,
    )
    .await;
    assert!(client.reconnects() >= 1.0, "the first URL failed first");
    let none = JsClient::open(js_sys::Array::new().into(), None).await;
    assert!(none.is_err(), "an empty URL list is refused");
}
