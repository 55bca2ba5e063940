//! Browser tests of `synced()` on the JavaScript document handles, in headless
//! Chromium against the real `syncwire` of scripts/browser-test: it resolves once the
//! room caught up, with the value the hub holds, and rejects with the hub's refusal
//! code for a join the hub refuses.
#![cfg(target_arch = "wasm32")]

use syncwire_wasm::SyncClient;
use syncwire_wasm::js::JsClient;
use syncwire_wasm::proto::crdt::{PnCounter, PnCounterOp};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[path = "support/fixtures.rs"]
mod fixtures;
use fixtures::{config, unique};

#[path = "support/hub.rs"]
mod hub;
use hub::URL;

#[path = "support/wait.rs"]
mod wait;
use wait::wait_until;

/// A JavaScript client with no storage, as a page makes it.
async fn js_client() -> JsClient {
    JsClient::open(URL.into(), None)
        .await
        .map_err(JsValue::from)
        .expect("open")
}

/// The `code` of a rejection value.
fn code(rejection: &JsValue) -> String {
    js_sys::Reflect::get(rejection, &"code".into())
        .ok()
        .and_then(|c| c.as_string())
        .unwrap_or_else(|| format!("no code in {rejection:?}"))
}

#[wasm_bindgen_test]
async fn synced_resolves_after_catch_up_with_the_value_the_hub_holds() {
    let room = unique("js-synced");
    // Another session writes 7 and waits until the hub acknowledged it.
    let writer = SyncClient::connect(URL, config()).expect("url");
    let doc = writer.join::<PnCounter>(&room).expect("join");
    doc.apply(PnCounterOp::Increment(7)).expect("apply");
    wait_until("the hub acknowledged the writer's delta", 15.0, || {
        writer.outbox_len() == 0
    })
    .await;

    let client = js_client().await;
    let counter = client
        .join_counter(&room)
        .map_err(JsValue::from)
        .expect("join");
    // Nothing of the room is here before the hub's replay.
    assert_eq!(counter.value().map_err(JsValue::from).expect("value"), 0.0);
    JsFuture::from(counter.synced())
        .await
        .expect("synced resolves");
    assert_eq!(
        counter.value().map_err(JsValue::from).expect("value"),
        7.0,
        "after synced() the counter holds what the hub held"
    );
    // Once caught up, it resolves again at once.
    JsFuture::from(counter.synced()).await.expect("again");
}

#[wasm_bindgen_test]
async fn synced_rejects_with_the_code_of_a_refused_join() {
    let room = unique("js-synced-mismatch");
    // The room is a counter at the hub ...
    let first = js_client().await;
    let counter = first
        .join_counter(&room)
        .map_err(JsValue::from)
        .expect("join");
    JsFuture::from(counter.synced())
        .await
        .expect("the counter joins");
    // ... so joining it as a map is refused (crdt_mismatch).
    let second = js_client().await;
    let map = second.join_map(&room).map_err(JsValue::from).expect("join");
    let refused = JsFuture::from(map.synced())
        .await
        .expect_err("synced rejects for a refused join");
    assert_eq!(code(&refused), "crdt_mismatch");
    let error: &js_sys::Error = refused.dyn_ref().expect("an Error");
    let message = String::from(error.message());
    assert!(message.contains("refused the join"), "{message}");
    // The other client's counter is untouched.
    assert_eq!(counter.value().map_err(JsValue::from).expect("value"), 0.0);
}
