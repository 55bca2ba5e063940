//! Browser tests of `provide_persistent_sync_client` (IndexedDB, `SyncClient::open`)
//! in headless Chromium: operations applied while the client opens wait and are
//! applied once it is open; a remounted app (as after a reload) shows the saved
//! document with no hub reachable, and delivers the unsent changes once it is.
//! Run by `scripts/browser-test leptos`, against the hub of that stage.
#![cfg(target_arch = "wasm32")]

use leptos::mount::mount_to;
use leptos::prelude::*;
use syncwire_leptos::proto::crdt::{GCounter, GCounterOp};
use syncwire_leptos::{
    Applied, ConnectionState, SyncClient, provide_persistent_sync_client, use_connection,
    use_sync_client, use_sync_doc,
};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::HtmlElement;

wasm_bindgen_test_configure!(run_in_browser);

/// The hub (baked in at compile time: the browser sees no environment).
const URL: &str = match option_env!("SYNCWIRE_LEPTOS_TEST_URL") {
    Some(u) => u,
    None => "ws://127.0.0.1:18734/sync",
};

/// Nothing listens here: every connection attempt fails (a hub that is down).
const DOWN: &str = "ws://127.0.0.1:18739/sync";

#[path = "../../driver-wasm/tests/support/fixtures.rs"]
mod fixtures;
use fixtures::{config, unique};

#[path = "../../driver-wasm/tests/support/wait.rs"]
mod wait;
use wait::wait_until;

fn host() -> HtmlElement {
    let doc = web_sys::window().unwrap().document().unwrap();
    let el: HtmlElement = doc.create_element("div").unwrap().unchecked_into();
    doc.body().unwrap().append_child(&el).unwrap();
    el
}

fn text(root: &HtmlElement, sel: &str) -> Option<String> {
    root.query_selector(sel).ok().flatten()?.text_content()
}

/// A persistent counter app: `add` is applied while the component is created,
/// which is before the client is open (asserted: it waits).
#[component]
fn SavedCounter(url: &'static str, key: String, room: String, add: u64) -> impl IntoView {
    provide_persistent_sync_client(url, config(), &key).expect("valid url");
    let ctx = use_sync_client();
    assert!(
        !ctx.is_open().get_untracked(),
        "the client opens on the event loop"
    );
    let counter = use_sync_doc::<GCounter>(&room).expect("joined");
    if add > 0 {
        let applied = counter.apply(GCounterOp::Increment(add)).expect("apply");
        assert_eq!(applied, Applied::Waiting, "queued until the client is open");
    }
    let connection = use_connection();
    view! {
        <span class="open">{move || ctx.is_open().get().to_string()}</span>
        <span class="state">{move || format!("{:?}", connection.get().state)}</span>
        <span class="value">{move || counter.doc().with(|c| c.value())}</span>
    }
}

fn mount(root: &HtmlElement, url: &'static str, key: &str, room: &str, add: u64) -> impl Drop {
    let (key, room) = (key.to_owned(), room.to_owned());
    mount_to(
        root.clone(),
        move || view! { <SavedCounter url=url key=key room=room add=add/> },
    )
}

#[wasm_bindgen_test]
async fn a_remounted_persistent_app_shows_its_saved_document_and_delivers_it() {
    let (key, room) = (unique("leptos-saved"), unique("leptos-saved-room"));

    // The hub is down: the operation applied while opening shows once it is open.
    let root = host();
    let app = mount(&root, DOWN, &key, &room, 3);
    wait_until("open, with the queued 3 applied", 10.0, || {
        text(&root, ".open").as_deref() == Some("true")
            && text(&root, ".value").as_deref() == Some("3")
    })
    .await;
    drop(app); // as a reload does: the client closes, its lock is released

    // Again with the hub down: the saved document is all there is to show.
    let root = host();
    let app = mount(&root, DOWN, &key, &room, 4);
    wait_until("the saved 3 plus the queued 4", 10.0, || {
        text(&root, ".value").as_deref() == Some("7")
    })
    .await;
    assert_ne!(text(&root, ".state").as_deref(), Some("Connected"));
    drop(app);

    // The hub is up: the unsent changes are delivered.
    let root = host();
    let _app = mount(&root, URL, &key, &room, 0);
    wait_until("connected, the saved 7 shown", 15.0, || {
        text(&root, ".value").as_deref() == Some("7")
            && text(&root, ".state").as_deref()
                == Some(&format!("{:?}", ConnectionState::Connected))
    })
    .await;
    let check = SyncClient::connect(URL, config()).expect("url");
    let doc = check.join::<GCounter>(&room).expect("join");
    wait_until("another client to see 7", 15.0, || {
        doc.read(|c| c.value()).expect("readable") == 7
    })
    .await;
}
