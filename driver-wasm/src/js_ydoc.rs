//! The JavaScript API of `ydoc` rooms (cargo feature `ydoc`; the package
//! `scripts/build-pkg --ydoc` builds): `SyncwireClient.joinYdoc(room)` gives a
//! `SyncwireYdoc`, the Yjs update stream of the room for a `Y.Doc` on the page (npm
//! `yjs`), so a page binds the document to any Yjs editor binding:
//!
//! ```js
//! import * as Y from "yjs";
//! const room = client.joinYdoc("notes");
//! const doc = new Y.Doc();
//! // At once the whole document, then every change the page does not have yet.
//! room.onUpdate((update) => Y.applyUpdate(doc, update, room));
//! // The page's own changes go to the room (not those it got from the room).
//! doc.on("update", (update, origin) => { if (origin !== room) room.applyUpdate(update); });
//! doc.getText("t").insert(0, "hello");
//! room.text("t");                    // "hello": the replica's own copy, read in Rust (yrs)
//! ```
//!
//! The replica's document is proto's `YDoc` (yrs) like every `ydoc` room's; the page's
//! `Y.Doc` is a second copy kept up to date by the driver-core update stream
//! ([`YUpdates`](crate::YUpdates)): no CRDT logic lives here.

use std::cell::RefCell;
use std::rc::Rc;

use bytes::Bytes;
use futures_util::StreamExt;
use js_sys::{Function, Uint8Array};
use syncwire_proto::crdt::YDoc;
use wasm_bindgen::prelude::*;

use crate::js::JsClient;
use crate::{Doc, DriverError, SyncClient, YUpdates};

fn js_err(e: DriverError) -> JsError {
    JsError::new(&e.to_string())
}

#[wasm_bindgen(js_class = SyncwireClient)]
impl JsClient {
    /// Joins `room` as a Yjs document (`ydoc`; the server must accept `ydoc` rooms).
    #[wasm_bindgen(js_name = joinYdoc)]
    pub fn join_ydoc(&self, room: &str) -> Result<JsYdoc, JsError> {
        let doc = self.client.join::<YDoc>(room).map_err(js_err)?;
        Ok(JsYdoc {
            feed: Rc::new(RefCell::new(Feed {
                updates: doc.updates(),
                callback: None,
                running: false,
            })),
            doc,
            client: self.client.clone(),
        })
    }
}

/// What `onUpdate` hands out: the update stream and its callback.
struct Feed {
    updates: YUpdates,
    callback: Option<Function>,
    running: bool,
}

/// A shared Yjs document (a `ydoc` room); see the module docs.
#[wasm_bindgen(js_name = SyncwireYdoc)]
pub struct JsYdoc {
    doc: Doc<YDoc>,
    feed: Rc<RefCell<Feed>>,
    client: Rc<SyncClient>,
}

#[wasm_bindgen(js_class = SyncwireYdoc)]
impl JsYdoc {
    /// Resolves once the room caught up with the hub; rejects with an `Error` whose
    /// `code` says why the hub refused the join (or `closed`); see `js_synced`.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn synced(&self) -> js_sys::Promise {
        crate::js_synced::synced(&self.doc)
    }

    /// Sends a Yjs v1 update made on the page (`doc.on("update", ...)`) as this
    /// replica's change: applied to the replica's document at once, queued for the
    /// hub and saved. Checked as the hub checks payloads (an error, nothing changes).
    /// It is not handed back through `onUpdate`.
    #[wasm_bindgen(js_name = applyUpdate)]
    pub fn apply_update(&self, update: &[u8]) -> Result<(), JsError> {
        self.feed
            .borrow_mut()
            .updates
            .apply_local(update.to_vec())
            .map_err(js_err)?;
        self.client.save();
        Ok(())
    }

    /// Calls `callback(update)` at once with the whole document as one Yjs v1 update,
    /// then, after every change, with what the page does not have yet (remote deltas,
    /// a resync; coalesced), for `Y.applyUpdate`. A second call replaces the callback
    /// and starts again from the whole document.
    #[wasm_bindgen(js_name = onUpdate)]
    pub fn on_update(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(update: Uint8Array) => void")] callback: Function,
    ) -> Result<(), JsError> {
        let (whole, start) = {
            let mut feed = self.feed.borrow_mut();
            feed.updates = self.doc.updates();
            feed.callback = Some(callback.clone());
            let whole = feed.updates.take_update().map_err(js_err)?;
            (whole, !std::mem::replace(&mut feed.running, true))
        };
        if let Some(update) = whole {
            let _ = callback.call1(&JsValue::NULL, &Uint8Array::from(&update[..]));
        }
        if start {
            let feed = self.feed.clone();
            let mut changes = self.doc.changes();
            wasm_bindgen_futures::spawn_local(async move {
                while changes.next().await.is_some() {
                    let (update, callback) = {
                        let mut feed = feed.borrow_mut();
                        (feed.updates.take_update(), feed.callback.clone())
                    };
                    if let (Ok(Some(update)), Some(cb)) = (update, callback) {
                        let _ = cb.call1(&JsValue::NULL, &Uint8Array::from(&update[..]));
                    }
                }
            });
        }
        Ok(())
    }

    /// The whole document as one Yjs v1 update (`Y.applyUpdate` on a new `Y.Doc`
    /// reproduces it).
    #[wasm_bindgen(js_name = encodeState)]
    pub fn encode_state(&self) -> Result<Vec<u8>, JsError> {
        self.doc.encode_state().map_err(js_err)
    }

    /// The document's state vector, v1-encoded (`Y.encodeStateVector`).
    #[wasm_bindgen(js_name = stateVector)]
    pub fn state_vector(&self) -> Result<Vec<u8>, JsError> {
        self.doc.read(|d| d.state_vector_v1()).map_err(js_err)
    }

    /// The text of the root text type `name` in the replica's document ("" if
    /// absent).
    pub fn text(&self, name: &str) -> Result<String, JsError> {
        self.doc.read(|d| d.text(name)).map_err(js_err)
    }

    /// Calls `callback()` whenever the replica's document changed (coalesced).
    #[wasm_bindgen(js_name = onChange)]
    pub fn on_change(
        &self,
        #[wasm_bindgen(unchecked_param_type = "() => void")] callback: Function,
    ) {
        let mut changes = self.doc.changes();
        wasm_bindgen_futures::spawn_local(async move {
            while changes.next().await.is_some() {
                let _ = callback.call0(&JsValue::NULL);
            }
        });
    }

    /// Sets this tab's presence text in the room (seen by peers, never stored).
    #[wasm_bindgen(js_name = setPresence)]
    pub fn set_presence(&self, state: &str) -> Result<(), JsError> {
        self.doc
            .set_presence(Bytes::from(state.as_bytes().to_vec()))
            .map_err(js_err)
    }
}
