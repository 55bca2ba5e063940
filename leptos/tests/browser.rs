//! Browser tests of the Leptos bindings: components mounted in headless Chromium
//! against a real `syncwire` server on 127.0.0.1, started (and stopped / restarted
//! on request) by scripts/browser-test (stage `leptos`) through
//! scripts/browser-test-control.py, with `examples/echo_peer.rs` (a native tokio
//! client) running alongside. Run them with `scripts/browser-test leptos`.
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use leptos::mount::mount_to;
use leptos::prelude::*;
use syncwire_leptos::proto::crdt::{GCounter, GCounterOp};
use syncwire_leptos::{
    ClientConfig, ConnectionState, SyncClient, provide_sync_client, use_connection, use_presence,
    use_sync_doc,
};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::HtmlElement;

wasm_bindgen_test_configure!(run_in_browser);

/// The hub (baked in at compile time: the browser sees no environment).
const URL: &str = match option_env!("SYNCWIRE_LEPTOS_TEST_URL") {
    Some(u) => u,
    None => "ws://127.0.0.1:18734/sync",
};
/// The test controller that stops and starts the hub.
const CONTROL: &str = match option_env!("SYNCWIRE_LEPTOS_TEST_CONTROL") {
    Some(u) => u,
    None => "http://127.0.0.1:18735",
};

#[path = "../../driver-wasm/tests/support/wait.rs"]
mod wait;
use wait::wait_until;

/// A fresh random replica id and a short backoff; `name` as the user info.
fn config(name: &str) -> ClientConfig {
    ClientConfig {
        backoff_base: Duration::from_millis(100),
        backoff_cap: Duration::from_millis(500),
        user_info: Some(name.as_bytes().to_vec().into()),
        ..ClientConfig::default()
    }
}

/// A room name unique to this run.
fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", (js_sys::Math::random() * 1e12) as u64)
}

async fn control(action: &str) {
    let w = web_sys::window().expect("window");
    let resp = JsFuture::from(w.fetch_with_str(&format!("{CONTROL}/{action}")))
        .await
        .expect("control server reachable");
    let resp: web_sys::Response = resp.dyn_into().expect("a Response");
    assert!(resp.ok(), "control {action} failed");
}

/// Starts the hub again when dropped, so a failing restart test does not leave
/// the other tests without one (fire and forget: `Drop` cannot wait).
struct RestartOnDrop;

impl Drop for RestartOnDrop {
    fn drop(&mut self) {
        if let Some(w) = web_sys::window() {
            let _ = w.fetch_with_str(&format!("{CONTROL}/start"));
        }
    }
}

/// A fresh element in the page for one test's components.
fn host() -> HtmlElement {
    let doc = web_sys::window().unwrap().document().unwrap();
    let el: HtmlElement = doc.create_element("div").unwrap().unchecked_into();
    doc.body().unwrap().append_child(&el).unwrap();
    el
}

/// The text of the element `sel` under `root` (`None` if absent).
fn text(root: &HtmlElement, sel: &str) -> Option<String> {
    root.query_selector(sel).ok().flatten()?.text_content()
}

fn click(root: &HtmlElement, sel: &str) {
    let el: HtmlElement = root
        .query_selector(sel)
        .unwrap()
        .expect("element present")
        .unchecked_into();
    el.click();
}

/// A counter room and the connection state, as an application would show them.
#[component]
fn Counter(room: String, name: &'static str) -> impl IntoView {
    provide_sync_client(URL, config(name)).expect("valid url");
    let counter = use_sync_doc::<GCounter>(&room).expect("joined");
    let connection = use_connection();
    let presence = use_presence(&room);
    view! {
        <span class="state">{move || format!("{:?}", connection.get().state)}</span>
        <span class="error">{move || connection.get().last_error.unwrap_or_default()}</span>
        <span class="value">{move || counter.doc().with(|c| c.value())}</span>
        <button on:click=move |_| { counter.apply(GCounterOp::Increment(1)).expect("apply"); }>
            "+1"
        </button>
        <ul class="peers">
            {move || presence.get().peers.values().map(|p| {
                view! { <li>{p.name().unwrap_or_default()}</li> }
            }).collect_view()}
        </ul>
    }
}

fn mount_counter(root: &HtmlElement, room: &str, name: &'static str) -> impl Drop {
    let room = room.to_owned();
    mount_to(
        root.clone(),
        move || view! { <Counter room=room name=name/> },
    )
}

/// What another, plain client sees in `room` (the change reached the hub).
async fn hub_sees(room: &str, value: u64) {
    let check = SyncClient::connect(URL, config("check")).expect("url");
    let doc = check.join::<GCounter>(room).expect("join");
    wait_until(&format!("another client to see {value}"), 15.0, || {
        doc.read(|c| c.value()).expect("readable") == value
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_component_renders_the_counter_and_applies_clicks() {
    let root = host();
    let room = unique("leptos-render");
    let _app = mount_counter(&root, &room, "render");
    wait_until("the counter 0 and Connected", 15.0, || {
        text(&root, ".value").as_deref() == Some("0")
            && text(&root, ".state").as_deref() == Some("Connected")
    })
    .await;
    for n in ["1", "2"] {
        click(&root, "button");
        wait_until(&format!("the counter {n}"), 5.0, || {
            text(&root, ".value").as_deref() == Some(n)
        })
        .await;
    }
    hub_sees(&room, 2).await;
}

#[wasm_bindgen_test]
async fn a_change_by_a_native_client_updates_the_dom() {
    // The echo peer keeps `leptos-echo` equal to `leptos-ask`; only it writes
    // `leptos-echo`, so every change of that counter comes from the native client.
    let root = host();
    let ask = host();
    let _echo = mount_counter(&root, "leptos-echo", "echo watcher");
    let _ask = mount_counter(&ask, "leptos-ask", "asker");
    let value = |r: &HtmlElement| text(r, ".value").and_then(|t| t.parse::<u64>().ok());
    for round in 1..=3 {
        wait_until("echo and ask to agree", 30.0, || {
            value(&root).is_some() && value(&root) == value(&ask)
        })
        .await;
        let before = value(&root).unwrap();
        click(&ask, "button");
        wait_until(&format!("the native echo of click {round}"), 30.0, || {
            value(&root) == Some(before + 1)
        })
        .await;
    }
}

#[wasm_bindgen_test]
async fn presence_lists_the_other_member() {
    let (a, b) = (host(), host());
    let room = unique("leptos-presence");
    let _a = mount_counter(&a, &room, "alice");
    let _b = mount_counter(&b, &room, "bob");
    wait_until("each sees the other", 15.0, || {
        text(&a, ".peers").as_deref() == Some("bob")
            && text(&b, ".peers").as_deref() == Some("alice")
    })
    .await;
}

#[wasm_bindgen_test]
async fn the_connection_signal_follows_a_server_restart() {
    let root = host();
    let room = unique("leptos-restart");
    let _app = mount_counter(&root, &room, "restart");
    let state = || text(&root, ".state").unwrap_or_default();
    wait_until("Connected", 15.0, || state() == "Connected").await;
    assert_eq!(text(&root, ".error").as_deref(), Some(""), "no error yet");

    let _restart = RestartOnDrop;
    control("stop").await;
    wait_until("Reconnecting after the hub is gone", 15.0, || {
        state() == format!("{:?}", ConnectionState::Reconnecting)
    })
    .await;
    assert!(
        !text(&root, ".error").unwrap_or_default().is_empty(),
        "the last error is shown"
    );
    click(&root, "button"); // kept in the outbox while disconnected
    wait_until("the local change shows", 5.0, || {
        text(&root, ".value").as_deref() == Some("1")
    })
    .await;

    control("start").await;
    wait_until("Connected again", 20.0, || state() == "Connected").await;
    hub_sees(&room, 1).await;
}
