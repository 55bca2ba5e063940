//! The page's token getter: an optional JavaScript function, called before each
//! connection attempt (the first and every reconnect), returning the token for that
//! attempt's `Hello` as a string or a promise of one (`getToken` of
//! `SyncwireClient`, [`SyncClient::set_token_getter`](crate::SyncClient::set_token_getter)).
//! The I/O task waits for it at most [`GET_TOKEN_TIMEOUT_MS`]. A getter that answers
//! something else than a string (`null`, `undefined`) leaves the current token in
//! place; one that throws, rejects or times out fails the attempt, which is not made:
//! the session backs off and asks again before the next one. (Connecting with the old
//! token instead would, once it expired, get `unauthorized`, which stops the session
//! for good: a getter failing for a moment, as on a laptop waking up, would stop it.)

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

/// What the getter answered for one connection attempt.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum NextToken {
    /// No getter, or it answered no string: keep the current token.
    Keep,
    /// The token for this attempt.
    Token(String),
    /// It threw, rejected or did not answer in time: the attempt is not made.
    Failed(&'static str),
}

/// Asks the getter, if any, for the next token.
pub(crate) async fn next_token(getter: &TokenGetter) -> NextToken {
    let Some(get) = getter.borrow().clone() else {
        return NextToken::Keep;
    };
    let Ok(value) = get.call0(&JsValue::NULL) else {
        return NextToken::Failed("the token getter threw");
    };
    let answer = JsFuture::from(Promise::resolve(&value));
    let limit = Sleep::new(GET_TOKEN_TIMEOUT_MS);
    match select(answer, limit).await {
        Either::Left((Ok(token), _)) => token.as_string().map_or(NextToken::Keep, NextToken::Token),
        Either::Left((Err(_), _)) => NextToken::Failed("the token getter's promise was rejected"),
        Either::Right(_) => NextToken::Failed("the token getter did not answer within 10 s"),
    }
}
