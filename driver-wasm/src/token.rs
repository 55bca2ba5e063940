//! The page's token getter: an optional JavaScript function, called before each
//! connection attempt (the first and every reconnect), returning the token for that
//! attempt's `Hello` as a string or a promise of one (`getToken` of
//! `SyncwireClient`, [`SyncClient::set_token_getter`](crate::SyncClient::set_token_getter)).
//! The I/O task waits for it at most [`GET_TOKEN_TIMEOUT_MS`]; a getter that throws,
//! rejects, times out or returns something else than a string leaves the current
//! token in place.

use std::cell::RefCell;
use std::rc::Rc;

use futures_util::future::{Either, select};
use js_sys::{Function, Promise};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use crate::timer::Sleep;

/// Longest wait for the getter's promise, in milliseconds.
pub const GET_TOKEN_TIMEOUT_MS: f64 = 10_000.0;

/// The getter, shared by the client handle (which sets it) and its I/O task.
pub(crate) type TokenGetter = Rc<RefCell<Option<Function>>>;

/// Asks the getter, if any, for the next token (`None`: keep the current one).
pub(crate) async fn next_token(getter: &TokenGetter) -> Option<String> {
    let get = getter.borrow().clone()?;
    let value = get.call0(&JsValue::NULL).ok()?;
    let answer = JsFuture::from(Promise::resolve(&value));
    let limit = Sleep::new(GET_TOKEN_TIMEOUT_MS);
    match select(answer, limit).await {
        Either::Left((Ok(token), _)) => token.as_string(),
        _ => None,
    }
}
