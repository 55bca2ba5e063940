import init, { SyncwireClient, type SyncwireEvent, type SyncwireState } from "syncwire-wasm";

await init();
// No replica id: a fresh random one, saved with the state under the storage key.
const client = new SyncwireClient("ws://127.0.0.1:8080/sync", undefined, "syncwire", "tab", {
  getToken: async () => (await fetch("/token")).text(),
});
client.onEvent((ev: SyncwireEvent) => {
  if (ev.type === "state") console.log(`${ev.from} -> ${ev.to}`, ev.reason ?? "");
  else if (ev.type === "presence") console.log(`peer ${ev.peer}: ${ev.state}`);
});
const state: SyncwireState = client.state();
const counter = client.joinCounter("counter");
counter.onChange(() => console.log("counter", counter.value()));
counter.increment(1);
const todos = client.joinMap("todos");
todos.setIn("t1", "title", "buy milk");
todos.set("t2", { title: "call back", done: false, tags: ["phone"] });
const first = todos.toJSON()["t1"]; // SyncwireValue
console.log(state, client.replicaId(), client.outboxLen(), first);
