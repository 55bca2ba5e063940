//! The Leptos example app: a shared todo list with presence, on
//! `syncwire-leptos` (client-side rendering). Each todo is a nested map
//! (`title`, `done`) under its id in the `OrMap` room `leptos-todos`; the page lists
//! the other tabs in that room by the name each gave as its user info.
//!
//! The session is saved in IndexedDB (`provide_persistent_sync_client`): a reload
//! shows the list and keeps unsent changes before the hub is reached.
//!
//! Built for the browser by `scripts/build-leptos-demo OUT_DIR` (`wasm-bindgen
//! --target web` on this example, plus `index.html` and `style.css`), served by
//! `syncwire serve --static-dir OUT_DIR`; the page connects to `/sync` on its own
//! host. Tested end to end by `e2e/leptos-todo.test.mjs`.

#[cfg(target_arch = "wasm32")]
fn main() {
    leptos::mount::mount_to_body(app::App);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}

#[cfg(target_arch = "wasm32")]
mod app {
    use leptos::prelude::*;
    use syncwire_leptos::proto::crdt::{MapOp, OrMap, Value};
    use syncwire_leptos::{
        ClientConfig, ConnectionState, SyncDoc, provide_persistent_sync_client, use_connection,
        use_presence, use_sync_doc,
    };

    /// The room of the list.
    const ROOM: &str = "leptos-todos";

    /// Where the session is saved (IndexedDB database `syncwire:leptos-todo`).
    const STORAGE_KEY: &str = "leptos-todo";

    /// One todo, as shown.
    #[derive(Clone, Debug, PartialEq)]
    struct Todo {
        id: String,
        title: String,
        done: bool,
    }

    /// The todos of the map, oldest first (ids start with the creation time).
    fn todos(map: &OrMap) -> Vec<Todo> {
        let Value::Map(entries) = map.to_value() else {
            return Vec::new();
        };
        entries
            .into_iter()
            .map(|(id, fields)| {
                let field = |name: &str| match &fields {
                    Value::Map(f) => f.get(name).cloned().unwrap_or_default(),
                    _ => Value::Null,
                };
                let title = match field("title") {
                    Value::Text(t) => t,
                    _ => String::new(),
                };
                let done = matches!(field("done"), Value::Bool(true));
                Todo { id, title, done }
            })
            .collect()
    }

    /// The hub's WebSocket endpoint on the host that served the page.
    fn sync_url() -> String {
        let location = web_sys::window().expect("a window").location();
        let scheme = match location.protocol().as_deref() {
            Ok("https:") => "wss",
            _ => "ws",
        };
        format!("{scheme}://{}/sync", location.host().expect("a host"))
    }

    /// A short random number (names and ids).
    fn random(below: f64) -> u64 {
        (js_sys::Math::random() * below) as u64
    }

    /// Applies `op`, logging a refusal (e.g. a full outbox) to the console.
    fn apply(list: SyncDoc<OrMap>, op: MapOp) {
        if let Err(e) = list.apply(op) {
            leptos::logging::error!("todo change refused: {e}");
        }
    }

    /// The page.
    #[component]
    pub fn App() -> impl IntoView {
        let name = format!("tab {}", 1000 + random(9000.0));
        let config = ClientConfig {
            user_info: Some(name.clone().into_bytes().into()),
            ..ClientConfig::default()
        };
        // Saved in IndexedDB (a reload keeps the list and unsent changes, and
        // continues this tab's replica); the list shows before any connection.
        let ctx = provide_persistent_sync_client(sync_url(), config, STORAGE_KEY)
            .expect("the page's ws:// URL");
        let list = use_sync_doc::<OrMap>(ROOM).expect("the todo room");
        let connection = use_connection();
        let presence = use_presence(ROOM);
        let (draft, set_draft) = signal(String::new());

        let add = move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let title = draft.get_untracked().trim().to_owned();
            if title.is_empty() {
                return;
            }
            let id = format!("{:013}-{:06}", js_sys::Date::now() as u64, random(1e6));
            apply(list, MapOp::nested(&id, MapOp::set("title", title)));
            apply(list, MapOp::nested(&id, MapOp::set("done", false)));
            set_draft.set(String::new());
        };
        let rows =
            move || {
                list.doc().with(todos).into_iter().map(|todo| {
                let Todo { id, title, done } = todo;
                let (toggle_id, remove_id) = (id.clone(), id);
                view! {
                    <li class:done=done>
                        <input type="checkbox" prop:checked=done on:change=move |_| {
                            apply(list, MapOp::nested(&toggle_id, MapOp::set("done", !done)));
                        }/>
                        <span class="title">{title}</span>
                        <button class="remove" aria-label="remove" on:click=move |_| {
                            apply(list, MapOp::remove(&remove_id));
                        }>"×"</button>
                    </li>
                }
            }).collect_view()
            };
        let state = move || match connection.get().state {
            ConnectionState::Connecting => "Connecting",
            ConnectionState::Connected => "Connected",
            ConnectionState::Offline => "Offline",
            ConnectionState::Reconnecting => "Reconnecting",
        };
        let peers = move || {
            presence
                .get()
                .peers
                .values()
                .map(|p| {
                    let name = p
                        .name()
                        .unwrap_or_else(|| format!("replica {}", p.replica.0));
                    view! { <li>{name}</li> }
                })
                .collect_view()
        };

        view! {
            <header>
                <h1>"syncwire + Leptos"</h1>
                <span id="state" class=move || format!("state {}", state())>{state}</span>
                <span id="restored" data-open=move || ctx.is_open().get().to_string()></span>
                <span id="error">{move || {
                    // Why the connection is down (the last error stays known after).
                    let c = connection.get();
                    let down = c.state != ConnectionState::Connected;
                    c.last_error.filter(|_| down).unwrap_or_default()
                }}</span>
            </header>
            <main>
                <section>
                    <h2>"Shared todo list"</h2>
                    <form id="todo-form" on:submit=add>
                        <input id="todo-input" placeholder="What needs doing?" autocomplete="off"
                            prop:value=draft on:input=move |ev| set_draft.set(event_target_value(&ev))/>
                        <button id="todo-add" type="submit">"Add"</button>
                    </form>
                    <ul id="todos">{rows}</ul>
                </section>
                <section>
                    <h2>"Here now"</h2>
                    <ul id="presence">
                        <li class="self">{name}" (this tab)"</li>
                        {peers}
                    </ul>
                </section>
            </main>
        }
    }
}
