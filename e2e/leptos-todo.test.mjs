// End-to-end test of the Leptos example app (leptos/examples/todo): two tabs
// (separate browser contexts, so one can go offline alone) driven by
// playwright-core on the system Chromium. The app saves its session in IndexedDB:
// a tab cut from the hub (its WebSocket routed nowhere) reloads with its list, adds
// a todo, reloads again with it, and delivers it once it reaches the hub. Run by scripts/browser-test (stage
// `leptos`), which builds the app (scripts/build-leptos-demo) and serves it:
//   DEMO_URL=http://127.0.0.1:PORT/ ARTIFACTS=dir node e2e/leptos-todo.test.mjs
import { mkdirSync } from "node:fs";
import assert from "node:assert/strict";
import { launch, steps, TIMEOUT, openTab as openTabAt, addTodo } from "./support.mjs";

const URL = process.env.DEMO_URL ?? "http://127.0.0.1:18736/";
const ARTIFACTS = process.env.ARTIFACTS ?? "target/artifacts";

const browser = await launch();

const { log, step } = steps("e2e leptos");

const openTab = () => openTabAt(browser, URL, { width: 640, height: 480 });

const waitState = (page, value) =>
  page.waitForFunction((v) => document.querySelector("#state")?.textContent === v,
    value, { timeout: TIMEOUT });
/** Waits until the list holds exactly `want`: [title, done] pairs, in any order. */
async function waitTodos(page, want) {
  await page.waitForFunction((want) => {
    const got = [...document.querySelectorAll("#todos li")].map((li) =>
      [li.querySelector(".title").textContent, li.classList.contains("done")]);
    return got.length === want.length
      && want.every(([t, d]) => got.some(([gt, gd]) => gt === t && gd === d));
  }, want, { timeout: TIMEOUT });
}
const todo = (page, title) => page.locator("#todos li", { hasText: title });
/** Reloads `page` and waits until its client restored the saved session. */
async function reload(page) {
  await page.reload();
  await page.waitForSelector("body[data-ready='1']", { timeout: TIMEOUT });
  await page.waitForSelector("#restored[data-open='true']", { state: "attached", timeout: TIMEOUT });
}
/** The unsent deltas the page's tab saved (IndexedDB `syncwire:leptos-todo`, store `outbox`). */
const savedOutbox = (page) => page.evaluate(() => new Promise((resolve, reject) => {
  const req = indexedDB.open("syncwire:leptos-todo");
  req.onerror = () => reject(req.error);
  req.onsuccess = () => {
    const db = req.result;
    const count = db.transaction("outbox").objectStore("outbox").count();
    count.onsuccess = () => { db.close(); resolve(count.result); };
    count.onerror = () => { db.close(); reject(count.error); };
  };
}));
/** Polls (bounded) until the saved outbox holds at least (or, "exactly", just) `n` deltas. */
async function waitOutbox(page, n, how = "at least") {
  const ok = (got) => (how === "exactly" ? got === n : got >= n);
  let got = await savedOutbox(page);
  for (let i = 0; i < 150 && !ok(got); i++) {
    await page.waitForTimeout(100);
    got = await savedOutbox(page);
  }
  assert.ok(ok(got), `saved outbox: ${got}, want ${how} ${n}`);
}

const tabs = [];
try {
  log("open two tabs");
  const a = await openTab();
  const b = await openTab();
  tabs.push(a, b);
  await waitState(a.page, "Connected");
  await waitState(b.page, "Connected");

  log("presence: each tab shows two members (itself and the other)");
  for (const t of [a, b]) {
    await t.page.waitForFunction(() => document.querySelectorAll("#presence li").length === 2,
      null, { timeout: TIMEOUT });
  }
  const selfA = await a.page.locator("#presence li.self").textContent();
  const othersB = await b.page.locator("#presence li:not(.self)").allTextContents();
  assert.deepEqual(othersB, [selfA.replace(" (this tab)", "")], "B lists A by its name");

  log("add in both tabs: both lists converge");
  await addTodo(a.page, "buy milk");
  await addTodo(b.page, "call back");
  for (const t of [a, b]) await waitTodos(t.page, [["buy milk", false], ["call back", false]]);
  assert.equal(await a.page.inputValue("#todo-input"), "", "the input is cleared");

  log("toggle in both tabs: both converge");
  await todo(a.page, "call back").locator("input").check();
  await todo(b.page, "buy milk").locator("input").check();
  for (const t of [a, b]) await waitTodos(t.page, [["buy milk", true], ["call back", true]]);
  await todo(b.page, "call back").locator("input").uncheck();
  await waitTodos(a.page, [["buy milk", true], ["call back", false]]);

  log("tab B goes offline and edits; tab A edits too; both converge");
  await b.context.setOffline(true);
  await waitState(b.page, "Offline");
  await addTodo(b.page, "written offline");
  await todo(b.page, "buy milk").locator("button.remove").click();
  await addTodo(a.page, "eggs");
  await waitTodos(b.page, [["call back", false], ["written offline", false]]);
  await waitTodos(a.page, [["buy milk", true], ["call back", false], ["eggs", false]]);
  await b.context.setOffline(false);
  await waitState(b.page, "Connected");
  for (const t of [a, b]) {
    await waitTodos(t.page, [["call back", false], ["written offline", false], ["eggs", false]]);
  }
  for (const t of [a, b]) {
    await t.page.waitForFunction(() => document.querySelectorAll("#presence li").length === 2,
      null, { timeout: TIMEOUT });
  }

  log("tab B is cut from the hub and reloaded: the list comes from IndexedDB");
  const list = [["call back", false], ["written offline", false], ["eggs", false]];
  await waitOutbox(b.page, 0, "exactly"); // everything B wrote is acknowledged
  let cut = true;
  await b.page.routeWebSocket(/\/sync$/, (ws) => { if (!cut) ws.connectToServer(); });
  await reload(b.page);
  await waitTodos(b.page, list);
  assert.notEqual(await b.page.locator("#state").textContent(), "Connected", "B is cut");

  log("B adds a todo while cut; once it is saved, B reloads: the todo survives");
  await addTodo(b.page, "saved while cut");
  // Its title and done, unsent, in IndexedDB (one delta: the outbox merges a room's
  // deltas that never left this tab).
  await waitOutbox(b.page, 1);
  await reload(b.page);
  await waitTodos(b.page, [...list, ["saved while cut", false]]);
  assert.notEqual(await b.page.locator("#state").textContent(), "Connected", "still cut");
  assert.equal(await todo(a.page, "saved while cut").count(), 0, "A has not seen it");

  log("B reaches the hub again (reload): the saved todo reaches A");
  cut = false;
  await reload(b.page);
  await waitState(b.page, "Connected");
  for (const t of [a, b]) await waitTodos(t.page, [...list, ["saved while cut", false]]);
  await waitOutbox(b.page, 0, "exactly");

  log("screenshot of the two tabs");
  mkdirSync(ARTIFACTS, { recursive: true });
  const shots = await Promise.all([a.page.screenshot(), b.page.screenshot()]);
  const sheet = await (await browser.newContext({ viewport: { width: 1320, height: 520 } })).newPage();
  await sheet.setContent(`<body style="margin:0;display:flex;gap:20px;background:#333;padding:10px">
    ${shots.map((s) => `<img src="data:image/png;base64,${s.toString("base64")}">`).join("")}</body>`);
  await sheet.screenshot({ path: `${ARTIFACTS}/leptos-two-tabs.png` });
  console.log(`e2e leptos: ok (screenshot: ${ARTIFACTS}/leptos-two-tabs.png)`);
} catch (e) {
  console.error(`e2e leptos: FAILED at step "${step()}":`, e.message);
  process.exitCode = 1;
  for (const [i, t] of tabs.entries()) {
    const dump = await t.page.evaluate(() => ({
      state: document.querySelector("#state")?.textContent,
      error: document.querySelector("#error")?.textContent,
      presence: [...document.querySelectorAll("#presence li")].map((e) => e.textContent),
      todos: [...document.querySelectorAll("#todos li")].map((e) => e.textContent),
    })).catch((err) => err.message);
    console.error(`tab ${"AB"[i]}:`, JSON.stringify(dump));
  }
} finally {
  await browser.close();
}
