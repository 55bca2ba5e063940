//! Browser test of the visibility-triggered reconnect, in headless Chromium against
//! the real `syncwire` server of scripts/browser-test: a session waiting out a long
//! backoff reconnects at once when the page turns from hidden to visible.
//!
//! The page's facts are overridden on the instances (`Object.defineProperty` on
//! `navigator.onLine` and `document.visibilityState`) and the events dispatched by
//! hand; the overrides are removed before the test ends.
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use syncwire_wasm::proto::client::ClientState;
use syncwire_wasm::{ClientConfig, ClientEvent, SyncClient};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[path = "support/hub.rs"]
mod hub;
use hub::URL;

#[path = "support/wait.rs"]
mod wait;
use wait::{pause, wait_until};

/// Overrides `target[prop]` with `value` (`None`: removes the override, so the
/// browser's own getter answers again), then dispatches `event` on `target` if given.
fn set_fact(target: &JsValue, prop: &str, value: Option<JsValue>, event: Option<&str>) {
    let f = js_sys::Function::new_with_args(
        "target, prop, value, event",
        "if (value === undefined) { delete target[prop]; }\
         else { Object.defineProperty(target, prop, { value, configurable: true }); }\
         if (event) { target.dispatchEvent(new Event(event)); }",
    );
    let args = js_sys::Array::of4(
        target,
        &prop.into(),
        &value.unwrap_or(JsValue::UNDEFINED),
        &event.map_or(JsValue::UNDEFINED, JsValue::from),
    );
    f.apply(&JsValue::NULL, &args).expect("override");
}

#[wasm_bindgen_test]
async fn becoming_visible_reconnects_at_once_instead_of_waiting_out_the_backoff() {
    let window = web_sys::window().expect("window");
    let navigator: JsValue = window.navigator().into();
    let document: JsValue = window.document().expect("document").into();
    // Full jitter in 0..=1 h: the backoff timer fires within the test's 5 s with a
    // chance of about 1/700 (and then the test passes without showing anything).
    let config = ClientConfig {
        backoff_base: Duration::from_secs(3600),
        backoff_cap: Duration::from_secs(3600),
        ..ClientConfig::default()
    };
    // Offline at start: the first attempt fails at once and the session backs off.
    set_fact(&navigator, "onLine", Some(false.into()), None);
    let client = SyncClient::connect(URL, config).expect("valid url");
    let mut events = client.events();
    wait_until("backoff after the offline attempt", 10.0, || {
        client.state() == ClientState::Backoff
    })
    .await;
    // Online again, but silently (no `online` event): only a page signal wakes the
    // session now. The page is hidden first: hidden does not reconnect by itself.
    set_fact(&navigator, "onLine", None, None);
    set_fact(
        &document,
        "visibilityState",
        Some("hidden".into()),
        Some("visibilitychange"),
    );
    // Not a wait for time: the I/O task handles the signal in a microtask, and every
    // microtask has run when a zero-delay timer fires.
    pause(0).await;
    assert_eq!(
        client.state(),
        ClientState::Backoff,
        "hidden: still waiting"
    );
    set_fact(
        &document,
        "visibilityState",
        Some("visible".into()),
        Some("visibilitychange"),
    );
    let start = js_sys::Date::now();
    wait_until("a reconnect at once on becoming visible", 5.0, || {
        client.state() == ClientState::Connected
    })
    .await;
    set_fact(&document, "visibilityState", None, None);
    let mut left_backoff = false;
    while let Some(ev) = events.try_next() {
        if let ClientEvent::StateChanged { from, to, .. } = ev {
            left_backoff |= from == ClientState::Backoff && to == ClientState::Connecting;
        }
    }
    assert!(left_backoff, "the session went from Backoff to Connecting");
    assert!(
        js_sys::Date::now() - start < 5000.0,
        "connected well before any plausible backoff delay"
    );
    assert_eq!(
        client.metrics().reconnects,
        1,
        "one attempt after the backoff"
    );
}
