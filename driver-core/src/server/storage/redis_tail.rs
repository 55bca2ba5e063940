//! The tail feed on Redis (shared-log mode): one OS thread per node, on its own
//! connection, follows the streams (`{sw:<hex>}:log`) of the rooms the hub has
//! loaded ([`Follows`]) with `XREAD`, from the next offset of each, and hands what it
//! reads to the hub task ([`Appended`], which the hub task feeds to
//! `Hub::handle_appended`). Entries appended by this node come back too: the hub
//! ignores offsets it has.
//!
//! * **One call per turn** for up to [`MAX_STREAMS`] rooms, blocking Redis-side for
//!   at most [`BLOCK_MS`] (so a newly loaded room is read within that). With more
//!   rooms, every group is read without blocking in one pipeline, and only a turn
//!   that found nothing blocks, on one group in rotation.
//! * **Bounded.** At most [`COUNT`] entries per room per call; a room at its credit
//!   is not read (see [`crate::server::tail`]); handing entries to the hub task
//!   waits while its inbound channel is full (back-pressure on the feed only: the hub
//!   task never waits on it).
//! * **Failures.** A failed call drops the connection and marks the feed unreachable
//!   ([`FeedHealth`], `/health`); it reconnects by itself, at most once per
//!   [`RECONNECT_BACKOFF`]. The thread ends when the hub task is gone.

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use redis::{Client, Connection, Value};
use syncwire_proto::hub::StoredEntry;

use super::redis_backend::{CONNECT_TIMEOUT, IO_TIMEOUT, RECONNECT_BACKOFF};
use super::redis_codec::{array, bytes, epoch_entries};
use super::redis_keys::RoomKeys;
use crate::server::tail::{Appended, FeedHealth, Follows, Reading};

/// Most streams one `XREAD` reads.
pub(crate) const MAX_STREAMS: usize = 256;
/// Most entries of one stream one `XREAD` returns.
pub(crate) const COUNT: usize = 256;
/// Longest an `XREAD` blocks Redis-side (milliseconds).
pub(crate) const BLOCK_MS: u64 = 100;
/// The key a feed with no room blocks on (never written): a liveness check.
const IDLE_KEY: &str = "{sw:}:idle";

/// Starts the feed thread; it hands entries to `deliver` (an `Err` ends it) and
/// ends by itself once `follows` has no other owner.
pub(crate) fn spawn(
    url: &str,
    follows: &Arc<Follows>,
    health: FeedHealth,
    deliver: impl FnMut(Appended) -> Result<(), ()> + Send + 'static,
) -> std::io::Result<()> {
    let client = Client::open(url).map_err(std::io::Error::other)?;
    let mut feed = Feed {
        client,
        conn: None,
        follows: Arc::downgrade(follows),
        health,
        turn: 0,
        last_connect: None,
    };
    std::thread::Builder::new()
        .name("syncwire-tail".to_owned())
        .spawn(move || feed.run(deliver))
        .map(drop)
}

struct Feed {
    client: Client,
    conn: Option<Connection>,
    follows: Weak<Follows>,
    health: FeedHealth,
    turn: usize,
    /// When the last connection attempt started (`None` before the first, which
    /// does not wait: a node's feed must follow its rooms from its first moment).
    last_connect: Option<std::time::Instant>,
}

/// What one read returned: per stream key, entries with their epochs.
type Read = Vec<(Vec<u8>, Vec<(StoredEntry, Option<u64>)>)>;

impl Feed {
    fn run(&mut self, mut deliver: impl FnMut(Appended) -> Result<(), ()>) {
        while let Some(follows) = self.follows.upgrade() {
            let rooms = follows.readable();
            drop(follows);
            let read = match self.read(&rooms) {
                Ok(read) => {
                    if !self.health.reachable() {
                        tracing::info!("tail feed: redis reachable again");
                    }
                    self.health.set(true);
                    read
                }
                Err(e) => {
                    if self.health.reachable() {
                        tracing::warn!(error = %e, "tail feed: redis unreachable");
                    }
                    self.health.set(false);
                    self.conn = None;
                    continue;
                }
            };
            let by_key: HashMap<String, &Reading> = rooms
                .iter()
                .map(|r| (RoomKeys::of(&r.room).log, r))
                .collect();
            for (key, got) in read {
                let Some(reading) = std::str::from_utf8(&key).ok().and_then(|k| by_key.get(k))
                else {
                    continue;
                };
                for (epoch, entries) in by_epoch(reading.epoch, got) {
                    let Some(follows) = self.follows.upgrade() else {
                        return;
                    };
                    let Some(credit) = follows.hand(reading, &entries) else {
                        continue;
                    };
                    drop(follows);
                    let room = reading.room.clone();
                    let appended = Appended {
                        room,
                        epoch,
                        entries,
                        credit,
                    };
                    if deliver(appended).is_err() {
                        return;
                    }
                }
            }
        }
    }

    /// The connection, (re)connecting at most once per backoff.
    fn connection(&mut self) -> Result<&mut Connection, String> {
        if self.conn.is_none() {
            if let Some(at) = self.last_connect {
                std::thread::sleep(RECONNECT_BACKOFF.saturating_sub(at.elapsed()));
            }
            self.last_connect = Some(std::time::Instant::now());
            let conn = self
                .client
                .get_connection_with_timeout(CONNECT_TIMEOUT)
                .and_then(|c| {
                    c.set_read_timeout(Some(IO_TIMEOUT))?;
                    c.set_write_timeout(Some(IO_TIMEOUT))?;
                    Ok(c)
                })
                .map_err(|e| e.to_string())?;
            self.conn = Some(conn);
        }
        self.conn.as_mut().ok_or_else(|| "not connected".to_owned())
    }

    /// One turn's reads (see the module doc).
    fn read(&mut self, rooms: &[Reading]) -> Result<Read, String> {
        let groups: Vec<&[Reading]> = rooms.chunks(MAX_STREAMS).collect();
        self.turn = self.turn.wrapping_add(1);
        let turn = self.turn;
        let conn = self.connection()?;
        if groups.len() > 1 {
            let mut pipe = redis::pipe();
            for g in &groups {
                pipe.add_command(xread(g, None));
            }
            let replies: Vec<Value> = pipe.query(conn).map_err(|e| e.to_string())?;
            let mut out = Vec::new();
            for r in replies {
                out.extend(decode(r)?);
            }
            if !out.is_empty() {
                return Ok(out);
            }
        }
        let blocking = match groups.get(turn % groups.len().max(1)) {
            Some(g) => xread(g, Some(BLOCK_MS)),
            None => {
                let mut c = redis::cmd("XREAD");
                c.arg("BLOCK")
                    .arg(BLOCK_MS)
                    .arg("STREAMS")
                    .arg(IDLE_KEY)
                    .arg("$");
                c
            }
        };
        let reply: Value = blocking.query(conn).map_err(|e| e.to_string())?;
        decode(reply)
    }
}

/// `XREAD [BLOCK ms] COUNT n STREAMS <logs> <ids>`, each from its next offset.
fn xread(rooms: &[Reading], block: Option<u64>) -> redis::Cmd {
    let mut c = redis::cmd("XREAD");
    if let Some(ms) = block {
        c.arg("BLOCK").arg(ms);
    }
    c.arg("COUNT").arg(COUNT).arg("STREAMS");
    for r in rooms {
        c.arg(RoomKeys::of(&r.room).log);
    }
    for r in rooms {
        // Stream ids are `<offset>-1`: everything after `<next>-0` is from `next` on.
        c.arg(format!("{}-0", r.next));
    }
    c
}

/// An `XREAD` reply (nil on timeout; an array of `[key, entries]` in RESP2, a map
/// in RESP3).
fn decode(v: Value) -> Result<Read, String> {
    let pairs: Vec<(Value, Value)> = match v {
        Value::Nil => return Ok(Vec::new()),
        Value::Map(m) => m,
        other => array(other, "xread")
            .map_err(|e| e.0)?
            .into_iter()
            .map(|p| {
                let mut it = array(p, "xread stream").map_err(|e| e.0)?.into_iter();
                Ok((
                    it.next().unwrap_or(Value::Nil),
                    it.next().unwrap_or(Value::Nil),
                ))
            })
            .collect::<Result<_, String>>()?,
    };
    pairs
        .into_iter()
        .map(|(k, v)| {
            let key = bytes(Some(k), "stream key").map_err(|e| e.0)?;
            Ok((key, epoch_entries(Some(v)).map_err(|e| e.0)?))
        })
        .collect()
}

/// Splits entries into runs of one epoch, in order (`followed` for entries that do
/// not name theirs).
fn by_epoch(followed: u64, got: Vec<(StoredEntry, Option<u64>)>) -> Vec<(u64, Vec<StoredEntry>)> {
    let mut out: Vec<(u64, Vec<StoredEntry>)> = Vec::new();
    for (e, epoch) in got {
        let epoch = epoch.unwrap_or(followed);
        match out.last_mut() {
            Some((last, run)) if *last == epoch => run.push(e),
            _ => out.push((epoch, vec![e])),
        }
    }
    out
}
