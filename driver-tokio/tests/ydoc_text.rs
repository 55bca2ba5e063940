//! `ydoc` rooms end to end (issue 22): two `SyncClient`s type into one shared text
//! through the in-process server, concurrently, and converge to the same text; the
//! connections are cut mid-typing and both resume without a resync, keeping every
//! character; a third client joining after the hub compacted the room's log reads the
//! same text from the snapshot; `YText::changes` shows remote typing.
#![cfg(all(feature = "client", feature = "cli", feature = "ydoc"))]

mod common;

use common::proxy::Proxy;
use common::sync::{Recorder, fast_config, until_acked_within, until_equal, until_within, url};
use common::{Running, WAIT};
use futures_util::StreamExt;
use syncwire_tokio::client::yrs::{GetString, WriteTxn};
use syncwire_tokio::client::{Doc, SyncClient, YDoc};
use syncwire_tokio::server::ServerConfig;

const ROOM: &str = "notes";
const WORDS: usize = 40;

#[tokio::test]
async fn two_clients_type_concurrently_converge_and_survive_a_cut() {
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.hub_mut().max_tail_entries = 16;
    let server = Running::start(config).await;
    let proxy = Proxy::start(server.addr).await;
    let a = SyncClient::connect(url(proxy.addr), fast_config(11)).unwrap();
    let b = SyncClient::connect(url(proxy.addr), fast_config(12)).unwrap();
    let (rec_a, rec_b) = (Recorder::new(&a), Recorder::new(&b));
    let da: Doc<YDoc> = a.join(ROOM).unwrap();
    let db: Doc<YDoc> = b.join(ROOM).unwrap();
    let (ta, tb) = (da.text("body"), db.text("body"));
    let mut seen_by_b = tb.changes();

    // A seeds the text and B sees it through its change stream.
    ta.insert(0, "<>").unwrap();
    let wait_seed = async {
        while let Some(text) = seen_by_b.next().await {
            if text == "<>" {
                return;
            }
        }
    };
    if tokio::time::timeout(WAIT, wait_seed).await.is_err() {
        panic!(
            "B did not see A's text: A {:?} B {:?}",
            ta.read(),
            tb.read()
        );
    }

    // Both type at once, A after the '<', B before the '>', without waiting for each
    // other; every connection is cut halfway.
    for i in 0..WORDS {
        let (wa, wb) = (format!("a{i} "), format!("b{i} "));
        // A appends right after its own previous word, B before the closing '>'.
        let prefix_a: usize = (0..i).map(|j| format!("a{j} ").chars().count()).sum();
        ta.insert(1 + prefix_a, &wa).unwrap();
        let len_b = tb.read().unwrap().chars().count();
        tb.insert(len_b - 1, &wb).unwrap();
        if i == WORDS / 2 {
            proxy.cut_all();
        }
    }
    // A structured edit through the transaction closure: a map beside the text.
    da.transact(|txn| {
        let meta = txn.get_or_insert_map("meta");
        use syncwire_tokio::client::yrs::Map;
        meta.insert(txn, "title", "notes");
    })
    .unwrap();

    until_equal(&da, &db).await;
    until_acked_within(&a, WAIT).await;
    until_acked_within(&b, WAIT).await;
    let text = ta.read().unwrap();
    assert_eq!(text, tb.read().unwrap());
    let expected_a: String = (0..WORDS).map(|i| format!("a{i} ")).collect();
    assert!(
        text.starts_with(&format!("<{expected_a}")),
        "A's words in order: {text}"
    );
    for i in 0..WORDS {
        assert!(
            text.contains(&format!("b{i} ")),
            "B's word {i} kept: {text}"
        );
    }
    assert_eq!(
        text.chars().count(),
        2 + expected_a.len() + (0..WORDS).map(|i| format!("b{i} ").len()).sum::<usize>()
    );
    for (name, rec) in [("A", &rec_a), ("B", &rec_b)] {
        rec.read(|r| {
            assert!(r.backoffs >= 1, "{name} saw the cut");
            assert!(
                r.resyncs.is_empty(),
                "{name} resumed without resync: {:?}",
                r.resyncs
            );
            assert_eq!(r.duplicates(ROOM), vec![], "{name} got no duplicates");
        });
    }

    // A late joiner starts from the compacted snapshot and reads the same document.
    let c = SyncClient::connect(url(server.addr), fast_config(13)).unwrap();
    let dc: Doc<YDoc> = c.join(ROOM).unwrap();
    until_within(&dc, WAIT, |d| d.text("body") == text).await;
    let title = dc
        .read(|d| {
            use syncwire_tokio::client::yrs::{Map, ReadTxn, Transact};
            let txn = d.doc().transact();
            txn.get_map("meta")
                .and_then(|m| m.get(&txn, "title"))
                .map(|v| v.to_string(&txn))
        })
        .unwrap();
    assert_eq!(title.as_deref(), Some("notes"));
    // What a Yjs peer would apply: the encoded state reproduces the text in yrs.
    let state = dc.encode_state().unwrap();
    let plain = yrs_text(&state);
    assert_eq!(plain, text);
    drop((a, b, c));
    server.stop().await;
}

fn yrs_text(update: &[u8]) -> String {
    use syncwire_tokio::client::yrs::updates::decoder::Decode;
    use syncwire_tokio::client::yrs::{Doc as YrsDoc, Transact, Update};
    let doc = YrsDoc::new();
    let mut txn = doc.transact_mut();
    txn.apply_update(Update::decode_v1(update).unwrap())
        .unwrap();
    let t = txn.get_or_insert_text("body");
    t.get_string(&txn)
}

/// `Doc::updates` keeps a Yjs document kept elsewhere (here a plain yrs document,
/// as a browser page keeps a `Y.Doc`) up to date: the whole document first, then
/// each remote change; its own edits go in through `apply_local` and are not handed
/// back.
#[tokio::test]
async fn an_update_stream_keeps_an_outside_yjs_document_in_sync() {
    use syncwire_tokio::client::yrs::updates::decoder::Decode;
    use syncwire_tokio::client::yrs::{Doc as YrsDoc, ReadTxn, Text, Transact, Update};
    let server = Running::start(ServerConfig::new("127.0.0.1:0".parse().unwrap())).await;
    let a = SyncClient::connect(url(server.addr), fast_config(21)).unwrap();
    let b = SyncClient::connect(url(server.addr), fast_config(22)).unwrap();
    let da: Doc<YDoc> = a.join("feed").unwrap();
    let db: Doc<YDoc> = b.join("feed").unwrap();
    db.text("t").insert(0, "<>").unwrap();
    until_within(&da, WAIT, |d| d.text("t") == "<>").await;

    let mirror = YrsDoc::with_client_id(777);
    let apply = |update: &[u8]| {
        let mut txn = mirror.transact_mut();
        txn.apply_update(Update::decode_v1(update).unwrap())
            .unwrap();
    };
    let read = || {
        let txn = mirror.transact_mut();
        txn.get_text("t")
            .map(|t| t.get_string(&txn))
            .unwrap_or_default()
    };
    let mut feed = da.updates();
    let whole = feed
        .take_update()
        .unwrap()
        .expect("the whole document first");
    apply(&whole);
    assert_eq!(read(), "<>");
    assert_eq!(feed.take_update().unwrap(), None, "nothing changed since");

    // The mirror's own edit goes in and is not handed back.
    let local = {
        let mut txn = mirror.transact_mut();
        let t = txn.get_or_insert_text("t");
        t.insert(&mut txn, 1, "mirror");
        txn.encode_update_v1()
    };
    feed.apply_local(local).unwrap();
    assert_eq!(da.text("t").read().unwrap(), "<mirror>");
    assert_eq!(
        feed.take_update().unwrap(),
        None,
        "the mirror's own edit is not handed back"
    );

    // B's edits reach the mirror through the stream, deletions included.
    until_within(&db, WAIT, |d| d.text("t") == "<mirror>").await;
    db.text("t").insert(7, "!").unwrap();
    db.text("t").delete(0, 1).unwrap();
    let wait = async {
        while let Some(update) = feed.next().await {
            apply(&update);
            if read() == "mirror!>" {
                return;
            }
        }
    };
    if tokio::time::timeout(WAIT, wait).await.is_err() {
        panic!("the mirror did not follow: {:?}", read());
    }
    assert_eq!(da.text("t").read().unwrap(), "mirror!>");
    drop((a, b));
    server.stop().await;
}
