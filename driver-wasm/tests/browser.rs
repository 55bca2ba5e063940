//! Browser tests: headless Chromium against a real `syncwire` server on
//! 127.0.0.1, started (and stopped / restarted on request) by
//! scripts/browser-test through scripts/browser-test-control.py, with the native
//! peer example running next to it. Run them with `scripts/browser-test`.
#![cfg(target_arch = "wasm32")]

use std::collections::HashSet;
use std::time::Duration;

use syncwire_wasm::proto::client::{ClientState, RoomStatus};
use syncwire_wasm::proto::crdt::{GCounter, GCounterOp};
use syncwire_wasm::{ClientConfig, ClientEvent, SyncClient};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[path = "support/hub.rs"]
mod hub;
use hub::{CONTROL, URL};

/// A config with a fresh random replica id (local operations apply at once).
fn config() -> ClientConfig {
    ClientConfig {
        backoff_base: Duration::from_millis(100),
        backoff_cap: Duration::from_millis(500),
        ..ClientConfig::default()
    }
}

/// A number unique to this run (for storage keys).
fn unique_number() -> u64 {
    1_000_000 + (js_sys::Math::random() * 1e9) as u64
}

#[path = "support/wait.rs"]
mod wait;
use wait::wait_until;

async fn control(action: &str) {
    let w = web_sys::window().expect("window");
    let resp = JsFuture::from(w.fetch_with_str(&format!("{CONTROL}/{action}")))
        .await
        .expect("control server reachable");
    let resp: web_sys::Response = resp.dyn_into().expect("a Response");
    assert!(resp.ok(), "control {action} failed");
}

thread_local! {
    static SERVER_BUSY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Held by a test that stops and starts the hub (tests may run concurrently).
struct ServerLock;

impl ServerLock {
    async fn acquire() -> ServerLock {
        wait_until("the hub to be free", 60.0, || !SERVER_BUSY.get()).await;
        SERVER_BUSY.set(true);
        ServerLock
    }
}

impl Drop for ServerLock {
    fn drop(&mut self) {
        SERVER_BUSY.set(false);
    }
}

fn value(doc: &syncwire_wasm::Doc<GCounter>) -> u64 {
    doc.read(|c| c.value()).expect("readable")
}

#[wasm_bindgen_test]
async fn connects_and_joins() {
    let client = SyncClient::connect(URL, config()).expect("valid url");
    let _doc = client.join::<GCounter>("join-test").expect("join");
    wait_until("Connected and joined", 10.0, || {
        client.state() == ClientState::Connected
            && client
                .room("join-test")
                .is_some_and(|r| r.status == RoomStatus::Joined)
    })
    .await;
}

#[wasm_bindgen_test]
async fn syncs_with_a_native_client() {
    let client = SyncClient::connect(URL, config()).expect("valid url");
    let native = client.join::<GCounter>("from-native").expect("join");
    let mine = client.join::<GCounter>("from-browser").expect("join");
    // The native peer increments 50 times, every 100 ms.
    wait_until("the native peer's increments", 15.0, || {
        value(&native) >= 10
    })
    .await;
    for _ in 0..3 {
        mine.apply(GCounterOp::Increment(1)).expect("apply");
    }
    wait_until("acks of the browser's increments", 10.0, || {
        client.outbox_len() == 0
    })
    .await;
}

#[wasm_bindgen_test]
async fn reconnects_after_server_restart_and_resumes_without_duplicates() {
    let _lock = ServerLock::acquire().await;
    let a = SyncClient::connect(URL, config()).expect("valid url");
    let b = SyncClient::connect(URL, config()).expect("valid url");
    let mut events = a.events();
    let da = a.join::<GCounter>("restart").expect("join");
    let db = b.join::<GCounter>("restart").expect("join");
    da.apply(GCounterOp::Increment(3)).expect("apply");
    db.apply(GCounterOp::Increment(2)).expect("apply");
    wait_until("both see 5", 10.0, || {
        value(&da) == 5 && value(&db) == 5 && a.outbox_len() == 0 && b.outbox_len() == 0
    })
    .await;
    let before = a
        .room("restart")
        .and_then(|r| r.position)
        .expect("position");

    control("stop").await;
    wait_until("a notices the hub is gone", 10.0, || {
        a.state() != ClientState::Connected
    })
    .await;
    da.apply(GCounterOp::Increment(1))
        .expect("apply while disconnected");
    assert_eq!(a.outbox_len(), 1);
    control("start").await;

    wait_until("a reconnects and flushes", 15.0, || {
        a.state() == ClientState::Connected && a.outbox_len() == 0
    })
    .await;
    db.apply(GCounterOp::Increment(4)).expect("apply");
    wait_until("both see 10", 15.0, || value(&da) == 10 && value(&db) == 10).await;

    let mut offsets = Vec::new();
    let mut joins = Vec::new();
    while let Some(ev) = events.try_next() {
        match ev {
            ClientEvent::Delta { offset, .. } => offsets.push(offset),
            ClientEvent::Joined { offset, resync, .. } => joins.push((offset, resync)),
            _ => {}
        }
    }
    let unique: HashSet<_> = offsets.iter().collect();
    assert_eq!(
        unique.len(),
        offsets.len(),
        "a delta was delivered twice: {offsets:?}"
    );
    assert!(
        joins.len() >= 2,
        "joined again after the restart: {joins:?}"
    );
    let (resumed_at, resync) = joins[joins.len() - 1];
    assert!(!resync, "resumed, not re-downloaded");
    assert_eq!(resumed_at, before.offset, "resumed from the last offset");
}

#[wasm_bindgen_test]
#[allow(deprecated)] // the localStorage form, kept for compatibility
async fn a_reload_keeps_unsent_changes_and_resumes() {
    let _lock = ServerLock::acquire().await;
    let key = format!("syncwire-test:{}", unique_number());
    let first = SyncClient::connect_persistent(URL, config(), &key).expect("url");
    let replica = first.replica();
    let doc = first.join::<GCounter>("reload").expect("join");
    doc.apply(GCounterOp::Increment(2)).expect("apply");
    wait_until("acked", 10.0, || first.outbox_len() == 0).await;
    let position = first.room("reload").and_then(|r| r.position);

    control("stop").await;
    wait_until("disconnected", 10.0, || {
        first.state() != ClientState::Connected
    })
    .await;
    doc.apply(GCounterOp::Increment(5))
        .expect("apply while disconnected");
    drop(doc);
    drop(first); // the "reload": the page's client goes away with one unsent delta

    let second = SyncClient::connect_persistent(URL, config(), &key).expect("url");
    assert_eq!(
        second.replica(),
        replica,
        "the replica id was saved with the state"
    );
    assert_eq!(second.outbox_len(), 1, "the unsent change was restored");
    assert_eq!(second.room("reload").and_then(|r| r.position), position);
    let doc = second.join::<GCounter>("reload").expect("attach");
    assert_eq!(value(&doc), 7, "the document was restored");
    control("start").await;
    wait_until("the restored change is acked", 15.0, || {
        second.outbox_len() == 0 && second.state() == ClientState::Connected
    })
    .await;

    let check = SyncClient::connect(URL, config()).expect("url");
    let seen = check.join::<GCounter>("reload").expect("join");
    wait_until("another client sees 7", 10.0, || value(&seen) == 7).await;
    second.clear_saved();
}

#[wasm_bindgen_test]
async fn the_token_getter_is_awaited_before_every_connection_attempt() {
    let _lock = ServerLock::acquire().await;
    // A page's async getter: counts its calls, answers a promise of a new token.
    let getter = js_sys::Function::new_no_args(
        "globalThis.__swTokens = (globalThis.__swTokens || 0) + 1;\
         return Promise.resolve('token-' + globalThis.__swTokens);",
    );
    let calls = || {
        let n = js_sys::Reflect::get(&js_sys::global(), &"__swTokens".into());
        n.ok().and_then(|n| n.as_f64()).unwrap_or(0.0)
    };
    let client = SyncClient::connect(URL, config()).expect("valid url");
    client.set_token_getter(Some(getter));
    wait_until("Connected", 10.0, || {
        client.state() == ClientState::Connected
    })
    .await;
    let first = calls();
    assert!(first >= 1.0, "asked before the first attempt");
    control("restart").await;
    wait_until("reconnected after asking again", 15.0, || {
        client.state() == ClientState::Connected && calls() > first
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_failing_token_getter_backs_off_instead_of_connecting_with_the_old_token() {
    let _lock = ServerLock::acquire().await;
    // Rejects until the page sets `__swTokenOk`, counting its calls.
    let getter = js_sys::Function::new_no_args(
        "globalThis.__swFailing = (globalThis.__swFailing || 0) + 1;\
         return globalThis.__swTokenOk ? Promise.resolve('fresh')\
           : Promise.reject(new Error('token service unreachable'));",
    );
    let global = |name: &str| {
        let n = js_sys::Reflect::get(&js_sys::global(), &name.into());
        n.ok().and_then(|n| n.as_f64()).unwrap_or(0.0)
    };
    let client = SyncClient::connect(URL, config()).expect("valid url");
    client.set_token_getter(Some(getter));
    // Asked again and again (backoff), never connected meanwhile: no attempt is made
    // with the old token.
    let mut connected = false;
    wait_until("the getter asked three times", 10.0, || {
        connected |= client.state() == ClientState::Connected;
        global("__swFailing") >= 3.0
    })
    .await;
    assert!(!connected, "no attempt made while the getter fails");
    js_sys::Reflect::set(&js_sys::global(), &"__swTokenOk".into(), &true.into()).unwrap();
    wait_until("Connected once the getter answers", 10.0, || {
        client.state() == ClientState::Connected
    })
    .await;
}
