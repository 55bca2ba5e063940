//! Tab identity: which replica a tab speaks for, so that no two live tabs of a
//! browser profile ever share one (the hub refuses a second session of a replica).
//!
//! A tab owns a replica while it holds the Web Lock `syncwire:<key>:<replica>`
//! (`navigator.locks`, held until the client is dropped or the page goes away;
//! the browser releases it when the tab closes, reloads or crashes). The id a tab
//! last used is kept in `sessionStorage` (survives a reload, but is copied into a
//! duplicated tab). [`claim`] picks, in order:
//!
//! 1. the id the page configured, if any (its lock must be free);
//! 2. the tab's id from `sessionStorage`, if its lock is free — a reload; the lock
//!    of the unloading page is waited for a little ([`RELOAD_GRACE_MS`]);
//! 3. a replica saved under the key whose lock is free — an orphan, left by a tab
//!    that closed; adopting it restores its documents and sends its unacknowledged
//!    deltas (a duplicated tab or a new window thus picks up what a closed tab
//!    left unsent);
//! 4. nothing: the caller draws a fresh id and locks it.
//!
//! Only the lock holder restores a replica's outbox, so every saved delta has
//! exactly one sender at a time. Without `navigator.locks` (an old browser, an
//! insecure context) every claim succeeds: the `sessionStorage` id is used as is.
//! The order is carried out by `tabClaim` in `src/idb.js` (see [`crate::idb`]
//! for why JavaScript), with the lock and `sessionStorage` calls.

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::idb::Db;

#[wasm_bindgen(module = "/src/idb.js")]
extern "C" {
    #[wasm_bindgen(js_name = lockTry)]
    fn lock_try(name: &str, wait_ms: u32) -> Promise;
    #[wasm_bindgen(js_name = tabClaim)]
    fn tab_claim(db: &Db, key: &str, configured: f64, grace_ms: u32) -> Promise;
    #[wasm_bindgen(js_name = tabSet)]
    fn tab_set(key: &str, id: f64);
}

/// How long a reloaded tab waits for the lock its previous page held (which
/// the browser releases as that page unloads).
pub const RELOAD_GRACE_MS: u32 = 1000;

/// A held lock; dropping it releases the replica.
#[derive(Debug)]
pub(crate) struct TabLock {
    release: Function,
}

impl Drop for TabLock {
    fn drop(&mut self) {
        let _ = self.release.call0(&JsValue::NULL);
    }
}

/// Remembers `replica` as this tab's (for its next reload).
pub(crate) fn remember(key: &str, replica: u64) {
    tab_set(&format!("syncwire:{key}:replica"), replica as f64);
}

/// Takes the lock of `replica` under `key` if no other tab holds it.
pub(crate) async fn try_lock(key: &str, replica: u64) -> Option<TabLock> {
    let name = format!("syncwire:{key}:{replica}");
    let release = JsFuture::from(lock_try(&name, 0)).await.ok()?;
    let release = release.dyn_into::<Function>().ok()?;
    Some(TabLock { release })
}

/// The replica this tab continues, and its lock; `None`: take a fresh id. With
/// `configured`, that id or an error message if another tab holds it.
pub(crate) async fn claim(
    db: &Db,
    key: &str,
    configured: Option<u64>,
) -> Result<Option<(u64, TabLock)>, String> {
    let wanted = configured.unwrap_or(0) as f64;
    let got = JsFuture::from(tab_claim(db, key, wanted, RELOAD_GRACE_MS))
        .await
        .map_err(|_| "the tab could not claim a replica".to_owned())?;
    let got = js_sys::Array::from(&got);
    let id = got.get(0).as_f64().unwrap_or_default() as u64;
    match got.get(1).dyn_into::<Function>() {
        Ok(release) => Ok(Some((id, TabLock { release }))),
        Err(_) if configured.is_some() => Err(format!("replica {id} is in use by another tab")),
        Err(_) => Ok(None),
    }
}
