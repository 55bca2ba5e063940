import init, {
  SyncwireClient, type SyncwireEvent, type SyncwireState, type SyncwireSyncError,
} from "syncwire-wasm";

await init();
// Two hub URLs (tried round-robin after a failed or lost connection); the session is
// saved in IndexedDB under a replica id of this tab's own.
const client = await SyncwireClient.open(
  ["wss://hub-a.example/sync", "wss://hub-b.example/sync"],
  { storageKey: "syncwire", name: "tab", getToken: async () => (await fetch("/token")).text() },
);
client.onEvent((ev: SyncwireEvent) => {
  if (ev.type === "state") console.log(`${ev.from} -> ${ev.to}`, ev.reason ?? "");
  else if (ev.type === "presence") console.log(`peer ${ev.peer}: ${ev.state}`);
  else if (ev.type === "storageFailed" && ev.kind === "quota") console.warn("storage full");
});
const state: SyncwireState = client.state();
const counter = client.joinCounter("counter");
counter.onChange(() => console.log("counter", counter.value()));
counter.increment(1);
const todos = client.joinMap("todos");
// Resolves once the room caught up with the hub; rejects if the hub refuses the join.
await todos.synced().catch((e: SyncwireSyncError) => console.warn("join refused:", e.code));
todos.setIn("t1", "title", "buy milk");
todos.set("t2", { title: "call back", done: false, tags: ["phone"] });
const first = todos.toJSON()["t1"]; // SyncwireValue
console.log(state, client.replicaId(), client.outboxLen(), first);
