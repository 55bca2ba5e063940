//! The TypeScript declarations of the JavaScript API ([`crate::js`]) that
//! wasm-bindgen cannot derive from the Rust signatures: the options object, the
//! events, the values a map holds, the lifecycle states and the rejection of
//! `synced()`. They are appended to the
//! generated `syncwire_wasm.d.ts`; the methods of `SyncwireClient`,
//! `SyncwireCounter` and `SyncwireMap` refer to them through `unchecked_param_type`
//! and `unchecked_return_type`. Checked by `tsc --strict` on
//! `driver-wasm/ts/example.ts` (scripts/browser-test).

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** The lifecycle state of a session (`SyncwireClient.state()`). */
export type SyncwireState =
  | "Disconnected" | "Connecting" | "Handshaking" | "Connected"
  | "Backoff" | "Closed" | "Failed";

/**
 * What `synced()` of a document handle rejects with: `code` is the snake_case name
 * of the hub's refusal (`"forbidden"`, `"crdt_mismatch"`, `"too_many_rooms"`, ...;
 * `"unknown_<n>"` for a code this build does not know), or `"closed"` when the
 * session ended first.
 */
export interface SyncwireSyncError extends Error {
  code: string;
}

/** The fifth argument of the (deprecated) `new SyncwireClient(...)`. */
export interface SyncwireOptions {
  /** The credential sent in the `Hello` (docs/AUTH.md). */
  token?: string;
  /**
   * Called before every connection attempt (the first included); a string or a
   * promise of one replaces the token, anything else (or no answer within 10 s)
   * keeps the current one.
   */
  getToken?: () => string | Promise<string>;
}

/** The second argument of `SyncwireClient.open(urls, options)`. */
export interface SyncwireOpenOptions extends SyncwireOptions {
  /**
   * Save the session in IndexedDB (database `syncwire:<storageKey>`) under a replica
   * id of this tab's own, and restore it before connecting.
   */
  storageKey?: string;
  /** A replica id of the page's choosing (a positive integer below 2^53). */
  replicaId?: number;
  /** Shown to peers (presence). */
  name?: string;
}

/** Why a write to IndexedDB failed (`storageFailed` events). */
export type SyncwireStorageErrorKind = "quota" | "unavailable" | "other";

/** A value `SyncwireMap.set`/`setIn` accept (`undefined` is stored as `null`). */
export type SyncwireInput =
  | null | undefined | boolean | number | string
  | SyncwireInput[] | { [key: string]: SyncwireInput };

/** A value `SyncwireMap.toJSON` returns (bytes come back as `Uint8Array`). */
export type SyncwireValue =
  | null | boolean | number | string | Uint8Array
  | SyncwireValue[] | { [key: string]: SyncwireValue };

/** A session event, passed to the `onEvent` callback; `type` tells which. */
export type SyncwireEvent =
  | { type: "state"; from: SyncwireState; to: SyncwireState; reason?: string }
  | { type: "joined"; room: string; offset: number; head: number; resync: boolean }
  | { type: "resync"; room: string }
  | { type: "caughtUp"; room: string; offset: number }
  | { type: "delta"; room: string; offset: number }
  | { type: "acked"; room: string; seq: number }
  | { type: "rejected"; room: string; message: string }
  | { type: "peerJoined"; room: string; peer: number; replica: number; name: string }
  | { type: "peerLeft"; room: string; peer: number }
  | { type: "peerCount"; room: string; count: number }
  | { type: "presence"; room: string; peer: number; state: string }
  | { type: "error"; message: string }
  | { type: "storageFailed"; kind: SyncwireStorageErrorKind; message: string; attempt: number; retryInMs: number }
  | { type: "storageRecovered"; attempts: number };
"#;
