//! What a Redis server must guarantee before the backend writes to it: that a write
//! it replied to is on its disk and stays there. [`check`] reads Redis's settings
//! with `CONFIG GET` (one pipelined round trip) and refuses, naming the setting and
//! the value it needs, unless:
//!
//! * `appendonly` is `yes` and `appendfsync` is `always`: every write goes to the
//!   append-only file, fsynced before Redis replies (to the writer, and to the tail
//!   feeds' blocked `XREAD`s of the same event-loop turn);
//! * `no-appendfsync-on-rewrite` is `no`: with `yes`, Redis skips that fsync while a
//!   `BGREWRITEAOF` or `BGSAVE` child runs, so writes acked meanwhile can be lost on
//!   power loss;
//! * `maxmemory` is 0 (no limit), or `maxmemory-policy` is one that never evicts a
//!   key without a TTL ([`SAFE_POLICIES`]): a room's keys have none (only its fold
//!   lease has one, and losing it early is harmless: a stale fold stores nothing).
//!   Under an `allkeys-*` policy Redis may evict a room's `meta` key; the hub then
//!   finds no room and creates it again at a new epoch, dropping every acked entry.
//!
//! The backend runs it on every connection it opens, at start and on each reconnect
//! (a Redis restarted with other settings is caught before anything is written to
//! it), and again before a batch on a connection whose last check is older than
//! [`RECHECK_EVERY`](super::redis_backend::RECHECK_EVERY) (a `CONFIG SET` while the
//! backend stays connected), unless told `allow_unsafe_durability`.
//!
//! Only a real refusal is [`Checked::Refused`]: settings that can lose acked writes,
//! or an answer that does not say (`CONFIG` disabled or denied). A connection that
//! fails during the check (I/O error, timeout) is [`Checked::Failed`]: it says
//! nothing about Redis's settings, and is handled as any lost connection.

use std::collections::HashMap;

use redis::Connection;

/// Eviction policies that never evict a key without a TTL.
pub(crate) const SAFE_POLICIES: [&str; 5] = [
    "noeviction",
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
];

/// Settings that must have exactly one value, and what goes wrong otherwise.
const REQUIRED: [(&str, &str, &str); 3] = [
    (
        "appendonly",
        "yes",
        "every write logged to the append-only file",
    ),
    (
        "appendfsync",
        "always",
        "every write fsynced before Redis replies",
    ),
    (
        "no-appendfsync-on-rewrite",
        "no",
        "with yes, Redis skips the fsync while a BGREWRITEAOF or BGSAVE child runs, \
         so writes acked meanwhile can be lost on power loss",
    ),
];

/// What the operator can do about a refusal.
const REMEDY: &str =
    "configure Redis so, or set redis_allow_unsafe_durability to accept losing acked writes";

/// Why [`check`] did not accept a connection.
#[derive(Debug)]
pub(crate) enum Checked {
    /// Redis can lose acked writes, or its settings cannot be read: the message names
    /// the setting, its value and the value needed, or why they cannot be read.
    Refused(String),
    /// The connection failed during the check; nothing is known of the settings.
    Failed(redis::RedisError),
}

/// Refuses a Redis whose acked writes could be lost (see the module doc).
pub(crate) fn check(conn: &mut Connection) -> Result<(), Checked> {
    let names: Vec<&str> = REQUIRED
        .iter()
        .map(|(name, ..)| *name)
        .chain(["maxmemory", "maxmemory-policy"])
        .collect();
    let mut pipe = redis::pipe();
    for name in &names {
        pipe.cmd("CONFIG").arg("GET").arg(*name);
    }
    let replies: Vec<HashMap<String, String>> = pipe.query(conn).map_err(|e| {
        if e.is_io_error()
            || e.is_timeout()
            || e.is_connection_dropped()
            || e.is_connection_refusal()
        {
            Checked::Failed(e)
        } else {
            Checked::Refused(format!(
                "cannot check durability (CONFIG GET: {e}); \
                 set redis_allow_unsafe_durability to use this Redis anyway"
            ))
        }
    })?;
    let value = |i: usize| {
        replies
            .get(i)
            .and_then(|r| r.get(names[i]))
            .map_or("", String::as_str)
    };
    for (i, (name, want, why)) in REQUIRED.iter().enumerate() {
        let got = value(i);
        if got != *want {
            return Err(Checked::Refused(format!(
                "Redis has {name} = {got:?}, but acks need {name} {want} ({why}); {REMEDY}"
            )));
        }
    }
    let (maxmemory, policy) = (value(REQUIRED.len()), value(REQUIRED.len() + 1));
    if maxmemory != "0" && !SAFE_POLICIES.contains(&policy) {
        return Err(Checked::Refused(format!(
            "Redis has maxmemory = {maxmemory:?} and maxmemory-policy = {policy:?}, which may \
             evict a room's keys (the room is then created again empty, dropping every acked \
             entry); acks need maxmemory 0 or maxmemory-policy noeviction (or one of {}: \
             syncwire's room keys have no TTL); {REMEDY}",
            SAFE_POLICIES[1..].join(", ")
        )));
    }
    Ok(())
}
