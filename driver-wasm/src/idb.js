// IndexedDB, Web Locks and sessionStorage calls of syncwire-wasm (src/idb.rs says why
// they are JavaScript). Each function is one promise the Rust side awaits; the layout
// and the rules are documented in src/idb.rs and src/tab.rs.
const STORES = ["rooms", "outbox", "replicas"];
const done = (req) => new Promise((ok, fail) => {
  req.onsuccess = () => ok(req.result);
  req.onerror = () => fail(req.error);
});

export function idbOpen(name) {
  const req = indexedDB.open(name, 1);
  req.onupgradeneeded = () => {
    for (const s of STORES) if (!req.result.objectStoreNames.contains(s)) req.result.createObjectStore(s);
  };
  return done(req).then((db) => {
    // Resolves when the connection ends: the browser closed it (site data cleared),
    // or another connection deletes or upgrades the database (closed here at once so
    // that it is not blocked; closing does not fire `close`).
    db.ended = new Promise((end) => {
      db.onclose = end;
      db.onversionchange = () => { db.close(); end(); };
    });
    return db;
  });
}

export const idbEnded = (db) => db.ended;
export const idbReopen = (db) => idbOpen(db.name);

// [room keys, room records, delta keys, delta payloads] of replica `r`: keys are
// `[r, room]` and `[r, room, seq]`; arrays sort after strings, so `[r, []]` is above all.
export function idbLoad(db, r) {
  const tx = db.transaction(["rooms", "outbox"]);
  const range = IDBKeyRange.bound([r], [r, []]);
  const get = (s, f) => done(tx.objectStore(s)[f](range));
  return Promise.all([get("rooms", "getAllKeys"), get("rooms", "getAll"),
    get("outbox", "getAllKeys"), get("outbox", "getAll")]);
}

export function idbReplicas(db) {
  return done(db.transaction("replicas").objectStore("replicas").getAllKeys());
}

// One transaction: ops are [kind, room, seq, bytes] with kind 0 put room, 1 delete
// room, 2 put delta, 3 delete delta. All or nothing; resolves once committed.
export function idbWrite(db, r, ops) {
  return new Promise((ok, fail) => {
    let tx;
    try {
      tx = db.transaction(STORES, "readwrite");
      tx.oncomplete = () => ok();
      tx.onabort = () => fail(tx.error ?? new DOMException("transaction aborted", "AbortError"));
      const rooms = tx.objectStore("rooms");
      const outbox = tx.objectStore("outbox");
      for (const [kind, room, seq, bytes] of ops) {
        if (kind === 0) rooms.put(bytes, [r, room]);
        else if (kind === 1) rooms.delete([r, room]);
        else if (kind === 2) outbox.put(bytes, [r, room, seq]);
        else outbox.delete([r, room, seq]);
      }
      tx.objectStore("replicas").put(1, r);
      tx.commit?.();
    } catch (e) {
      try { tx?.abort(); } catch { /* already finished */ }
      fail(e);
    }
  });
}

// The Web Lock `name` if no other tab holds it (retried every 50 ms for `waitMs`): a
// function that releases it, or null. Without Web Locks: a function doing nothing.
export async function lockTry(name, waitMs) {
  if (!globalThis.navigator?.locks) return () => {};
  for (let waited = 0; ; waited += 50) {
    const release = await new Promise((ok) => {
      navigator.locks.request(name, { ifAvailable: true }, (lock) =>
        lock ? new Promise((free) => ok(free)) : ok(null));
    });
    if (release || waited >= waitMs) return release;
    await new Promise((wake) => setTimeout(wake, 50));
  }
}

function tabGet(key) {
  try { return Number(sessionStorage.getItem(key)) || 0; } catch { return 0; }
}

// The replica this tab takes under `key` and its lock, in src/tab.rs's order:
// [replica, release function], or [0, null] when none is free (then a fresh id).
export async function tabClaim(db, key, configured, graceMs) {
  const lock = (r, wait) => lockTry(`syncwire:${key}:${r}`, wait);
  if (configured) return [configured, await lock(configured, graceMs)];
  const mine = tabGet(`syncwire:${key}:replica`);
  const release = mine && await lock(mine, graceMs);
  if (release) return [mine, release];
  for (const r of await idbReplicas(db)) {
    const free = r !== mine && await lock(r, 0);
    if (free) return [r, free];
  }
  return [0, null];
}

export function tabSet(key, id) {
  try { sessionStorage.setItem(key, String(id)); } catch { /* storage disabled */ }
}
