// A typed use of `ydoc` rooms: the package built with them (scripts/build-pkg --ydoc)
// and a Y.Doc of npm `yjs` on the page. Checked by scripts/check-ts --ydoc.
import init, { SyncwireClient, type SyncwireYdoc } from "syncwire-wasm";
import * as Y from "yjs";

await init();
const client = await SyncwireClient.open("wss://hub.example/sync", { storageKey: "notes" });
const room: SyncwireYdoc = client.joinYdoc("notes");
const doc = new Y.Doc();
// At once the whole document, then every change the page does not have yet.
room.onUpdate((update: Uint8Array) => Y.applyUpdate(doc, update, room));
// The page's own changes go to the room; those that came from it do not.
doc.on("update", (update: Uint8Array, origin: unknown) => {
  if (origin !== room) room.applyUpdate(update);
});
doc.getText("t").insert(0, "hello");
const text: string = room.text("t"); // the replica's copy, read by yrs
const sv: Uint8Array = room.stateVector();
const whole: Uint8Array = room.encodeState();
room.onChange(() => console.log("changed", room.text("t")));
room.setPresence("typing");
console.log(text, sv.length, whole.length);
