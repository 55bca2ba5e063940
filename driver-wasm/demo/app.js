// The syncwire demo page: a shared counter, a shared todo list, the list of
// connected tabs and (with `ydoc` rooms) a shared text, on the syncwire wasm client (pkg/ is built by scripts/build-demo).
import init, { SyncwireClient } from "./pkg/syncwire_wasm.js";

const $ = (id) => document.getElementById(id);

// The session is saved in IndexedDB under a replica of this tab's own: a reload
// continues it (outbox, offsets, documents), a duplicated tab or another window gets
// another one (driver-wasm/README.md, "Tab identity").
await init();
const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/sync`;
const client = await SyncwireClient.open(url, { storageKey: "syncwire-demo" });
const replica = client.replicaId();
const name = `replica ${replica}`;
const counter = client.joinCounter("demo-counter");
const todos = client.joinMap("demo-todos");
$("me").textContent = `you are ${name}`;

// Connection state and unsent changes.
function renderStatus() {
  const state = navigator.onLine ? client.state() : "Offline";
  $("state").textContent = state;
  $("state").className = `state ${state}`;
  $("outbox").textContent = String(client.outboxLen());
}

// Counter.
const renderCounter = () => { $("counter").textContent = String(counter.value()); };
$("inc").onclick = () => { counter.increment(1); renderStatus(); };
$("dec").onclick = () => { counter.increment(-1); renderStatus(); };
counter.onChange(renderCounter);

// Todo list: key → { title, done, created } (a map of maps of LWW registers).
let made = 0;
function renderTodos() {
  const items = Object.entries(todos.toJSON() ?? {})
    .filter(([, t]) => t && typeof t.title === "string")
    .sort(([a, x], [b, y]) => (x.created ?? 0) - (y.created ?? 0) || (a < b ? -1 : 1));
  const ul = $("todos");
  ul.replaceChildren(...items.map(([id, t]) => {
    const li = document.createElement("li");
    li.dataset.id = id;
    li.className = t.done ? "done" : "";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.checked = !!t.done;
    box.onchange = () => { todos.setIn(id, "done", box.checked); renderStatus(); };
    const title = document.createElement("span");
    title.className = "title";
    title.textContent = t.title;
    const del = document.createElement("button");
    del.textContent = "✕";
    del.title = "delete";
    del.onclick = () => { todos.remove(id); renderStatus(); };
    li.append(box, title, del);
    return li;
  }));
}
$("todo-form").onsubmit = (e) => {
  e.preventDefault();
  const text = $("todo-input").value.trim();
  if (!text) return;
  const id = `${replica}-${Date.now()}-${made++}`;
  todos.setIn(id, "title", text);
  todos.setIn(id, "done", false);
  todos.setIn(id, "created", Date.now());
  $("todo-input").value = "";
  renderStatus();
};
todos.onChange(renderTodos);

// Presence: the other sessions in the counter room, by session id.
const peers = new Map();
function renderPresence() {
  const self = document.createElement("li");
  self.className = "self";
  self.textContent = `${name} (this tab)`;
  const others = [...peers.values()].sort().map((n) => {
    const li = document.createElement("li");
    li.textContent = n;
    return li;
  });
  $("presence").replaceChildren(self, ...others);
}
client.onEvent((ev) => {
  if (ev.room && ev.room !== "demo-counter") { renderStatus(); return; }
  if (ev.type === "storageFailed") console.warn("saving failed:", ev.kind, ev.message);
  if (ev.type === "peerJoined") peers.set(ev.peer, ev.name || `replica ${ev.replica}`);
  if (ev.type === "peerLeft") peers.delete(ev.peer);
  renderPresence();
  renderStatus();
});
addEventListener("online", renderStatus);
addEventListener("offline", renderStatus);

// Shared text: only with the package built with `ydoc` rooms (scripts/build-demo
// --ydoc, which also bundles npm `yjs` into vendor/yjs.js); text.js binds a Y.Doc to
// the textarea.
let text = null;
if (typeof client.joinYdoc === "function") {
  const { bindText } = await import("./text.js");
  text = bindText(client.joinYdoc("demo-text"), $("text"));
  $("text-section").hidden = false;
}

renderCounter();
renderTodos();
renderPresence();
renderStatus();
setInterval(renderStatus, 1000);
// For tests and the console.
window.syncwire = { client, counter, todos, replica, text };
document.body.dataset.ready = "1";
