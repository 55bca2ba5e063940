//! IndexedDB for the saved session: opening the database of a storage key, reading
//! one replica's records, and writing [`Op`]s in one transaction (listing the
//! replicas saved there is `tabClaim`'s, [`crate::tab`]). This module owns the
//! database layout:
//!
//! * database `syncwire:<storage key>`, version 1;
//! * store `rooms`: key `[replica, room]` → room record ([`crate::record`]);
//! * store `outbox`: key `[replica, room, seq]` → the delta's payload;
//! * store `replicas`: key `replica` → `1`, one entry per replica saved here.
//!
//! A [`Connection`] knows when the browser ends it (site data cleared, another
//! connection deleting the database) and opens the database again; the writer
//! ([`crate::idb_store`]) then reads what the database holds before writing.
//!
//! The requests themselves are a few lines of JavaScript (`src/idb.js`, shipped
//! as a wasm-bindgen snippet next to the glue), one promise per operation. Neither a
//! wrapper crate nor web-sys: `idb` 0.6 (and `rexie` on it) brings indexmap,
//! num-traits and tokio's channels, `indexed_db_futures` 0.6 a dozen proc-macro
//! crates, smallvec, serde-wasm-bindgen and tokio; and the same calls through
//! web-sys (one import and one future state per request) added 17 KiB of gzipped
//! wasm (measured when the bundle had 5 KiB left in its budget, scripts/wasm-size). The
//! JavaScript is under 1 KiB gzipped.

use futures_util::FutureExt;
use js_sys::{Array, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::record::{Image, Op};
use crate::storage_events::StorageError;

#[wasm_bindgen(module = "/src/idb.js")]
extern "C" {
    /// An open database (`IDBDatabase`).
    #[derive(Debug, Clone)]
    pub(crate) type Db;
    #[wasm_bindgen(js_name = idbOpen, catch)]
    fn idb_open(name: &str) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_name = idbLoad, catch)]
    fn idb_load(db: &Db, replica: f64) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_name = idbWrite)]
    fn idb_write(db: &Db, replica: f64, ops: &Array) -> Promise;
    #[wasm_bindgen(js_name = idbEnded)]
    fn idb_ended(db: &Db) -> Promise;
    #[wasm_bindgen(js_name = idbReopen, catch)]
    fn idb_reopen(db: &Db) -> Result<Promise, JsValue>;
}

/// An open database and whether the browser has ended the connection.
#[derive(Debug)]
pub(crate) struct Connection {
    db: Db,
    ended: JsFuture,
    has_ended: bool,
}

impl Connection {
    /// Watches `db` (opened by [`open`]) for its end.
    pub(crate) fn new(db: Db) -> Connection {
        let ended = JsFuture::from(idb_ended(&db));
        Connection {
            db,
            ended,
            has_ended: false,
        }
    }

    /// The database, for [`load`] and [`write`].
    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    /// Whether the connection has ended (then every request on it fails).
    pub(crate) fn has_ended(&mut self) -> bool {
        if !self.has_ended {
            self.has_ended = (&mut self.ended).now_or_never().is_some();
        }
        self.has_ended
    }

    /// Waits until the connection has ended (at once if it has).
    pub(crate) async fn ended(&mut self) {
        if !self.has_ended {
            let _ = (&mut self.ended).await;
            self.has_ended = true;
        }
    }

    /// A new connection to the same database (created if it was deleted).
    pub(crate) async fn reopen(&self) -> Result<Connection, StorageError> {
        let db = settle(idb_reopen(&self.db)).await?;
        Ok(Connection::new(db.unchecked_into()))
    }
}

/// What the browser said, typed by the `DOMException` name.
fn error_of(e: &JsValue) -> StorageError {
    let field = |k: &str| {
        Reflect::get(e, &k.into())
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    };
    StorageError::from_dom(&field("name"), &field("message"))
}

async fn settle(p: Result<Promise, JsValue>) -> Result<JsValue, StorageError> {
    JsFuture::from(p.map_err(|e| error_of(&e))?)
        .await
        .map_err(|e| error_of(&e))
}

/// Opens (creating on first use) the database of `storage_key`.
pub(crate) async fn open(storage_key: &str) -> Result<Db, StorageError> {
    let db = settle(idb_open(&format!("syncwire:{storage_key}"))).await?;
    Ok(db.unchecked_into())
}

fn bytes_of(v: JsValue) -> Vec<u8> {
    v.dyn_into::<Uint8Array>()
        .map(|a| a.to_vec())
        .unwrap_or_default()
}

/// The records of `replica`.
pub(crate) async fn load(db: &Db, replica: u64) -> Result<Image, StorageError> {
    let got = Array::from(&settle(idb_load(db, replica as f64)).await?);
    let part = |i| Array::from(&got.get(i));
    let mut image = Image::default();
    for (key, value) in part(0).iter().zip(part(1).iter()) {
        let room = Array::from(&key).get(1).as_string().unwrap_or_default();
        image.rooms.push((room, bytes_of(value)));
    }
    for (key, value) in part(2).iter().zip(part(3).iter()) {
        let key = Array::from(&key);
        let room = key.get(1).as_string().unwrap_or_default();
        let seq = key.get(2).as_f64().unwrap_or_default() as u64;
        image.outbox.push(((room, seq), bytes_of(value).into()));
    }
    // IndexedDB orders strings by UTF-16 code units, Rust by UTF-8 bytes.
    image.sort();
    Ok(image)
}

/// Performs `ops` for `replica` in one transaction and waits for it to commit.
/// The requests are issued before the first `await`, so a write started by a page
/// operation is in the database's hands within the same task.
pub(crate) async fn write(db: &Db, replica: u64, ops: &[Op]) -> Result<(), StorageError> {
    let list = Array::new();
    for op in ops {
        let (kind, room, seq, bytes) = match op {
            Op::PutRoom(room, record) => (0, room, 0, Some(&record[..])),
            Op::DeleteRoom(room) => (1, room, 0, None),
            Op::PutDelta(room, seq, p) => (2, room, *seq, Some(&p[..])),
            Op::DeleteDelta(room, seq) => (3, room, *seq, None),
        };
        let bytes = bytes.map_or(JsValue::UNDEFINED, |b| Uint8Array::from(b).into());
        list.push(&Array::of4(
            &kind.into(),
            &room.into(),
            &(seq as f64).into(),
            &bytes,
        ));
    }
    settle(Ok(idb_write(db, replica as f64, &list)))
        .await
        .map(drop)
}
