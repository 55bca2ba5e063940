//! The Rust half of the Yjs interop check (scripts/browser-test, stage `ydoc`;
//! e2e/ydoc-interop.test.mjs runs it): a native tokio client with `ydoc` rooms.
//!
//! * `ydoc_interop read URL ROOM`: joins `ROOM`, waits until it caught up with the
//!   hub, and prints what the document holds as read by yrs in Rust: `text <hex>` (the
//!   root text `t`, UTF-8 in hex) and `meta <hex>` (the string under key `by` of the
//!   root map `meta`).
//! * `ydoc_interop write URL ROOM`: joins `ROOM`, writes through yrs (`YText` inserts
//!   and a delete, a map entry through a transaction), waits until the hub
//!   acknowledged it, and prints `text`, `meta` and `state <hex>` (the document as one
//!   Yjs v1 update, `Doc<YDoc>::encode_state`).
//!
//! Exits 1 after 30 s without reaching the hub. The server must accept `ydoc` rooms.

use std::time::Duration;

use futures_util::StreamExt;
use syncwire_tokio::client::yrs::{Any, Map, Out, ReadTxn, Transact};
use syncwire_tokio::client::{ClientConfig, ClientEvent, Doc, SyncClient, YDoc};

const LIMIT: Duration = Duration::from_secs(30);

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn meta_by(doc: &Doc<YDoc>) -> Result<String, Box<dyn std::error::Error>> {
    Ok(doc.read(|d| {
        let txn = d.doc().transact();
        match txn.get_map("meta").and_then(|m| m.get(&txn, "by")) {
            Some(Out::Any(Any::String(s))) => s.to_string(),
            Some(other) => format!("not a string: {}", other.to_string(&txn)),
            None => String::new(),
        }
    })?)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, mode, url, room] = &args[..] else {
        return Err("usage: ydoc_interop read|write ws://127.0.0.1:PORT/sync ROOM".into());
    };
    let client = SyncClient::connect(url.as_str(), ClientConfig::default())?;
    let mut events = client.events();
    let doc: Doc<YDoc> = client.join(room)?;
    let caught_up = async {
        while let Some(ev) = events.next().await {
            if matches!(&ev, ClientEvent::CaughtUp { room: r, .. } if r.as_str() == room) {
                return true;
            }
        }
        false
    };
    if !tokio::time::timeout(LIMIT, caught_up)
        .await
        .unwrap_or(false)
    {
        eprintln!("ydoc_interop: {room} did not catch up within {LIMIT:?}");
        std::process::exit(1);
    }
    let text = doc.text("t");
    if mode == "write" {
        text.insert(0, "Grüße aus Rust 🦀, ")?;
        let len = text.read()?.chars().count();
        text.insert(len, "漢字 e\u{301} — yrs")?;
        text.delete(0, 1)?; // "rüße ..."
        doc.transact(|txn| {
            use syncwire_tokio::client::yrs::WriteTxn;
            txn.get_or_insert_map("meta").insert(txn, "by", "yrs 🦀");
        })?;
    } else if mode != "read" {
        return Err(format!("unknown mode {mode}").into());
    }
    println!("text {}", hex(text.read()?.as_bytes()));
    println!("meta {}", hex(meta_by(&doc)?.as_bytes()));
    if mode == "write" {
        println!("state {}", hex(&doc.encode_state()?));
    }
    let left = client.close(LIMIT).await;
    if left != 0 {
        eprintln!("ydoc_interop: {left} changes not acknowledged within {LIMIT:?}");
        std::process::exit(1);
    }
    Ok(())
}
