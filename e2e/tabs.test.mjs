// End-to-end test of tab identity on the syncwire demo page (IndexedDB + Web Locks,
// driver-wasm/README.md "Tab identity"), with playwright-core on the system Chromium.
// One browser context is one browser profile: its tabs share IndexedDB and Web Locks.
//
// A duplicated tab is reproduced with `window.open` from the original tab: like
// Chromium's "Duplicate", it copies the opener's sessionStorage into the new tab
// (HTML: a new auxiliary browsing context gets a copy of the session storage).
// The test checks that the copy happened (an init script records what the new page
// finds in sessionStorage before the app runs).
//
// Steps: tab A is cut from the hub and edits (unsent, saved); A is duplicated: the
// duplicate finds A's replica id, but A holds it, so it takes its own and does not
// send A's unsent deltas; both edit; A is reloaded (same replica) and delivers its
// own deltas; both converge, with every edit counted once. Then a second window
// gets a replica of its own, and a window opened after it closed takes its replica over.
// Run by scripts/browser-test after demo.test.mjs, against the same demo server:
//   DEMO_URL=http://127.0.0.1:PORT/ node e2e/tabs.test.mjs
import assert from "node:assert/strict";
import { launch, steps, TIMEOUT, waitText, addTodo } from "./support.mjs";

const URL = process.env.DEMO_URL ?? "http://127.0.0.1:18733/";
const ID_KEY = "syncwire:syncwire-demo:replica";

const browser = await launch();

const { log, step } = steps("e2e tabs");

const ready = (page) => page.waitForSelector("body[data-ready='1']", { timeout: TIMEOUT });
const replicaOf = (page) => page.evaluate(() => window.syncwire.replica);
const text = (page, sel) => page.locator(sel).textContent();
async function waitTodos(page, titles) {
  await page.waitForFunction((want) => {
    const got = [...document.querySelectorAll("#todos .title")].map((e) => e.textContent);
    return want.every((t) => got.includes(t)) && got.length === want.length;
  }, titles, { timeout: TIMEOUT });
}
async function clicks(page, sel, n) { for (let i = 0; i < n; i++) await page.click(sel); }

const pages = {};
try {
  const context = await browser.newContext({ viewport: { width: 640, height: 560 } });
  // What each new page inherited in sessionStorage, before the app replaces it.
  // (about:blank, where every new page starts, has no sessionStorage.)
  await context.addInitScript((key) => {
    try { window.__inherited = sessionStorage.getItem(key); } catch { /* about:blank */ }
  }, ID_KEY);
  context.on("page", (p) => p.on("pageerror", (e) => console.error("page error:", e.message)));

  log("tab A connects");
  const a = await context.newPage();
  pages.A = a;
  await a.goto(URL);
  await ready(a);
  await waitText(a, "#state", "Connected");
  const ra = await replicaOf(a);
  const base = Number(await text(a, "#counter"));
  const baseTodos = await a.locator("#todos .title").allTextContents();

  log("tab A is cut from the hub (reload: same replica) and edits");
  let cut = true;
  await a.routeWebSocket(/\/sync$/, (ws) => { if (!cut) ws.connectToServer(); });
  await a.reload();
  await ready(a);
  assert.equal(await replicaOf(a), ra, "a reload keeps the tab's replica");
  await clicks(a, "#inc", 2);
  await addTodo(a, "A while cut");
  assert.notEqual(await text(a, "#outbox"), "0", "A holds unsent changes");

  log("tab A is duplicated (window.open copies its sessionStorage)");
  const [d] = await Promise.all([context.waitForEvent("page"), a.evaluate((u) => { window.open(u); }, URL)]);
  pages.D = d;
  await ready(d);
  assert.equal(await d.evaluate(() => Number(window.__inherited)), ra,
    "the duplicate inherited A's replica id");
  const rd = await replicaOf(d);
  assert.notEqual(rd, ra, "but took a replica of its own: A holds its lock");
  await waitText(d, "#state", "Connected");
  await waitText(d, "#outbox", "0");
  await waitText(d, "#counter", String(base));
  assert.ok(!(await d.locator("#todos .title").allTextContents()).includes("A while cut"),
    "A's unsent todo is not sent by the duplicate");

  log("both edit");
  await clicks(d, "#inc", 3);
  await addTodo(d, "from the duplicate");
  await clicks(a, "#dec", 1);
  await waitText(d, "#counter", String(base + 3));
  await waitText(d, "#outbox", "0");

  log("tab A is reloaded, reaches the hub and delivers its own edits");
  // Still cut while the reloaded page restores (checking its outbox after it could
  // reach the hub would race its first send); then the hub is let through.
  await a.reload();
  await ready(a);
  assert.equal(await replicaOf(a), ra, "the reloaded tab is A's replica again");
  assert.notEqual(await text(a, "#outbox"), "0", "its unsent edits survived the reload");
  cut = false;
  const all = [...baseTodos, "A while cut", "from the duplicate"].sort();
  for (const p of [a, d]) {
    await waitText(p, "#state", "Connected");
    await waitText(p, "#counter", String(base + 2 + 3 - 1));
    await waitTodos(p, all);
    await waitText(p, "#outbox", "0");
  }

  log("a new window gets a replica of its own; one opened after it closed takes it over");
  const w = await context.newPage();
  await w.goto(URL);
  await ready(w);
  const rw = await replicaOf(w);
  assert.ok(rw !== ra && rw !== rd, "a second window is a replica of its own");
  await waitText(w, "#counter", String(base + 4));
  await w.close();
  // The browser releases a closed tab's lock shortly after: wait until it did.
  await a.waitForFunction(async (name) => {
    const { held } = await navigator.locks.query();
    return !held.some((l) => l.name === name);
  }, `syncwire:syncwire-demo:${rw}`, { timeout: TIMEOUT, polling: 50 });
  const w2 = await context.newPage();
  pages.W2 = w2;
  await w2.goto(URL);
  await ready(w2);
  assert.equal(await replicaOf(w2), rw, "the closed window's replica is adopted");
  await waitText(w2, "#state", "Connected");
  await waitText(w2, "#counter", String(base + 4));
  console.log("e2e tabs: ok");
} catch (e) {
  console.error(`e2e tabs: FAILED at step "${step()}":`, e.message);
  process.exitCode = 1;
  for (const [name, p] of Object.entries(pages)) {
    const dump = await p.evaluate(() => ({
      replica: window.syncwire?.replica,
      state: document.querySelector("#state")?.textContent,
      counter: document.querySelector("#counter")?.textContent,
      outbox: document.querySelector("#outbox")?.textContent,
      todos: [...document.querySelectorAll("#todos .title")].map((e) => e.textContent),
    })).catch((err) => err.message);
    console.error(`tab ${name}:`, JSON.stringify(dump));
  }
} finally {
  await browser.close();
}
