// Each line below must be a type error (scripts/check-ts --ydoc): the declarations of
// `ydoc` rooms are typed, not `any`.
import { SyncwireClient } from "syncwire-wasm";

declare const client: SyncwireClient;
const room = client.joinYdoc("notes");
// @ts-expect-error: an update is bytes, not text
room.applyUpdate("hello");
// @ts-expect-error: onUpdate callbacks get a Uint8Array
room.onUpdate((update: string) => update);
// @ts-expect-error: text() is a string
const n: number = room.text("t");
// @ts-expect-error: joinYdoc takes a room name
client.joinYdoc(1);
