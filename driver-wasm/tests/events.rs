//! Browser tests of the per-subscriber event queue bound (driver-core's
//! `SUBSCRIBER_QUEUE`) and of the JavaScript client's hub URL list, in headless
//! Chromium against the real `syncwire` of scripts/browser-test.
#![cfg(target_arch = "wasm32")]

use syncwire_wasm::SyncClient;
use syncwire_wasm::js::JsClient;
use syncwire_wasm::proto::client::{ClientEvent, ClientState};
use syncwire_wasm::proto::crdt::{GCounter, GCounterOp};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[path = "support/fixtures.rs"]
mod fixtures;
use fixtures::config;

#[path = "support/hub.rs"]
mod hub;
use hub::{DOWN, URL};

/// Events a subscriber holds before it starts losing them (driver-core's
/// `SUBSCRIBER_QUEUE`).
const QUEUE: usize = 1024;

#[path = "support/wait.rs"]
mod wait;
use wait::{pause, wait_until};

#[wasm_bindgen_test]
async fn a_subscriber_that_does_not_keep_up_loses_events_not_state() {
    let room = "event-queue-bound";
    let reader = SyncClient::connect(URL, config()).expect("url");
    let mut slow = reader.events(); // never read until the end
    let mut fast = reader.events();
    let seen_by_reader = reader.join::<GCounter>(room).expect("join");
    let writer = SyncClient::connect(URL, config()).expect("url");
    let doc = writer.join::<GCounter>(room).expect("join");
    wait_until("both joined", 10.0, || {
        reader.state() == ClientState::Connected && writer.state() == ClientState::Connected
    })
    .await;
    // The writer's deltas reach the reader as events, one per logged delta; the
    // fast subscriber reads them as they come, the slow one never. One operation
    // at a time: operations queued together travel as one delta.
    let (mut fast_seen, mut deltas, mut written) = (0usize, 0usize, 0u64);
    let start = js_sys::Date::now();
    while fast_seen <= QUEUE + 50 {
        assert!(
            js_sys::Date::now() - start < 60_000.0,
            "only {fast_seen} events after {written} deltas"
        );
        doc.apply(GCounterOp::Increment(1)).expect("apply");
        written += 1;
        while seen_by_reader.read(|c| c.value()).expect("read") < written {
            pause(1).await;
        }
        while let Some(ev) = fast.try_next() {
            fast_seen += 1;
            deltas += usize::from(matches!(ev, ClientEvent::Delta { .. }));
        }
    }
    assert!(deltas > 0, "remote deltas arrived as events");
    assert_eq!(fast.lagged(), 0, "the reading subscriber lost nothing");
    let mut slow_seen = 0usize;
    while slow.try_next().is_some() {
        slow_seen += 1;
    }
    assert_eq!(slow_seen, QUEUE, "the idle subscriber holds a full queue");
    // Events published after the fast one's last read are in both or neither.
    while fast.try_next().is_some() {
        fast_seen += 1;
    }
    assert_eq!(
        slow_seen as u64 + slow.lagged(),
        fast_seen as u64,
        "and counts every event it lost"
    );
    let value = seen_by_reader.read(|c| c.value()).expect("read");
    assert_eq!(value, written, "the document lost nothing");
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
