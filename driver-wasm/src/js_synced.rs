//! `synced()` on the JavaScript document handles (`SyncwireCounter`, `SyncwireMap`,
//! and `SyncwireYdoc` with `ydoc`): a promise that resolves once the room caught up
//! with the hub (what the hub held when this session joined is applied), the
//! JavaScript form of [`Doc::synced`](crate::Doc::synced).
//!
//! ```js
//! const todos = client.joinMap("todos");
//! try {
//!   await todos.synced();          // the hub's list is here
//! } catch (e) {
//!   console.log(e.code);           // e.g. "forbidden", "crdt_mismatch"; "closed"
//! }
//! ```
//!
//! It rejects with an `Error` whose `code` names why: the snake_case name of the
//! hub's refusal code (`forbidden`, `crdt_mismatch`, `too_many_rooms`, ...;
//! `unknown_<n>` for a code this build does not know), or `closed` when the session
//! ends first. It waits as long as the session is offline (bound it with
//! `Promise.race` and a timer if the page needs a limit).

use js_sys::{Promise, Reflect};
use syncwire_proto::crdt::DeltaCrdt;
use wasm_bindgen::prelude::*;

use crate::js::{JsCounter, JsMap};
use crate::{Doc, DriverError};

/// The promise of [`Doc::synced`] for `doc`.
pub(crate) fn synced<C: DeltaCrdt>(doc: &Doc<C>) -> Promise {
    let doc = doc.clone();
    wasm_bindgen_futures::future_to_promise(async move {
        match doc.synced().await {
            Ok(()) => Ok(JsValue::UNDEFINED),
            Err(e) => Err(refusal(&e)),
        }
    })
}

/// The rejection value: an `Error` with the message and a `code`.
fn refusal(e: &DriverError) -> JsValue {
    let code = match e {
        DriverError::JoinRefused(code) => match code.name() {
            Some(name) => name.to_owned(),
            None => format!("unknown_{}", code.0),
        },
        DriverError::Closed => "closed".to_owned(),
        _ => "error".to_owned(),
    };
    let error = js_sys::Error::new(&e.to_string());
    let _ = Reflect::set(&error, &"code".into(), &code.into());
    error.into()
}

#[wasm_bindgen(js_class = SyncwireCounter)]
impl JsCounter {
    /// Resolves once the room caught up with the hub; rejects with an `Error` whose
    /// `code` says why the hub refused the join (or `closed`).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn synced(&self) -> Promise {
        synced(&self.doc)
    }
}

#[wasm_bindgen(js_class = SyncwireMap)]
impl JsMap {
    /// Resolves once the room caught up with the hub; rejects with an `Error` whose
    /// `code` says why the hub refused the join (or `closed`).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn synced(&self) -> Promise {
        synced(&self.doc)
    }
}
