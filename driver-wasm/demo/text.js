// The demo's shared text: a Y.Doc of npm `yjs` (bundled into vendor/yjs.js by
// scripts/build-demo --ydoc) bound to a plain <textarea>, kept in sync through the
// room's Yjs update stream (SyncwireYdoc.onUpdate / applyUpdate). The document
// itself is Yjs's: this file only turns textarea edits into Y.Text operations and
// puts remote text back into the textarea, caret included.
import * as Y from "./vendor/yjs.js";

const isHigh = (c) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c) => c >= 0xdc00 && c <= 0xdfff;

/** The edit that turns `before` into `after`: [index, deleted count, inserted text],
 *  in UTF-16 code units (Y.Text's indices), never splitting a surrogate pair. */
export function diff(before, after) {
  const max = Math.min(before.length, after.length);
  let start = 0;
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  if (start > 0 && isHigh(before.charCodeAt(start - 1))) start--;
  let end = 0;
  while (end < max - start
    && before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)) end++;
  if (end > 0 && isLow(before.charCodeAt(before.length - end))) end--;
  return [start, before.length - start - end, after.slice(start, after.length - end)];
}

/** Binds the `ydoc` room `room` (a SyncwireYdoc) to `textarea`, on the root text
 *  "text". Returns { doc, ytext, room } for tests and the console. */
export function bindText(room, textarea) {
  const doc = new Y.Doc();
  const ytext = doc.getText("text");
  // The page's own changes go to the room; what came from the room does not.
  doc.on("update", (update, origin) => {
    if (origin !== room) room.applyUpdate(update);
  });
  // Remote changes: the whole document at once, then every change the page lacks.
  room.onUpdate((update) => {
    const focused = document.activeElement === textarea;
    const [from, to] = [textarea.selectionStart, textarea.selectionEnd];
    const rel = [Y.createRelativePositionFromTypeIndex(ytext, from),
      Y.createRelativePositionFromTypeIndex(ytext, to)];
    Y.applyUpdate(doc, update, room);
    const value = ytext.toString();
    if (textarea.value === value) return;
    textarea.value = value;
    if (focused) {
      const [a, b] = rel.map((r) => Y.createAbsolutePositionFromRelativePosition(r, doc)?.index ?? 0);
      textarea.setSelectionRange(a, b);
    }
  });
  textarea.value = ytext.toString();
  textarea.addEventListener("input", () => {
    const [at, deleted, inserted] = diff(ytext.toString(), textarea.value);
    doc.transact(() => {
      if (deleted > 0) ytext.delete(at, deleted);
      if (inserted) ytext.insert(at, inserted);
    });
  });
  return { doc, ytext, room };
}
