//! Browser tests of [`SyncClient::open`]: the session saved in IndexedDB and
//! restored before connecting, one small write per change (and a delta written again
//! when a change merged into it), a save this build cannot restore kept and refused,
//! failed writes reported
//! and retried, a database deleted under a live client written again, the one-deep write queue coalescing, the `localStorage` migration (and
//! the deprecated `localStorage` form trying a refused save again),
//! and tab identity (Web Locks) between clients of one page. Against the real
//! `syncwire` of scripts/browser-test; an unused port stands for a hub that is down.
#![cfg(target_arch = "wasm32")]

use futures_util::StreamExt;
use syncwire_wasm::proto::client::ClientState;
use syncwire_wasm::proto::crdt::{
    CrdtError, DeltaCrdt, GCounter, GCounterOp, OpContext, OrSet, OrSetOp, codec,
};
use syncwire_wasm::{ClientConfig, HubUrls, StorageError, StorageEvent, SyncClient};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[path = "support/fixtures.rs"]
mod fixtures;
use fixtures::{config, unique};

#[path = "support/hub.rs"]
mod hub;
use hub::{DOWN, URL};

#[path = "support/wait.rs"]
mod wait;
use wait::wait_until;

/// The number of records in `store` of the database of `key`, read by the page's
/// own IndexedDB API (not through the client).
async fn records(key: &str, store: &str) -> u32 {
    let count = js_sys::Function::new_with_args(
        "name, store",
        "return new Promise((ok, fail) => { const r = indexedDB.open(name);\
           r.onerror = () => fail(r.error);\
           r.onsuccess = () => { const db = r.result;\
             const q = db.transaction(store).objectStore(store).count();\
             q.onsuccess = () => { db.close(); ok(q.result); };\
             q.onerror = () => fail(q.error); }; });",
    );
    let name = JsValue::from(format!("syncwire:{key}"));
    let p = count
        .call2(&JsValue::NULL, &name, &store.into())
        .expect("call");
    let n = JsFuture::from(js_sys::Promise::from(p))
        .await
        .expect("count");
    n.as_f64().expect("a number") as u32
}

/// Waits until everything `client` saved is committed.
async fn flushed(client: &SyncClient) {
    wait_until("the saved state committed", 10.0, || {
        client.storage_stats().2
    })
    .await;
}

fn value(doc: &syncwire_wasm::Doc<GCounter>) -> u64 {
    doc.read(|c| c.value()).expect("readable")
}

#[wasm_bindgen_test]
async fn a_reload_restores_documents_and_outbox_before_connecting() {
    let key = unique("test-reload");
    let first = SyncClient::open(DOWN, config(), &key).await.expect("open");
    let replica = first.replica();
    let doc = first.join::<GCounter>("idb-reload").expect("join");
    for _ in 0..3 {
        doc.apply(GCounterOp::Increment(2)).expect("apply");
    }
    first.save();
    flushed(&first).await;
    // Unsent operations merge into the outbox's deltas (fewer than three).
    let unsent = first.outbox_len();
    assert!(unsent >= 1);
    assert_eq!(
        records(&key, "outbox").await as usize,
        unsent,
        "one record per delta"
    );
    assert_eq!(records(&key, "rooms").await, 1, "one record per room");
    drop(doc);
    drop(first); // the reload

    // The hub is down first, then reachable: the failover list tries both in turn.
    let urls = HubUrls::new([DOWN, URL]).expect("urls");
    let second = SyncClient::open(urls, config(), &key).await.expect("open");
    assert_eq!(
        second.replica(),
        replica,
        "a reload continues the tab's replica"
    );
    assert_eq!(
        second.outbox_len(),
        unsent,
        "the unsent deltas were restored"
    );
    let doc = second.join::<GCounter>("idb-reload").expect("attach");
    assert_eq!(value(&doc), 6, "the document was restored");
    wait_until("the restored deltas acknowledged", 15.0, || {
        second.state() == ClientState::Connected && second.outbox_len() == 0
    })
    .await;
    flushed(&second).await;
    assert_eq!(
        records(&key, "outbox").await,
        0,
        "acknowledged deltas deleted"
    );

    let check = SyncClient::connect(URL, config()).expect("url");
    let seen = check.join::<GCounter>("idb-reload").expect("join");
    wait_until("another client sees 6", 10.0, || value(&seen) == 6).await;
}

#[wasm_bindgen_test]
async fn a_change_merged_into_a_stored_delta_is_stored_too() {
    let key = unique("test-merged");
    let first = SyncClient::open(DOWN, config(), &key).await.expect("open");
    let doc = first.join::<OrSet<String>>("idb-merged").expect("join");
    doc.apply(OrSetOp::Add("a".into())).expect("apply");
    first.save();
    flushed(&first).await;
    // Never sent (the hub is down): the second change merges into the stored delta,
    // under the same sequence number.
    doc.apply(OrSetOp::Add("b".into())).expect("apply");
    first.save();
    flushed(&first).await;
    assert_eq!(first.outbox_len(), 1, "one delta holding both changes");
    drop(doc);
    drop(first); // the reload

    let second = SyncClient::open(URL, config(), &key).await.expect("open");
    wait_until("the restored delta acknowledged", 15.0, || {
        second.state() == ClientState::Connected && second.outbox_len() == 0
    })
    .await;
    let check = SyncClient::connect(URL, config()).expect("url");
    let seen = check.join::<OrSet<String>>("idb-merged").expect("join");
    let has = |x: &str| seen.read(|s| s.contains(&x.to_owned())).expect("readable");
    wait_until("another client sees both changes", 10.0, || {
        has("a") && has("b")
    })
    .await;
}

/// A CRDT type the built-in registry does not know (an application's own).
#[derive(Clone, Debug, Default, PartialEq)]
struct AppMax(u64);

impl DeltaCrdt for AppMax {
    const TAG: &'static str = "test.max";
    type Op = u64;
    fn prepare(&self, op: u64, _: &OpContext) -> Result<Self, CrdtError> {
        Ok(AppMax(op))
    }
    fn merge(&mut self, other: &Self) -> bool {
        let changed = other.0 > self.0;
        self.0 = self.0.max(other.0);
        changed
    }
    fn encode(&self) -> Result<Vec<u8>, CrdtError> {
        codec::encode(Self::TAG, &self.0)
    }
    fn decode(bytes: &[u8]) -> Result<Self, CrdtError> {
        codec::decode(Self::TAG, bytes).map(AppMax)
    }
}

#[wasm_bindgen_test]
async fn a_save_this_build_cannot_restore_is_refused_and_kept() {
    let key = unique("test-unrestorable");
    let first = SyncClient::open(DOWN, config(), &key).await.expect("open");
    let doc = first.join::<AppMax>("idb-app-type").expect("join");
    doc.apply(7).expect("apply");
    first.save();
    flushed(&first).await;
    drop(doc);
    drop(first);

    // `open` rebuilds documents with the built-in types only.
    let reopened = SyncClient::open(DOWN, config(), &key).await;
    assert!(
        reopened.is_err(),
        "refused, not replaced by an empty session"
    );
    assert_eq!(records(&key, "rooms").await, 1, "the room record kept");
    assert_eq!(
        records(&key, "outbox").await,
        1,
        "the unacknowledged delta kept"
    );
}

#[wasm_bindgen_test]
async fn failed_writes_are_reported_retried_and_coalesced() {
    let key = unique("test-retry");
    let client = SyncClient::open(DOWN, config(), &key).await.expect("open");
    let doc = client.join::<GCounter>("idb-retry").expect("join");
    flushed(&client).await;
    let mut events = client.storage_events();
    let (writes_before, coalesced_before, _) = client.storage_stats();
    client.inject_storage_failures(3, StorageError::Quota("test quota".into()));
    // 40 changes while writes fail: each save replaces the pending one.
    for _ in 0..40 {
        doc.apply(GCounterOp::Increment(1)).expect("apply");
        client.save();
    }
    let mut seen = Vec::new();
    while seen.len() < 4 {
        seen.push(events.next().await.expect("a storage event"));
    }
    for (i, ev) in seen[..3].iter().enumerate() {
        match ev {
            StorageEvent::WriteFailed { error, attempt, .. } => {
                assert!(matches!(error, StorageError::Quota(_)), "typed: {error:?}");
                assert_eq!(*attempt as usize, i + 1);
            }
            other => panic!("expected a failure, got {other:?}"),
        }
    }
    assert_eq!(seen[3], StorageEvent::Recovered { attempts: 3 });
    assert_eq!(client.save_failures(), 3);
    flushed(&client).await;
    let (writes, coalesced, _) = client.storage_stats();
    let (writes, coalesced) = (writes - writes_before, coalesced - coalesced_before);
    assert!(
        coalesced >= 39,
        "40 saves met a pending state: {coalesced} coalesced"
    );
    assert!(writes <= 3, "{writes} transactions for 40 coalesced saves");
    let unsent = client.outbox_len();
    assert_eq!(records(&key, "outbox").await as usize, unsent);
    drop(doc);
    drop(client);
    let again = SyncClient::open(DOWN, config(), &key).await.expect("open");
    assert_eq!(again.outbox_len(), unsent, "the outbox as it was");
    let doc = again.join::<GCounter>("idb-retry").expect("attach");
    assert_eq!(value(&doc), 40, "no change lost");
}

/// Deletes the database of `key` through the page's own IndexedDB API, as another tab
/// or the page clearing its data does: whether it was deleted within 5 s (an open
/// connection that does not close on `versionchange` blocks it).
async fn delete_database(key: &str) -> bool {
    let delete = js_sys::Function::new_with_args(
        "name",
        "return new Promise((ok, fail) => { const r = indexedDB.deleteDatabase(name);\
           r.onsuccess = () => ok(true); r.onerror = () => fail(r.error);\
           setTimeout(() => ok(false), 5000); });",
    );
    let name = JsValue::from(format!("syncwire:{key}"));
    let p = delete.call1(&JsValue::NULL, &name).expect("call");
    let done = JsFuture::from(js_sys::Promise::from(p)).await;
    done.expect("deleteDatabase").as_bool() == Some(true)
}

#[wasm_bindgen_test]
async fn a_database_deleted_under_a_live_client_is_written_again() {
    let key = unique("test-deleted");
    let first = SyncClient::open(DOWN, config(), &key).await.expect("open");
    let replica = first.replica();
    let doc = first.join::<GCounter>("idb-deleted").expect("join");
    doc.apply(GCounterOp::Increment(5)).expect("apply");
    first.save();
    flushed(&first).await;
    let (writes, _, _) = first.storage_stats();
    assert!(
        delete_database(&key).await,
        "the client's connection closed for the delete"
    );
    // Nothing changed since: the idle writer saves the session again by itself.
    wait_until("the session written again", 10.0, || {
        let (now, _, flushed) = first.storage_stats();
        now > writes && flushed
    })
    .await;
    assert_eq!(records(&key, "rooms").await, 1, "the room saved again");
    let unsent = first.outbox_len();
    assert_eq!(
        records(&key, "outbox").await as usize,
        unsent,
        "the unacknowledged deltas saved again"
    );
    // And later changes are saved on the new connection.
    doc.apply(GCounterOp::Increment(1)).expect("apply");
    first.save();
    flushed(&first).await;
    drop(doc);
    drop(first); // the reload

    let second = SyncClient::open(URL, config(), &key).await.expect("open");
    assert_eq!(second.replica(), replica, "the same replica");
    let doc = second.join::<GCounter>("idb-deleted").expect("attach");
    assert_eq!(value(&doc), 6, "no change lost");
    wait_until("the restored deltas acknowledged", 15.0, || {
        second.state() == ClientState::Connected && second.outbox_len() == 0
    })
    .await;
    let check = SyncClient::connect(URL, config()).expect("url");
    let seen = check.join::<GCounter>("idb-deleted").expect("join");
    wait_until("another client sees 6", 10.0, || value(&seen) == 6).await;
}

#[wasm_bindgen_test]
#[allow(deprecated)] // the localStorage form, kept for compatibility
async fn a_local_storage_save_is_migrated_once() {
    let key = unique("test-migrate");
    let old = SyncClient::connect_persistent(DOWN, config(), &key).expect("url");
    let replica = old.replica();
    let doc = old.join::<GCounter>("idb-migrate").expect("join");
    doc.apply(GCounterOp::Increment(5)).expect("apply");
    old.save();
    drop(doc);
    drop(old);
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    assert!(
        storage.get_item(&key).unwrap().is_some(),
        "saved the old way"
    );

    let new = SyncClient::open(DOWN, config(), &key).await.expect("open");
    assert_eq!(new.replica(), replica, "the migrated replica is taken over");
    assert_eq!(new.outbox_len(), 1, "its unsent delta too");
    let doc = new.join::<GCounter>("idb-migrate").expect("attach");
    assert_eq!(value(&doc), 5);
    assert_eq!(
        storage.get_item(&key).unwrap(),
        None,
        "the old entry is removed"
    );
}

/// Fills `localStorage` until it refuses even one more character (its quota), and
/// returns the keys it wrote, to be removed again.
fn fill_local_storage(storage: &web_sys::Storage, prefix: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for size in [1 << 20, 1 << 16, 1 << 12, 1 << 8, 16, 1] {
        let chunk = "x".repeat(size);
        // Bounded: the quota is a few MiB, so no size is written more than 64 times
        // before the next smaller one takes over.
        for _ in 0..64 {
            let key = format!("{prefix}:{}", keys.len());
            if storage.set_item(&key, &chunk).is_err() {
                break;
            }
            keys.push(key);
        }
    }
    keys
}

#[wasm_bindgen_test]
#[allow(deprecated)] // the localStorage form, kept for compatibility
async fn a_refused_local_storage_save_is_tried_again_not_marked_done() {
    let key = unique("test-ls-retry");
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    let client = SyncClient::connect_persistent(DOWN, config(), &key).expect("url");
    let doc = client.join::<GCounter>("ls-retry").expect("join");
    client.save();
    let filler = fill_local_storage(&storage, &format!("{key}:filler"));
    assert!(!filler.is_empty(), "the quota was reached");
    doc.apply(GCounterOp::Increment(3)).expect("apply");
    client.save();
    let refused = client.save_failures();
    assert!(
        refused >= 1,
        "the write over the quota was refused and counted"
    );
    for k in &filler {
        storage.remove_item(k).unwrap();
    }
    // The change count did not move since the refused write: only a save that
    // remembers the refusal writes it now.
    client.save();
    assert_eq!(client.save_failures(), refused, "the retry was accepted");
    drop(doc);
    drop(client);
    let again = SyncClient::connect_persistent(DOWN, config(), &key).expect("url");
    let doc = again.join::<GCounter>("ls-retry").expect("attach");
    assert_eq!(
        value(&doc),
        3,
        "the change refused once was saved when space came back"
    );
    assert_eq!(again.outbox_len(), 1, "with its unsent delta");
    drop(doc);
    again.clear_saved();
}

#[wasm_bindgen_test]
async fn live_clients_never_share_a_replica_and_a_released_one_is_adopted() {
    let key = unique("test-tabs");
    let a = SyncClient::open(DOWN, config(), &key).await.expect("open");
    let da = a.join::<GCounter>("idb-tabs").expect("join");
    da.apply(GCounterOp::Increment(1)).expect("apply");
    a.save();
    flushed(&a).await;
    // Same page, same sessionStorage: like a duplicated tab, b finds a's replica
    // locked and takes another.
    let b = SyncClient::open(DOWN, config(), &key).await.expect("open");
    assert_ne!(b.replica(), a.replica(), "two live clients, two replicas");
    assert_eq!(b.outbox_len(), 0, "a's unsent delta stays a's");
    // A configured id held by a live client is refused.
    let taken = ClientConfig {
        replica: Some(a.replica()),
        ..config()
    };
    assert!(SyncClient::open(DOWN, taken, &key).await.is_err());

    let orphan = a.replica();
    drop(da);
    drop(a); // "closed": its replica, with its unsent delta, is free
    let c = SyncClient::open(DOWN, config(), &key).await.expect("open");
    assert_eq!(c.replica(), orphan, "a free saved replica is adopted");
    assert_eq!(c.outbox_len(), 1, "with what it left unsent");
    drop(b);
}
