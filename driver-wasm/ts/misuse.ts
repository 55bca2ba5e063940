// Each line below must be a type error: if the declarations fell back to `any`,
// the `@ts-expect-error` would be unused and tsc would fail (scripts/check-ts).
import { SyncwireClient } from "syncwire-wasm";

declare const client: SyncwireClient;
// @ts-expect-error: an option that does not exist
new SyncwireClient("ws://127.0.0.1:8080/sync", undefined, undefined, undefined, { tokn: "x" });
// @ts-expect-error: getToken answers a string (or a promise of one)
new SyncwireClient("ws://127.0.0.1:8080/sync", undefined, undefined, undefined, { getToken: () => 1 });
// @ts-expect-error: a state event has no `room`
client.onEvent((ev) => ev.type === "state" && ev.room);
// @ts-expect-error: not a state name
const s: "Online" = client.state();
// @ts-expect-error: a function is not a map value
client.joinMap("m").set("k", () => 1);
// @ts-expect-error: onChange callbacks get no argument
client.joinCounter("c").onChange((x: number) => x);
// @ts-expect-error: open takes a URL or a list of URLs
await SyncwireClient.open(8080);
// @ts-expect-error: not an option of open
await SyncwireClient.open("ws://127.0.0.1:8080/sync", { storage: "x" });
// @ts-expect-error: a storageFailed event's kind is quota, unavailable or other
client.onEvent((ev) => ev.type === "storageFailed" && ev.kind === "full");
// @ts-expect-error: synced() resolves to nothing
const n: number = await client.joinCounter("c").synced();
console.log(s, n);
// @ts-expect-error: the lean package has no `ydoc` rooms (scripts/build-pkg --ydoc)
client.joinYdoc("notes");
