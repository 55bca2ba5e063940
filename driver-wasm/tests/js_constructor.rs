//! Browser test of the deprecated JavaScript constructor: with a storage key it
//! warns on the console (pointing to `SyncwireClient.open`) and still saves in
//! `localStorage` as before; without one it warns not. In headless Chromium, the
//! hub being down (nothing listens on `DOWN`).
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Function, Reflect};
use syncwire_wasm::js::JsClient;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[path = "support/hub.rs"]
mod hub;
use hub::DOWN;

/// Runs `f` with `console.warn` recording its first arguments; returns them.
fn warnings_during(f: impl FnOnce()) -> Vec<String> {
    let console = Reflect::get(&js_sys::global(), &"console".into()).expect("console");
    let original = Reflect::get(&console, &"warn".into()).expect("console.warn");
    let seen = Array::new();
    let record = Function::new_with_args("m", "this.push(String(m))").bind0(&seen);
    Reflect::set(&console, &"warn".into(), &record).expect("replace console.warn");
    f();
    Reflect::set(&console, &"warn".into(), &original).expect("restore console.warn");
    seen.iter().filter_map(|m| m.as_string()).collect()
}

fn local_storage() -> web_sys::Storage {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .expect("localStorage")
}

#[wasm_bindgen_test]
fn the_constructor_with_a_storage_key_warns_and_keeps_the_local_storage_form() {
    let key = format!("syncwire-ctor:{}", (js_sys::Math::random() * 1e12) as u64);
    let mut client = None;
    let warned = warnings_during(|| {
        let c = JsClient::new(DOWN, None, Some(key.clone()), None, None)
            .map_err(JsValue::from)
            .expect("constructed");
        client = Some(c);
    });
    assert_eq!(warned.len(), 1, "one warning: {warned:?}");
    assert!(
        warned[0].contains("deprecated") && warned[0].contains("SyncwireClient.open"),
        "{}",
        warned[0]
    );
    let client = client.expect("client");
    let counter = client
        .join_counter("ctor-room")
        .map_err(JsValue::from)
        .expect("join");
    counter
        .increment(2)
        .map_err(JsValue::from)
        .expect("increment");
    let saved = local_storage().get_item(&key).expect("readable");
    assert!(
        saved.is_some_and(|s| !s.is_empty()),
        "saved in localStorage"
    );
    client.clear_saved();

    let quiet = warnings_during(|| {
        let _ = JsClient::new(DOWN, None, None, None, None)
            .map_err(JsValue::from)
            .expect("constructed");
    });
    assert!(quiet.is_empty(), "no storage key, no warning: {quiet:?}");
}
