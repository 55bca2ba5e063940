//! IndexedDB on raw web-sys (see Cargo.toml for why no wrapper crate): opening the
//! database of a storage key, reading one replica's records, listing the replicas
//! saved there, and writing [`Op`]s in one transaction. This module owns the
//! database layout:
//!
//! * database `syncwire:<storage key>`, version 1;
//! * store `rooms`: key `[replica, room]` → room record ([`crate::record`]);
//! * store `outbox`: key `[replica, room, seq]` → the delta's payload;
//! * store `replicas`: key `replica` → `1`, one entry per replica saved here.
//!
//! Requests and transactions become futures through a `Promise` whose resolve and
//! reject functions are the request's handlers (no Rust closure to keep alive).

use js_sys::{Array, Promise, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbKeyRange, IdbRequest, IdbTransaction, IdbTransactionMode};

use crate::record::{Image, Op};
use crate::storage_events::StorageError;

const VERSION: u32 = 1;
const ROOMS: &str = "rooms";
const OUTBOX: &str = "outbox";
const REPLICAS: &str = "replicas";

/// The error a failed request or transaction carries.
fn error_of(e: Option<web_sys::DomException>) -> StorageError {
    match e {
        Some(e) => StorageError::from_dom(&e.name(), &e.message()),
        None => StorageError::Other("IndexedDB request failed".into()),
    }
}

fn thrown(e: JsValue) -> StorageError {
    match e.dyn_into::<web_sys::DomException>() {
        Ok(e) => error_of(Some(e)),
        Err(e) => StorageError::Other(e.as_string().unwrap_or_else(|| "IndexedDB error".into())),
    }
}

/// Waits for `req` to succeed; its result.
async fn request(req: &IdbRequest) -> Result<JsValue, StorageError> {
    let done = Promise::new(&mut |resolve, reject| {
        req.set_onsuccess(Some(&resolve));
        req.set_onerror(Some(&reject));
    });
    if JsFuture::from(done).await.is_err() {
        return Err(error_of(req.error().ok().flatten()));
    }
    req.result().map_err(thrown)
}

/// Waits for `tx` to commit.
async fn committed(tx: &IdbTransaction) -> Result<(), StorageError> {
    let done = Promise::new(&mut |resolve, reject| {
        tx.set_oncomplete(Some(&resolve));
        tx.set_onabort(Some(&reject));
    });
    match JsFuture::from(done).await {
        Ok(_) => Ok(()),
        Err(_) => Err(error_of(tx.error())),
    }
}

/// Opens (creating on first use) the database of `storage_key`.
pub(crate) async fn open(storage_key: &str) -> Result<IdbDatabase, StorageError> {
    let unavailable = || StorageError::Unavailable("no IndexedDB in this context".into());
    let factory = web_sys::window()
        .and_then(|w| w.indexed_db().ok().flatten())
        .ok_or_else(unavailable)?;
    let req = factory
        .open_with_u32(&format!("syncwire:{storage_key}"), VERSION)
        .map_err(thrown)?;
    let on_upgrade = {
        let req = req.clone();
        wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
            let Ok(db) = req
                .result()
                .and_then(|db| db.dyn_into::<IdbDatabase>().map_err(Into::into))
            else {
                return;
            };
            for store in [ROOMS, OUTBOX, REPLICAS] {
                if !db.object_store_names().contains(store) {
                    let _ = db.create_object_store(store);
                }
            }
        })
    };
    req.set_onupgradeneeded(Some(on_upgrade.as_ref().unchecked_ref()));
    let db = request(&req).await;
    req.set_onupgradeneeded(None);
    db?.dyn_into::<IdbDatabase>().map_err(thrown)
}

/// Every key of `replica` in a store keyed by arrays that start with it.
fn replica_range(replica: u64) -> Result<IdbKeyRange, StorageError> {
    let r = JsValue::from_f64(replica as f64);
    // Arrays sort after strings and numbers: `[r, []]` is above every `[r, room, …]`.
    IdbKeyRange::bound(&Array::of1(&r), &Array::of2(&r, &Array::new())).map_err(thrown)
}

fn bytes_of(v: &JsValue) -> Vec<u8> {
    v.dyn_ref::<Uint8Array>()
        .map(Uint8Array::to_vec)
        .unwrap_or_default()
}

/// The records of `replica`.
pub(crate) async fn load(db: &IdbDatabase, replica: u64) -> Result<Image, StorageError> {
    let tx = db
        .transaction_with_str_sequence(&Array::of2(&ROOMS.into(), &OUTBOX.into()))
        .map_err(thrown)?;
    let range = replica_range(replica)?;
    let mut image = Image::default();
    for name in [ROOMS, OUTBOX] {
        let store = tx.object_store(name).map_err(thrown)?;
        let keys = request(&store.get_all_keys_with_key(&range).map_err(thrown)?).await?;
        let values = request(&store.get_all_with_key(&range).map_err(thrown)?).await?;
        let (keys, values) = (Array::from(&keys), Array::from(&values));
        for (key, value) in keys.iter().zip(values.iter()) {
            let key = Array::from(&key);
            let room = key.get(1).as_string().unwrap_or_default();
            let payload = bytes_of(&value);
            match key.get(2).as_f64() {
                Some(seq) => image.outbox.push(((room, seq as u64), payload.into())),
                None => image.rooms.push((room, payload)),
            }
        }
    }
    // IndexedDB's key order (strings by UTF-16 code units) is not Rust's everywhere.
    image.sort();
    Ok(image)
}

/// The replicas that have records here, in id order.
pub(crate) async fn replicas(db: &IdbDatabase) -> Result<Vec<u64>, StorageError> {
    let tx = db.transaction_with_str(REPLICAS).map_err(thrown)?;
    let store = tx.object_store(REPLICAS).map_err(thrown)?;
    let keys = request(&store.get_all_keys().map_err(thrown)?).await?;
    Ok(Array::from(&keys)
        .iter()
        .filter_map(|k| k.as_f64())
        .map(|k| k as u64)
        .collect())
}

/// Performs `ops` for `replica` in one transaction and waits for it to commit.
/// The requests are issued before the first `await`, so a write started by a page
/// operation is in the database's hands within the same task.
pub(crate) async fn write(db: &IdbDatabase, replica: u64, ops: &[Op]) -> Result<(), StorageError> {
    let names = Array::of3(&ROOMS.into(), &OUTBOX.into(), &REPLICAS.into());
    let tx = db
        .transaction_with_str_sequence_and_mode(&names, IdbTransactionMode::Readwrite)
        .map_err(thrown)?;
    let store = |name| tx.object_store(name).map_err(thrown);
    let (rooms, outbox) = (store(ROOMS)?, store(OUTBOX)?);
    let r = JsValue::from_f64(replica as f64);
    let room_key = |room: &str| Array::of2(&r, &room.into());
    let delta_key = |room: &str, seq: u64| Array::of3(&r, &room.into(), &(seq as f64).into());
    let bytes = |b: &[u8]| Uint8Array::from(b);
    let issue = || -> Result<(), StorageError> {
        for op in ops {
            let issued = match op {
                Op::PutRoom(room, record) => rooms.put_with_key(&bytes(record), &room_key(room)),
                Op::DeleteRoom(room) => rooms.delete(&room_key(room)),
                Op::PutDelta(room, seq, p) => {
                    outbox.put_with_key(&bytes(p), &delta_key(room, *seq))
                }
                Op::DeleteDelta(room, seq) => outbox.delete(&delta_key(room, *seq)),
            };
            issued.map_err(thrown)?;
        }
        let replicas = store(REPLICAS)?;
        replicas
            .put_with_key(&JsValue::from_f64(1.0), &r)
            .map_err(thrown)?;
        Ok(())
    };
    if let Err(e) = issue() {
        // All or nothing: the requests issued so far must not commit.
        let _ = tx.abort();
        return Err(e);
    }
    // Commit now rather than when idle. web-sys marks `commit` deprecated though
    // it is standard (IndexedDB 3); browsers without it commit when idle.
    #[allow(deprecated)]
    let _ = tx.commit();
    committed(&tx).await
}
