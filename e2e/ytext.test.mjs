// End-to-end test of the demo's shared text (a `ydoc` room bound to a <textarea>
// through a Y.Doc of npm `yjs` on the page, driver-wasm/demo/text.js): two tabs in
// separate browser contexts type at the same time and converge to the same text,
// with each tab's caret kept where it was (remote text before it moves it along).
// Run by scripts/browser-test (stage `ydoc`) on the demo built with --ydoc, served
// by a `syncwire` built with `--features ydoc`:
//   DEMO_URL=http://127.0.0.1:PORT/ ARTIFACTS=dir node e2e/ytext.test.mjs
import { mkdirSync } from "node:fs";
import assert from "node:assert/strict";
import { launch, steps, TIMEOUT, openTab as openTabAt, waitText } from "./support.mjs";

const URL = process.env.DEMO_URL ?? "http://127.0.0.1:18737/";
const ARTIFACTS = process.env.ARTIFACTS ?? "target/artifacts";
const browser = await launch();
const { log, step } = steps("ytext");
const openTab = () => openTabAt(browser, URL, { width: 900, height: 700 });

/** Waits until the textarea, the page's Y.Doc and the replica's document (read in
 *  Rust) all hold the same text, which is `want` (a string) or has `want.length`
 *  UTF-16 units, and nothing is unsent; returns the text. */
async function settled(page, want) {
  const handle = await page.waitForFunction((w) => {
    const t = window.syncwire.text;
    const value = document.querySelector("#text").value;
    const ok = typeof w === "string" ? value === w : value.length === w.length;
    return ok && t.ytext.toString() === value && t.room.text("text") === value
      && window.syncwire.client.outboxLen() === 0 && value;
  }, want, { timeout: TIMEOUT });
  return handle.jsonValue();
}

/** Whether the characters of `part` appear in `whole` in order. */
function subsequence(part, whole) {
  let i = 0;
  for (const c of whole) if (c === part[i]) i++;
  return i === part.length;
}

const tabs = [];
try {
  log("open two tabs with the shared text");
  const a = await openTab();
  const b = await openTab();
  tabs.push(a, b);
  for (const t of [a, b]) {
    await waitText(t.page, "#state", "Connected");
    assert.equal(await t.page.locator("#text-section").isVisible(), true, "the text section shows");
  }

  assert.equal(await a.page.inputValue("#text"), "", "a fresh server: the text starts empty");
  log("A types, B sees it");
  await a.page.click("#text");
  await a.page.keyboard.type("middle", { delay: 10 });
  await settled(b.page, "middle");

  log("both type at once: A appends and deletes at the end, B inserts at the start");
  await b.page.click("#text");
  await Promise.all([
    (async () => {
      await a.page.keyboard.press("Control+End");
      await a.page.keyboard.type(" end-of-A", { delay: 30 });
      for (let i = 0; i < 4; i++) await a.page.keyboard.press("Backspace", { delay: 20 });
    })(),
    (async () => {
      await b.page.keyboard.press("Control+Home");
      await b.page.keyboard.type("B-start ", { delay: 30 });
    })(),
  ]);
  // Each tab's caret stayed in its own place, so the result is exact.
  const first = "B-start middle end-";
  for (const t of [a, b]) await settled(t.page, first);

  log("both type at once at the same place (the end)");
  const [sa, sb] = ["0123456789", "abcdefghij"];
  await Promise.all([
    (async () => {
      await a.page.keyboard.press("Control+End");
      await a.page.keyboard.type(sa, { delay: 25 });
    })(),
    (async () => {
      await b.page.keyboard.press("Control+End");
      await b.page.keyboard.type(sb, { delay: 25 });
    })(),
  ]);
  const ta = await settled(a.page, { length: first.length + sa.length + sb.length });
  const tb = await settled(b.page, ta);
  assert.equal(ta, tb);
  assert.ok(ta.startsWith(first), `the earlier text stays in front: ${ta}`);
  const tail = ta.slice(first.length);
  assert.ok(subsequence(sa, tail) && subsequence(sb, tail),
    `each tab's characters are kept, in order: ${tail}`);

  log("an emoji replaced by another (same high surrogate): no broken surrogate pair");
  await a.page.keyboard.press("Control+End");
  await a.page.keyboard.type(" 😀");
  await settled(b.page, `${ta} 😀`);
  await a.page.keyboard.press("Shift+ArrowLeft"); // selects the emoji (two UTF-16 units)
  await a.page.keyboard.type("😃");
  const emoji = `${ta} 😃`;
  for (const t of [a, b]) await settled(t.page, emoji);

  log("a third tab opened now reads the same text from the hub");
  const c = await openTab();
  tabs.push(c);
  await settled(c.page, emoji);
  console.log(`ytext: converged on ${JSON.stringify(emoji)}`);

  mkdirSync(ARTIFACTS, { recursive: true });
  await a.page.screenshot({ path: `${ARTIFACTS}/demo-shared-text.png` });
  console.log("ytext: ok");
} catch (e) {
  console.error(`ytext: FAILED at step "${step()}":`, e.message);
  process.exitCode = 1;
  for (const [i, t] of tabs.entries()) {
    const dump = await t.page.evaluate(() => ({
      state: document.querySelector("#state")?.textContent,
      textarea: document.querySelector("#text")?.value,
      ydoc: window.syncwire?.text?.ytext.toString(),
      replica: window.syncwire?.text?.room.text("text"),
      outbox: window.syncwire?.client.outboxLen(),
    })).catch((err) => err.message);
    console.error(`tab ${"ABC"[i]}:`, JSON.stringify(dump));
  }
} finally {
  await browser.close();
}
