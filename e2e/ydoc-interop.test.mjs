// The Yjs interop check (issue 22): updates made by the npm `yjs` package go through
// a syncwire `ydoc` room and are read back identically by Rust (yrs), and updates
// made by Rust (yrs) come out of the room and are applied by npm `yjs` with the same
// result. The browser side is the demo page built with --ydoc (its wasm client:
// SyncwireClient.joinYdoc); the Rust side is a native tokio client,
// driver-tokio/examples/ydoc_interop.rs. Run by scripts/browser-test (stage `ydoc`):
//   DEMO_URL=http://127.0.0.1:PORT/ YDOC_INTEROP=path/to/ydoc_interop node e2e/ydoc-interop.test.mjs
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import * as Y from "yjs";
import { launch, steps, TIMEOUT, openTab } from "./support.mjs";

const URL = process.env.DEMO_URL ?? "http://127.0.0.1:18737/";
const SYNC = `${URL.replace(/^http/, "ws").replace(/\/$/, "")}/sync`;
const PEER = process.env.YDOC_INTEROP ?? "target/debug/examples/ydoc_interop";
const { log, step } = steps("ydoc-interop");
// Rooms of this run's own, so a rerun against the same server starts empty.
const RUN = Date.now().toString(36);
const [JS_ROOM, RS_ROOM] = [`interop-js-${RUN}`, `interop-rs-${RUN}`];

const fromHex = (h) => Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16));
const utf8 = (h) => new TextDecoder("utf-8", { fatal: true }).decode(fromHex(h));

/** Runs the Rust client (`read` or `write` on `room`); its output lines as an object. */
async function rust(mode, room) {
  const { stdout } = await promisify(execFile)(PEER, [mode, SYNC, room], { timeout: 60_000 });
  return Object.fromEntries(stdout.trim().split("\n").map((l) => l.split(" ")));
}

/** What a Y.Doc holds in the roots both sides use. */
const read = (doc) => ({ text: doc.getText("t").toString(), meta: doc.getMap("meta").get("by") ?? "" });

const browser = await launch();
try {
  const { page } = await openTab(browser, URL);

  log("yjs -> syncwire: a Y.Doc's updates, one per transaction, sent through the browser client");
  const doc = new Y.Doc();
  const updates = [];
  doc.on("update", (u) => updates.push(Array.from(u)));
  const t = doc.getText("t");
  t.insert(0, "Hello from yjs 👋🏽, Ünïcödé, 漢字, e\u0301");
  t.format(0, 5, { bold: true });          // formatting marks (ContentFormat)
  t.delete(5, 5);                          // "Hello yjs ..." (a delete set)
  t.insert(t.length, " ✓");
  doc.getMap("meta").set("by", "yjs 👋");
  doc.getArray("list").push([1, "two", { three: [3, null, true] }, 4.5]); // Any values
  const sent = read(doc);
  assert.equal(sent.text, "Hello yjs 👋🏽, Ünïcödé, 漢字, e\u0301 ✓");
  const replica = await page.evaluate(async ([room, ups]) => {
    const r = window.syncwire.client.joinYdoc(room);
    for (const u of ups) r.applyUpdate(new Uint8Array(u));
    return r.text("t");
  }, [JS_ROOM, updates]);
  assert.equal(replica, sent.text, "the browser replica (yrs in wasm) reads the yjs text");
  await page.waitForFunction(() => window.syncwire.client.outboxLen() === 0, null, { timeout: TIMEOUT });

  log("Rust reads the room");
  const got = await rust("read", JS_ROOM);
  assert.equal(utf8(got.text), sent.text, "Rust reads yjs's text");
  assert.equal(utf8(got.meta), sent.meta, "Rust reads yjs's map entry");

  log("Rust (yrs) -> syncwire -> yjs");
  const wrote = await rust("write", RS_ROOM);
  const rustText = utf8(wrote.text);
  assert.equal(rustText, "rüße aus Rust 🦀, 漢字 e\u0301 — yrs");
  assert.equal(utf8(wrote.meta), "yrs 🦀");
  // The Rust client's own encoding of its document, applied by yjs.
  const direct = new Y.Doc();
  Y.applyUpdate(direct, fromHex(wrote.state));
  assert.deepEqual(read(direct), { text: rustText, meta: "yrs 🦀" });
  // What the room hands a page: the update stream of SyncwireYdoc.onUpdate, applied
  // by yjs here as it comes, until yjs reads what Rust wrote (bounded).
  await page.evaluate((room) => {
    const feed = { ups: [], waiters: [] };
    window.interopFeed = feed;
    window.syncwire.client.joinYdoc(room).onUpdate((u) => {
      feed.ups.push(Array.from(u));
      for (const wake of feed.waiters.splice(0)) wake();
    });
  }, RS_ROOM);
  const viaRoom = new Y.Doc();
  const want = { text: rustText, meta: "yrs 🦀" };
  const deadline = Date.now() + TIMEOUT;
  let streamed = 0;
  for (;;) {
    const ups = await page.evaluate((n) => window.interopFeed.ups.slice(n), streamed);
    for (const u of ups) Y.applyUpdate(viaRoom, new Uint8Array(u));
    streamed += ups.length;
    const now = read(viaRoom);
    if (now.text === want.text && now.meta === want.meta) break;
    const left = deadline - Date.now();
    assert.ok(left > 0, `yjs did not get Rust's document from the room: ${JSON.stringify(now)}`);
    // The next update (or the limit).
    await page.evaluate(([n, ms]) => new Promise((ok, fail) => {
      if (window.interopFeed.ups.length > n) return ok();
      window.interopFeed.waiters.push(ok);
      setTimeout(() => fail(new Error("no update from the room in time")), ms);
    }), [streamed, left]);
  }
  console.log(`ydoc-interop: ok (${updates.length} yjs updates in, ${streamed} updates out)`);
} catch (e) {
  console.error(`ydoc-interop: FAILED at step "${step()}":`, e.message);
  process.exitCode = 1;
} finally {
  await browser.close();
}
