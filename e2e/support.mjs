// What the end-to-end tests share: the system Chromium launched through
// playwright-core with the flags this machine needs (../shared/TOOLING.md), a step
// logger whose last step names a failure, and the page helpers of the demo pages
// (the plain demo and the Leptos todo app use the same element ids).
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const TIMEOUT = 15_000;

/** Launches headless Chromium (no network beyond 127.0.0.1 is reachable here). */
export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--disable-quic", "--no-first-run"],
  });
}

/** A step logger: `log(s)` prints and remembers `s`; `step()` is the last one. */
export function steps(prefix) {
  let current = "start";
  return {
    log(s) { current = s; console.log(`${prefix}: ${s}`); },
    step() { return current; },
  };
}

/** A tab in a browser context of its own, once the page says it is ready. */
export async function openTab(browser, url, viewport = { width: 640, height: 560 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error("page error:", e.message));
  await page.goto(url);
  await page.waitForSelector("body[data-ready='1']", { timeout: TIMEOUT });
  return { context, page };
}

/** Waits until the element `sel` holds exactly `value`. */
export const waitText = (page, sel, value) =>
  page.waitForFunction(([s, v]) => document.querySelector(s)?.textContent === v,
    [sel, value], { timeout: TIMEOUT });

/** Adds a todo through the page's form. */
export async function addTodo(page, title) {
  await page.fill("#todo-input", title);
  await page.click("#todo-add");
}
