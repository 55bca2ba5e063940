//! The JavaScript API for plain pages (exported through wasm-bindgen):
//!
//! ```js
//! import init, { SyncwireClient } from "./syncwire_wasm.js";
//! await init();
//! // Saved in IndexedDB under a replica id of this tab's own (a reload continues it).
//! const client = await SyncwireClient.open("ws://127.0.0.1:8080/sync", { storageKey: "syncwire",
//!     name: "tab", getToken: async () => (await fetch("/token")).text() });  // or token: "…"
//! client.replicaId();                                    // e.g. 3141592653589793 (< 2^53)
//! client.onEvent(ev => console.log(ev.type, ev));       // state, peerJoined, presence, ...
//! const counter = client.joinCounter("counter");         // a PN-counter
//! counter.onChange(() => render(counter.value()));
//! counter.increment(1);
//! const todos = client.joinMap("todos");                 // a map of nested CRDTs
//! await todos.synced();                                  // caught up with the hub (js_synced)
//! todos.setIn("t1", "title", "buy milk");
//! todos.toJSON();                                        // { t1: { title: "buy milk" } }
//! ```
//!
//! `SyncwireClient.open(urls, { storageKey })` (`js_open`) saves the session in
//! IndexedDB under a replica of the tab's own and takes several hub URLs. The
//! constructor (`new SyncwireClient(url, ...)`) is deprecated: without a storage
//! key it is `open` without one; with a storage key it keeps the older single
//! `localStorage` entry (a constructor cannot wait for IndexedDB) and warns.
//!
//! With a fresh replica id (no id given, nothing saved yet) or a restored room,
//! every operation is applied locally at once and its save started (if a storage
//! key was given) before it returns: issued to IndexedDB within the same task (or,
//! with the deprecated constructor, written synchronously to `localStorage`). With
//! an id of the page's choosing, operations on a newly joined room wait (in memory,
//! not saved) until the room caught up with the hub (event `caughtUp`), so they
//! build on what that replica wrote before.

use std::rc::Rc;

use bytes::Bytes;
use futures_util::StreamExt;
use js_sys::Function;
use syncwire_proto::crdt::{MapOp, OrMap, PnCounter, PnCounterOp};
use wasm_bindgen::prelude::*;

use crate::js_open::{read_options, replica_id, storage_event_to_js};
use crate::js_value::{event_to_js, from_js, to_js};
use crate::{ClientConfig, Doc, DriverError, SyncClient};

/// What the constructor says on the console when given a storage key.
const DEPRECATED_STORAGE_KEY: &str = "syncwire: new SyncwireClient(url, replica, storageKey) \
saves in localStorage and is deprecated; use await SyncwireClient.open(url, { storageKey }) \
(IndexedDB, a replica per tab; it migrates the localStorage save once)";

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console)]
    fn warn(message: &str);
}

/// The deprecated constructor form with a storage key: the session in one
/// `localStorage` entry, with a warning on the console.
#[allow(deprecated)]
fn connect_local_storage(
    url: &str,
    config: ClientConfig,
    key: &str,
) -> Result<SyncClient, DriverError> {
    warn(DEPRECATED_STORAGE_KEY);
    SyncClient::connect_persistent(url, config, key)
}

fn js_err(e: DriverError) -> JsError {
    JsError::new(&e.to_string())
}

/// A syncwire session for JavaScript; see the module docs.
#[wasm_bindgen(js_name = SyncwireClient)]
pub struct JsClient {
    pub(crate) client: Rc<SyncClient>,
}

#[wasm_bindgen(js_class = SyncwireClient)]
impl JsClient {
    /// Connects to `url` (deprecated: see below). `replica` is the replica id:
    /// `undefined`/`null` (the default) for a fresh random one (with `storageKey`:
    /// the one saved there, if any), or a positive integer below 2^53 of the page's
    /// choosing (unique per tab). Without `storageKey` the session is kept in
    /// memory (as `SyncwireClient.open(url)` does). `name` is shown
    /// to peers (presence). `options` (optional object): `token`, the credential
    /// sent in the `Hello` (docs/AUTH.md), and `getToken`, a function returning a
    /// token string or a promise of one, called before every connection attempt
    /// (the first included; anything but a string keeps the current token; a
    /// throw, a rejection or no answer within 10 s skips that attempt: the client
    /// backs off and asks again).
    ///
    /// @deprecated Use `await SyncwireClient.open(urls, options)`: with
    /// `storageKey` it saves the session in IndexedDB (a record per room and per
    /// unsent delta, restored before connecting, a replica of the tab's own). A
    /// constructor cannot wait for IndexedDB or a Web Lock, so `storageKey` here
    /// keeps the older form, the whole session in one `localStorage` entry, with a
    /// warning on the console; `open` with the same key migrates that save once.
    #[wasm_bindgen(constructor)]
    pub fn new(
        url: &str,
        replica: Option<f64>,
        storage_key: Option<String>,
        name: Option<String>,
        #[wasm_bindgen(unchecked_optional_param_type = "SyncwireOptions | null")] options: Option<
            js_sys::Object,
        >,
    ) -> Result<JsClient, JsError> {
        let mut config = ClientConfig::default();
        let get_token = read_options(&mut config, options.as_ref())?;
        if let Some(replica) = replica {
            config.replica = Some(replica_id(replica)?);
        }
        config.user_info = name.map(|n| Bytes::from(n.into_bytes()));
        let client = match storage_key {
            Some(key) => connect_local_storage(url, config, &key),
            None => SyncClient::connect(url, config),
        }
        .map_err(js_err)?;
        client.set_token_getter(get_token);
        Ok(JsClient {
            client: Rc::new(client),
        })
    }

    /// The lifecycle state: `Disconnected`, `Connecting`, `Handshaking`,
    /// `Connected`, `Backoff`, `Closed` or `Failed`.
    #[wasm_bindgen(unchecked_return_type = "SyncwireState")]
    pub fn state(&self) -> String {
        crate::js_value::state_name(self.client.state()).to_owned()
    }

    /// Local changes not yet acknowledged by the hub (including operations
    /// waiting for their room to catch up).
    #[wasm_bindgen(js_name = outboxLen)]
    pub fn outbox_len(&self) -> usize {
        self.client.unacknowledged()
    }

    /// The replica id this session speaks for (a number below 2^53, exact).
    #[wasm_bindgen(js_name = replicaId)]
    pub fn replica_id(&self) -> f64 {
        self.client.replica().0 as f64
    }

    /// Reconnections made so far.
    pub fn reconnects(&self) -> f64 {
        self.client.metrics().reconnects as f64
    }

    /// Calls `callback(event)` for every session event: an object with `type`
    /// (`state`, `joined`, `resync`, `caughtUp`, `delta`, `acked`, `rejected`, `peerJoined`,
    /// `peerLeft`, `peerCount`, `presence`, `error`; with IndexedDB, `storageFailed`
    /// and `storageRecovered`) and its fields.
    #[wasm_bindgen(js_name = onEvent)]
    pub fn on_event(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(event: SyncwireEvent) => void")] callback: Function,
    ) {
        let mut events = self.client.events();
        let mut storage = self.client.storage_events();
        let cb = callback.clone();
        wasm_bindgen_futures::spawn_local(async move {
            while let Some(ev) = storage.next().await {
                let _ = cb.call1(&JsValue::NULL, &storage_event_to_js(&ev));
            }
        });
        wasm_bindgen_futures::spawn_local(async move {
            while let Some(ev) = events.next().await {
                let _ = callback.call1(&JsValue::NULL, &event_to_js(&ev));
            }
        });
    }

    /// Joins `room` as a counter that goes up and down.
    #[wasm_bindgen(js_name = joinCounter)]
    pub fn join_counter(&self, room: &str) -> Result<JsCounter, JsError> {
        let doc = self.client.join::<PnCounter>(room).map_err(js_err)?;
        Ok(JsCounter {
            doc,
            client: self.client.clone(),
        })
    }

    /// Joins `room` as a map of nested CRDT values.
    #[wasm_bindgen(js_name = joinMap)]
    pub fn join_map(&self, room: &str) -> Result<JsMap, JsError> {
        let doc = self.client.join::<OrMap>(room).map_err(js_err)?;
        Ok(JsMap {
            doc,
            client: self.client.clone(),
        })
    }

    /// Forgets the saved session (a reload starts afresh).
    #[wasm_bindgen(js_name = clearSaved)]
    pub fn clear_saved(&self) {
        self.client.clear_saved();
    }
}

fn watch<C: syncwire_proto::crdt::DeltaCrdt>(doc: &Doc<C>, callback: Function) {
    let mut changes = doc.changes();
    wasm_bindgen_futures::spawn_local(async move {
        while changes.next().await.is_some() {
            let _ = callback.call0(&JsValue::NULL);
        }
    });
}

fn set_presence<C: syncwire_proto::crdt::DeltaCrdt>(
    doc: &Doc<C>,
    state: &str,
) -> Result<(), JsError> {
    doc.set_presence(Bytes::from(state.as_bytes().to_vec()))
        .map_err(js_err)
}

/// A shared counter (PN-counter).
#[wasm_bindgen(js_name = SyncwireCounter)]
pub struct JsCounter {
    pub(crate) doc: Doc<PnCounter>,
    client: Rc<SyncClient>,
}

#[wasm_bindgen(js_class = SyncwireCounter)]
impl JsCounter {
    /// Adds `by` (negative to subtract).
    pub fn increment(&self, by: i32) -> Result<(), JsError> {
        let op = if by >= 0 {
            PnCounterOp::Increment(u64::from(by.unsigned_abs()))
        } else {
            PnCounterOp::Decrement(u64::from(by.unsigned_abs()))
        };
        self.doc.apply(op).map_err(js_err)?;
        self.client.save();
        Ok(())
    }

    /// The current value.
    pub fn value(&self) -> Result<f64, JsError> {
        self.doc.read(|c| c.value() as f64).map_err(js_err)
    }

    /// Calls `callback()` whenever the value changed (coalesced).
    #[wasm_bindgen(js_name = onChange)]
    pub fn on_change(
        &self,
        #[wasm_bindgen(unchecked_param_type = "() => void")] callback: Function,
    ) {
        watch(&self.doc, callback);
    }

    /// Sets this tab's presence text in the room (seen by peers, never stored).
    #[wasm_bindgen(js_name = setPresence)]
    pub fn set_presence(&self, state: &str) -> Result<(), JsError> {
        set_presence(&self.doc, state)
    }
}

/// A shared map of nested CRDT values.
#[wasm_bindgen(js_name = SyncwireMap)]
pub struct JsMap {
    pub(crate) doc: Doc<OrMap>,
    client: Rc<SyncClient>,
}

#[wasm_bindgen(js_class = SyncwireMap)]
impl JsMap {
    /// Sets the register under `key` to `value` (string, number, boolean, null,
    /// array or plain object).
    pub fn set(
        &self,
        key: &str,
        #[wasm_bindgen(unchecked_param_type = "SyncwireInput")] value: JsValue,
    ) -> Result<(), JsError> {
        self.apply(MapOp::set(key, from_js(&value)?))
    }

    /// Sets the register `field` of the nested map under `key`.
    #[wasm_bindgen(js_name = setIn)]
    pub fn set_in(
        &self,
        key: &str,
        field: &str,
        #[wasm_bindgen(unchecked_param_type = "SyncwireInput")] value: JsValue,
    ) -> Result<(), JsError> {
        self.apply(MapOp::nested(key, MapOp::set(field, from_js(&value)?)))
    }

    /// Removes `key` (as seen locally; a concurrent update keeps it).
    pub fn remove(&self, key: &str) -> Result<(), JsError> {
        self.apply(MapOp::remove(key))
    }

    /// The whole map as a plain JavaScript object.
    #[wasm_bindgen(js_name = toJSON, unchecked_return_type = "{ [key: string]: SyncwireValue }")]
    pub fn to_json(&self) -> Result<JsValue, JsError> {
        let value = self.doc.read(|m| m.to_value()).map_err(js_err)?;
        Ok(to_js(&value))
    }

    /// Calls `callback()` whenever the map changed (coalesced).
    #[wasm_bindgen(js_name = onChange)]
    pub fn on_change(
        &self,
        #[wasm_bindgen(unchecked_param_type = "() => void")] callback: Function,
    ) {
        watch(&self.doc, callback);
    }

    fn apply(&self, op: MapOp) -> Result<(), JsError> {
        self.doc.apply(op).map_err(js_err)?;
        self.client.save();
        Ok(())
    }
}
