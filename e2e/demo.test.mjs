// End-to-end test of the syncwire demo page: two tabs (separate browser contexts,
// so one can go offline alone) driven by playwright-core on the system Chromium.
// Run by scripts/browser-test, which builds the demo and starts the server:
//   DEMO_URL=http://127.0.0.1:PORT/ ARTIFACTS=dir node e2e/demo.test.mjs
import { mkdirSync } from "node:fs";
import assert from "node:assert/strict";
import { launch, steps, TIMEOUT, openTab as openTabAt, waitText, addTodo } from "./support.mjs";

const URL = process.env.DEMO_URL ?? "http://127.0.0.1:18733/";
const ARTIFACTS = process.env.ARTIFACTS ?? "target/artifacts";

const browser = await launch();

const { log, step } = steps("e2e");

const openTab = () => openTabAt(browser, URL, { width: 640, height: 560 });

const text = (page, sel) => page.locator(sel).textContent();
const todoTitles = (page) => page.locator("#todos .title").allTextContents();
async function waitTodos(page, titles) {
  await page.waitForFunction((want) => {
    const got = [...document.querySelectorAll("#todos .title")].map((e) => e.textContent);
    return want.every((t) => got.includes(t)) && got.length === want.length;
  }, titles, { timeout: TIMEOUT });
}

const tabs = [];
try {
  log("open two tabs");
  const a = await openTab();
  const b = await openTab();
  tabs.push(a, b);
  await waitText(a.page, "#state", "Connected");
  await waitText(b.page, "#state", "Connected");

  log("presence: each tab lists the other");
  await a.page.waitForFunction(() => document.querySelectorAll("#presence li").length === 2,
    null, { timeout: TIMEOUT });
  await b.page.waitForFunction(() => document.querySelectorAll("#presence li").length === 2,
    null, { timeout: TIMEOUT });

  log("counter syncs both ways");
  for (let i = 0; i < 3; i++) await a.page.click("#inc");
  await waitText(b.page, "#counter", "3");
  await b.page.click("#dec");
  await waitText(a.page, "#counter", "2");

  log("todo list syncs both ways");
  await addTodo(a.page, "buy milk");
  await waitTodos(b.page, ["buy milk"]);
  await b.page.locator("#todos li", { hasText: "buy milk" }).locator("input").check();
  await a.page.waitForSelector("#todos li.done", { timeout: TIMEOUT });

  log("tab B goes offline and edits; tab A edits too");
  await b.context.setOffline(true);
  await waitText(b.page, "#state", "Offline");
  await b.page.click("#inc");
  await b.page.click("#inc");
  await addTodo(b.page, "written offline");
  await addTodo(a.page, "eggs");
  await waitTodos(b.page, ["buy milk", "written offline"]);
  assert.notEqual(await text(b.page, "#outbox"), "0", "B holds unsent changes");
  assert.equal(await text(a.page, "#counter"), "2", "A does not see B's offline changes");

  log("tab B comes back: both converge");
  await b.context.setOffline(false);
  await waitText(b.page, "#state", "Connected");
  for (const t of [a, b]) {
    await waitText(t.page, "#counter", "4");
    await waitTodos(t.page, ["buy milk", "written offline", "eggs"]);
    await waitText(t.page, "#outbox", "0");
  }

  log("a reload of tab B with unsent changes keeps them");
  // Cut B from the hub: offline drops its socket; a swallowing WebSocket route keeps
  // it from reconnecting while the page itself can still be reloaded.
  await b.context.setOffline(true);
  await waitText(b.page, "#state", "Offline");
  await b.page.click("#inc");
  await addTodo(b.page, "survives reload");
  let cut = true;
  await b.context.routeWebSocket(/\/sync$/, (ws) => { if (!cut) ws.connectToServer(); });
  await b.context.setOffline(false);
  await b.page.reload();
  await b.page.waitForSelector("body[data-ready='1']", { timeout: TIMEOUT });
  assert.equal(await text(b.page, "#counter"), "5", "the reloaded tab kept its change");
  assert.deepEqual((await todoTitles(b.page)).sort(),
    ["buy milk", "eggs", "survives reload", "written offline"]);
  assert.notEqual(await text(b.page, "#outbox"), "0", "still unsent after the reload");
  assert.equal(await text(a.page, "#counter"), "4", "A has not received it yet");

  log("tab B reconnects after another reload and delivers the saved changes");
  cut = false; // new sockets reach the hub again (proxied by the route)
  await b.page.reload();
  await b.page.waitForSelector("body[data-ready='1']", { timeout: TIMEOUT });
  for (const t of [a, b]) {
    await waitText(t.page, "#state", "Connected");
    await waitText(t.page, "#counter", "5");
    await waitTodos(t.page, ["buy milk", "written offline", "eggs", "survives reload"]);
  }
  await waitText(b.page, "#outbox", "0");

  log("screenshot of the two tabs");
  mkdirSync(ARTIFACTS, { recursive: true });
  const shots = await Promise.all([a.page.screenshot(), b.page.screenshot()]);
  const sheet = await (await browser.newContext({ viewport: { width: 1320, height: 600 } })).newPage();
  await sheet.setContent(`<body style="margin:0;display:flex;gap:20px;background:#333;padding:10px">
    ${shots.map((s) => `<img src="data:image/png;base64,${s.toString("base64")}">`).join("")}</body>`);
  await sheet.screenshot({ path: `${ARTIFACTS}/demo-two-tabs.png` });
  console.log(`e2e: ok (screenshot: ${ARTIFACTS}/demo-two-tabs.png)`);
} catch (e) {
  console.error(`e2e: FAILED at step "${step()}":`, e.message);
  process.exitCode = 1;
  for (const [i, t] of tabs.entries()) {
    const dump = await t.page.evaluate(() => ({
      state: document.querySelector("#state")?.textContent,
      counter: document.querySelector("#counter")?.textContent,
      outbox: document.querySelector("#outbox")?.textContent,
      todos: [...document.querySelectorAll("#todos .title")].map((e) => e.textContent),
    })).catch((err) => err.message);
    console.error(`tab ${"AB"[i]}:`, JSON.stringify(dump));
  }
} finally {
  await browser.close();
}
