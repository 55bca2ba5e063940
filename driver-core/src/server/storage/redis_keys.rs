//! The Redis key layout of a room and the Lua scripts that change it: the only code
//! that knows how a room is laid out in Redis.
//!
//! # Keys
//!
//! Every key of a room starts with the hash tag `{sw:<hex>}`, `<hex>` being the room
//! name's UTF-8 bytes in lowercase hexadecimal. Hex is injective (two room names never
//! share keys) and has no `{` or `}`, so the hash tag is exactly `sw:<hex>`: all keys
//! of a room live in one Redis Cluster hash slot, which scripts touching several of
//! them need.
//!
//! * `{sw:<hex>}:meta` — hash: `crdt`, `epoch`, `head` (next offset), `first` (first
//!   offset still stored as an entry). Its absence means the room has no history.
//! * `{sw:<hex>}:log` — stream: one entry per log entry, stream id `<offset>-1`
//!   (ids are offsets, so `XRANGE` reads offset ranges and `XTRIM MINID` drops the
//!   entries below a snapshot), fields `o` (offset), `r` (replica), `s` (seq), `p`
//!   (payload bytes). A stream, not a list or a sorted set, so that other hub nodes
//!   can later follow a room with `XREAD BLOCK` from the last id they saw.
//! * `{sw:<hex>}:seqs` — hash: replica id (decimal) → highest seq stored in this
//!   epoch (entries folded into the snapshot included): the deduplication table.
//! * `{sw:<hex>}:snap` — hash: `offset`, `state` (bytes), `seqs` (the snapshot's
//!   table, 16 bytes a replica: id and seq, big-endian).
//!
//! # Scripts
//!
//! Each action is one script (`EVALSHA`, atomic on the Redis side): the append
//! script is the single place that assigns offsets (checks the head) and validates
//! per-replica sequences. Lua numbers are doubles, so offsets and seqs are kept
//! below 2^53 ([`MAX_SAFE`], checked before sending); replica ids are only ever
//! handled as strings. Refusals come back as `{"refused", message}` (the messages
//! of the reference backend), successes as `{"ok", ...}`.

use redis::Script;
use syncwire_proto::wire::RoomId;

/// Largest offset or seq the scripts handle exactly (2^53 - 1: Lua numbers are doubles).
pub(crate) const MAX_SAFE: u64 = (1 << 53) - 1;

/// The keys of one room, in the order every script takes them.
pub(crate) struct RoomKeys {
    pub(crate) meta: String,
    pub(crate) log: String,
    pub(crate) seqs: String,
    pub(crate) snap: String,
    pub(crate) fold: String,
}

impl RoomKeys {
    /// The keys of `room`.
    pub(crate) fn of(room: &RoomId) -> RoomKeys {
        let tag = tag(room.as_str());
        RoomKeys {
            meta: format!("{tag}:meta"),
            log: format!("{tag}:log"),
            seqs: format!("{tag}:seqs"),
            snap: format!("{tag}:snap"),
            fold: format!("{tag}:fold"),
        }
    }

    /// All four keys, as scripts take them (`KEYS[1..4]`).
    pub(crate) fn all(&self) -> [&str; 4] {
        [&self.meta, &self.log, &self.seqs, &self.snap]
    }

    /// The four keys and the fold lease (`KEYS[1..5]`), as the fold scripts take them.
    pub(crate) fn with_lease(&self) -> [&str; 5] {
        [&self.meta, &self.log, &self.seqs, &self.snap, &self.fold]
    }
}

/// `{sw:<hex of name>}`.
fn tag(name: &str) -> String {
    let mut out = String::with_capacity(name.len() * 2 + 5);
    out.push_str("{sw:");
    for b in name.bytes() {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    out.push('}');
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The shared prologue: `m` is the room's meta (or a refusal) for `ARGV[1]` = epoch.
const CHECK: &str = r"
local m = redis.call('HMGET', KEYS[1], 'crdt', 'epoch', 'head', 'first')
if not m[2] then return {'refused', 'no such room'} end
if m[2] ~= ARGV[1] then return {'refused', 'epoch mismatch'} end
";

/// Create: `ARGV` = crdt, epoch. Refused when the room exists at another epoch
/// (another node created it first: its log is never discarded); otherwise drops
/// everything the room had and starts it empty at the epoch.
pub(crate) const CREATE: &str = r"
local e = redis.call('HGET', KEYS[1], 'epoch')
if e and e ~= ARGV[2] then return {'refused', 'room exists at another epoch'} end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
redis.call('HSET', KEYS[1], 'crdt', ARGV[1], 'epoch', ARGV[2], 'head', '0', 'first', '0')
return {'ok'}
";

/// Append: `ARGV` = epoch, n, then n × (offset, replica, seq, payload). Refused
/// unless the epoch matches, offsets run from the head and every seq is the
/// replica's highest + 1; then adds the entries, raises the seqs, moves the head.
pub(crate) const APPEND_BODY: &str = r"
local head = tonumber(m[3])
local n = tonumber(ARGV[2])
local top = {}
for i = 0, n - 1 do
  local b = 3 + i * 4
  if tonumber(ARGV[b]) ~= head + i then return {'refused', 'append not at head'} end
  local r = ARGV[b + 1]
  local hi = top[r] or tonumber(redis.call('HGET', KEYS[3], r) or '0')
  if tonumber(ARGV[b + 2]) ~= hi + 1 then
    return {'refused', 'sequence gap: replica ' .. r .. ' expected seq ' .. string.format('%d', hi + 1)}
  end
  top[r] = hi + 1
end
for i = 0, n - 1 do
  local b = 3 + i * 4
  redis.call('XADD', KEYS[2], ARGV[b] .. '-1', 'o', ARGV[b], 'r', ARGV[b + 1], 's', ARGV[b + 2], 'p', ARGV[b + 3], 'e', ARGV[1])
  redis.call('HSET', KEYS[3], ARGV[b + 1], ARGV[b + 2])
end
redis.call('HINCRBY', KEYS[1], 'head', n)
return {'ok'}
";

/// Shared append: `ARGV` = epoch, n, then n × (replica, seq, payload). Refused
/// (nothing stored) unless the epoch matches; then, per entry in order, the
/// sequence rule against the seqs hash: seq = stored + 1 is logged at the head
/// (stream id `<head>-1`, seqs raised, head + 1): `{'l', offset}`; seq not above
/// the stored one is a duplicate: `{'d', stored}`; anything else a gap, not stored:
/// `{'g', stored + 1}`. The only place offsets are assigned in shared-log mode.
pub(crate) const APPEND_SHARED_BODY: &str = r"
local head = tonumber(m[3])
local n = tonumber(ARGV[2])
local out = {}
for i = 0, n - 1 do
  local b = 3 + i * 3
  local r = ARGV[b]
  local hi = tonumber(redis.call('HGET', KEYS[3], r) or '0')
  local s = tonumber(ARGV[b + 1])
  if s <= hi then
    out[i + 1] = {'d', string.format('%d', hi)}
  elseif s == hi + 1 then
    local o = string.format('%d', head)
    redis.call('XADD', KEYS[2], o .. '-1', 'o', o, 'r', r, 's', ARGV[b + 1], 'p', ARGV[b + 2], 'e', ARGV[1])
    redis.call('HSET', KEYS[3], r, ARGV[b + 1])
    head = head + 1
    out[i + 1] = {'l', o}
  else
    out[i + 1] = {'g', string.format('%d', hi + 1)}
  end
end
redis.call('HSET', KEYS[1], 'head', string.format('%d', head))
return {'ok', out}
";

/// Load: `ARGV` = tail limit. `{'ok', crdt, epoch, head, first, snapshot, seqs, tail}`,
/// or `{'none'}`; tail newest first.
pub(crate) const LOAD: &str = r"
local m = redis.call('HMGET', KEYS[1], 'crdt', 'epoch', 'head', 'first')
if not m[2] then return {'none'} end
local tail = {}
if ARGV[1] ~= '0' then tail = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', ARGV[1]) end
local snap = redis.call('HMGET', KEYS[4], 'offset', 'state', 'seqs')
return {'ok', m[1], m[2], m[3], m[4], snap, redis.call('HGETALL', KEYS[3]), tail}
";

/// Range: `ARGV` = epoch, from, max. `{'ok', entries}` (none below `first`).
pub(crate) const RANGE_BODY: &str = r"
if ARGV[3] == '0' or tonumber(ARGV[2]) < tonumber(m[4]) then return {'ok', {}} end
return {'ok', redis.call('XRANGE', KEYS[2], ARGV[2] .. '-1', '+', 'COUNT', ARGV[3])}
";

/// Fold input: `ARGV` = epoch, to, lease token, lease ms. Takes the room's fold
/// lease (`SET NX PX`; refused while another node holds it: that node is folding
/// the same entries). `{'ok', crdt, snapshot, entries}`: the entries from the
/// snapshot's offset (0 without one) below `min(to, head)`.
pub(crate) const FOLD_INPUT_BODY: &str = r"
if not redis.call('SET', KEYS[5], ARGV[3], 'NX', 'PX', ARGV[4]) and redis.call('GET', KEYS[5]) ~= ARGV[3] then
  return {'refused', 'fold lease held by another node'}
end
local snap = redis.call('HMGET', KEYS[4], 'offset', 'state', 'seqs')
local from = tonumber(snap[1] or '0')
local to = math.min(tonumber(ARGV[2]), tonumber(m[3]))
local run = {}
if to > from then
  run = redis.call('XRANGE', KEYS[2], string.format('%d', from) .. '-1', string.format('%d', to - 1) .. '-1')
end
return {'ok', m[1], snap, run}
";

/// Fold commit: `ARGV` = epoch, base offset (`''`: none), new offset, state, seqs,
/// lease token. Releases the fold lease if this node holds it, then stores the snapshot and drops the entries below it only if the room is unchanged
/// (same epoch, same snapshot, head not below the new offset): `{'ok', 'stored'}`,
/// else `{'ok', 'kept', snapshot}` (the room's snapshot as it is, if any). Entries at
/// or above the new offset are never touched.
pub(crate) const FOLD_COMMIT: &str = r"
if redis.call('GET', KEYS[5]) == ARGV[6] then redis.call('DEL', KEYS[5]) end
local m = redis.call('HMGET', KEYS[1], 'epoch', 'head')
local snap = redis.call('HMGET', KEYS[4], 'offset', 'state', 'seqs')
if m[1] ~= ARGV[1] or (snap[1] or '') ~= ARGV[2] or tonumber(m[2]) < tonumber(ARGV[3]) then
  return {'ok', 'kept', snap}
end
redis.call('HSET', KEYS[4], 'offset', ARGV[3], 'state', ARGV[4], 'seqs', ARGV[5])
redis.call('XTRIM', KEYS[2], 'MINID', ARGV[3])
redis.call('HSET', KEYS[1], 'first', ARGV[3])
return {'ok', 'stored'}
";

/// Fold release (nothing to commit): `ARGV` = lease token. Drops the fold lease if
/// this node holds it.
pub(crate) const FOLD_RELEASE: &str = r"
if redis.call('GET', KEYS[5]) == ARGV[1] then redis.call('DEL', KEYS[5]) end
return {'ok'}
";

/// How long a fold lease lasts unless released (milliseconds): longer than a fold
/// takes, short enough that a node dying mid-fold holds up folding only briefly.
pub(crate) const FOLD_LEASE_MS: u64 = 10_000;

/// The backend's scripts (their SHA1s are computed once, by redis-rs).
pub(crate) struct Scripts {
    pub(crate) create: Script,
    pub(crate) append: Script,
    pub(crate) append_shared: Script,
    pub(crate) fold_release: Script,
    pub(crate) load: Script,
    pub(crate) range: Script,
    pub(crate) fold_input: Script,
    pub(crate) fold_commit: Script,
    /// Their sources, for `SCRIPT LOAD`.
    pub(crate) sources: Vec<String>,
}

impl Scripts {
    /// Every script of the backend.
    pub(crate) fn new() -> Scripts {
        let checked = |body: &str| format!("{CHECK}{body}");
        let sources = vec![
            CREATE.to_owned(),
            checked(APPEND_BODY),
            LOAD.to_owned(),
            checked(RANGE_BODY),
            checked(FOLD_INPUT_BODY),
            FOLD_COMMIT.to_owned(),
            checked(APPEND_SHARED_BODY),
            FOLD_RELEASE.to_owned(),
        ];
        Scripts {
            create: Script::new(&sources[0]),
            append: Script::new(&sources[1]),
            load: Script::new(&sources[2]),
            range: Script::new(&sources[3]),
            fold_input: Script::new(&sources[4]),
            fold_commit: Script::new(&sources[5]),
            append_shared: Script::new(&sources[6]),
            fold_release: Script::new(&sources[7]),
            sources,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_injective_and_share_one_hash_tag() {
        let a = RoomKeys::of(&RoomId::new("a}b"));
        let b = RoomKeys::of(&RoomId::new("a"));
        assert_eq!(a.meta, "{sw:617d62}:meta");
        assert_eq!(b.log, "{sw:61}:log");
        for k in a.all() {
            assert!(k.starts_with("{sw:617d62}:"));
        }
        assert_ne!(RoomKeys::of(&RoomId::new("é")).meta, a.meta);
    }
}
