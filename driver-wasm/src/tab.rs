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

use futures_channel::oneshot;
use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::IdbDatabase;

use crate::timer::Sleep;

/// How long a reloaded tab waits for the lock its previous page held (which
/// the browser releases as that page unloads), in 50 ms steps.
pub const RELOAD_GRACE_MS: u32 = 1000;

/// A held lock; dropping it releases the replica.
#[derive(Debug)]
pub(crate) struct TabLock {
    release: Option<Function>,
}

impl Drop for TabLock {
    fn drop(&mut self) {
        if let Some(release) = self.release.take() {
            let _ = release.call0(&JsValue::NULL);
        }
    }
}

/// The `sessionStorage` entry of the tab's replica id.
fn session_key(key: &str) -> String {
    format!("syncwire:{key}:replica")
}

/// Remembers `replica` as this tab's (for its next reload).
pub(crate) fn remember(key: &str, replica: u64) {
    if let Some(s) = web_sys::window().and_then(|w| w.session_storage().ok().flatten()) {
        let _ = s.set_item(&session_key(key), &replica.to_string());
    }
}

fn remembered(key: &str) -> Option<u64> {
    let s = web_sys::window()?.session_storage().ok()??;
    s.get_item(&session_key(key)).ok()??.parse().ok()
}

/// Takes the lock of `replica` under `key` if no other tab holds it.
pub(crate) async fn try_lock(key: &str, replica: u64) -> Option<TabLock> {
    let navigator = web_sys::window()?.navigator();
    let locks = Reflect::get(&navigator, &"locks".into()).ok()?;
    let Ok(request) = Reflect::get(&locks, &"request".into())
        .and_then(|f| f.dyn_into::<Function>().map_err(Into::into))
    else {
        // No Web Locks: nothing to coordinate with.
        return Some(TabLock { release: None });
    };
    let (tx, rx) = oneshot::channel::<Option<Function>>();
    // Called once with the lock (or null, when taken); the lock is held until
    // the returned promise settles, which `TabLock`'s drop does.
    let granted = Closure::once_into_js(move |lock: JsValue| -> Promise {
        if lock.is_null() {
            let _ = tx.send(None);
            return Promise::resolve(&JsValue::UNDEFINED);
        }
        let mut release = None;
        let held = Promise::new(&mut |resolve, _| release = Some(resolve));
        let _ = tx.send(release);
        held
    });
    let options = Object::new();
    Reflect::set(&options, &"ifAvailable".into(), &JsValue::TRUE).ok()?;
    let name = JsValue::from(format!("syncwire:{key}:{replica}"));
    request.call3(&locks, &name, &options, &granted).ok()?;
    rx.await
        .ok()
        .flatten()
        .map(|f| TabLock { release: Some(f) })
}

/// Like [`try_lock`], but waits up to [`RELOAD_GRACE_MS`] for a lock held by the
/// page this one replaces.
async fn lock_after_reload(key: &str, replica: u64) -> Option<TabLock> {
    for _ in 0..RELOAD_GRACE_MS / 50 {
        if let Some(lock) = try_lock(key, replica).await {
            return Some(lock);
        }
        Sleep::new(50.0).await;
    }
    try_lock(key, replica).await
}

/// The replica this tab continues, and its lock; `None`: take a fresh id. With
/// `configured`, that id or an error message if another tab holds it.
pub(crate) async fn claim(
    db: &IdbDatabase,
    key: &str,
    configured: Option<u64>,
) -> Result<Option<(u64, TabLock)>, String> {
    if let Some(id) = configured {
        return match lock_after_reload(key, id).await {
            Some(lock) => Ok(Some((id, lock))),
            None => Err(format!("replica {id} is in use by another tab")),
        };
    }
    let mine = remembered(key);
    if let Some(id) = mine {
        if let Some(lock) = lock_after_reload(key, id).await {
            return Ok(Some((id, lock)));
        }
    }
    // A duplicated tab (its sessionStorage names a replica another tab holds), a
    // new tab or window: adopt a replica no live tab holds, if any.
    for id in crate::idb::replicas(db).await.unwrap_or_default() {
        if Some(id) != mine {
            if let Some(lock) = try_lock(key, id).await {
                return Ok(Some((id, lock)));
            }
        }
    }
    Ok(None)
}
