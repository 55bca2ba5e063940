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
//! The lock and `sessionStorage` calls are in `src/idb.js` (see [`crate::idb`]).

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::idb::Db;

#[wasm_bindgen(module = "/src/idb.js")]
extern "C" {
    #[wasm_bindgen(js_name = lockTry)]
    fn lock_try(name: &str, wait_ms: u32) -> Promise;
    #[wasm_bindgen(js_name = tabGet)]
    fn tab_get(key: &str) -> f64;
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

/// The `sessionStorage` entry of the tab's replica id.
fn session_key(key: &str) -> String {
    format!("syncwire:{key}:replica")
}

/// Remembers `replica` as this tab's (for its next reload).
pub(crate) fn remember(key: &str, replica: u64) {
    tab_set(&session_key(key), replica as f64);
}

/// Takes the lock of `replica` under `key` if no other tab holds it, waiting up
/// to `wait_ms` for it.
async fn lock(key: &str, replica: u64, wait_ms: u32) -> Option<TabLock> {
    let name = format!("syncwire:{key}:{replica}");
    let release = JsFuture::from(lock_try(&name, wait_ms)).await.ok()?;
    let release = release.dyn_into::<Function>().ok()?;
    Some(TabLock { release })
}

/// Takes the lock of `replica` under `key` if no other tab holds it.
pub(crate) async fn try_lock(key: &str, replica: u64) -> Option<TabLock> {
    lock(key, replica, 0).await
}

/// The replica this tab continues, and its lock; `None`: take a fresh id. With
/// `configured`, that id or an error message if another tab holds it.
pub(crate) async fn claim(
    db: &Db,
    key: &str,
    configured: Option<u64>,
) -> Result<Option<(u64, TabLock)>, String> {
    if let Some(id) = configured {
        return match lock(key, id, RELOAD_GRACE_MS).await {
            Some(lock) => Ok(Some((id, lock))),
            None => Err(format!("replica {id} is in use by another tab")),
        };
    }
    let mine = tab_get(&session_key(key)) as u64;
    if mine != 0 {
        if let Some(lock) = lock(key, mine, RELOAD_GRACE_MS).await {
            return Ok(Some((mine, lock)));
        }
    }
    // A duplicated tab (its sessionStorage names a replica another tab holds), a
    // new tab or window: adopt a replica no live tab holds, if any.
    for id in crate::idb::replicas(db).await.unwrap_or_default() {
        if id != mine {
            if let Some(lock) = try_lock(key, id).await {
                return Ok(Some((id, lock)));
            }
        }
    }
    Ok(None)
}
