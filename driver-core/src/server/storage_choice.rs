//! [`Storage`]: where a server's room logs live (memory, a shared in-process
//! [`MemoryStore`], redb, or Redis), as chosen in the settings.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use syncwire_proto::hub::MemoryStorage;

use super::config::ServerError;

/// Room logs in process memory (proto's `MemoryStorage`) that outlive a server:
/// clones share the same logs, so a server restarted with a clone of the store
/// ([`Storage::Shared`]) resumes every room (within the process; nothing survives
/// the process). Two stores are equal when they share the same logs.
#[derive(Clone, Debug, Default)]
pub struct MemoryStore(pub(crate) Arc<Mutex<MemoryStorage>>);

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStore::default()
    }
}

impl PartialEq for MemoryStore {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for MemoryStore {}

/// Where the hub's room logs live. Its `Debug` hides a Redis URL's password
/// ([`redact_password`]).
#[derive(Clone, PartialEq, Eq)]
pub enum Storage {
    /// In process memory (proto's `MemoryStorage`): lost on exit. For tests and demos.
    Memory,
    /// In a [`MemoryStore`] the caller keeps, so a restarted server (in the same
    /// process) finds the rooms again. For tests and demos.
    Shared(MemoryStore),
    /// An embedded crash-safe redb database in this directory (created if missing).
    /// Every append is fsynced before the hub acks it.
    Redb {
        /// The data directory; the database file is `syncwire.redb` inside it.
        dir: PathBuf,
    },
    /// A Redis server (driver-core feature `redis`; see docs/DEPLOYMENT.md, "Redis"):
    /// every room's log, snapshot and sequence table under keys `{sw:<hex room>}:*`.
    /// Writes are acked once Redis stored them, which means durable only with
    /// `appendonly yes`, `appendfsync always`, `no-appendfsync-on-rewrite no` and no
    /// eviction of keys without a TTL: the server refuses to start otherwise (and a
    /// reconnect to such a Redis fails its batch), unless `allow_unsafe_durability`.
    /// Replication to Redis replicas is asynchronous. The hub runs in shared-log
    /// mode (`HubConfig::shared_log`) with a tail feed following the rooms it
    /// loaded, so any number of servers may serve the same rooms on one Redis.
    Redis {
        /// `redis://[user:password@]host:port/db`.
        url: String,
        /// Replicas that would have to acknowledge every write before it is acked.
        /// Must be 0: anything else is refused by validation
        /// ([`ServerError::Unsupported`]), because acks cannot wait for replicas yet
        /// (the hub acks its own entries when the tail feed reads them back, in the
        /// same Redis event-loop turn as their append; docs/MULTINODE.md, "Redis
        /// replicas"). Replication to Redis replicas is asynchronous: a failover to
        /// a replica can lose acked writes.
        wait_replicas: u32,
        /// Use Redis even if its settings can lose acked writes (no fsync of every
        /// write, fsync skipped during rewrites, eviction of room keys) or cannot be
        /// read (`CONFIG` disabled): the operator vouches for them.
        allow_unsafe_durability: bool,
    },
}

impl Storage {
    /// Refuses what this storage cannot do yet: Redis's `wait_replicas` above 0.
    pub(crate) fn validate(&self) -> Result<(), ServerError> {
        match self {
            Storage::Redis { wait_replicas, .. } if *wait_replicas > 0 => {
                Err(ServerError::Unsupported {
                    setting: "wait_replicas",
                    reason: format!(
                        "{wait_replicas} replicas asked for, but acks cannot wait for Redis replicas \
                         yet: the hub acks a delta when the tail feed reads it back from Redis, in \
                         the same event-loop turn as its append, before any WAIT could hold the ack \
                         back; set it to 0 (replication stays asynchronous: a failover to a replica \
                         can lose acked writes; docs/MULTINODE.md, \"Redis replicas\")"
                    ),
                })
            }
            _ => Ok(()),
        }
    }
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Storage::Memory => f.write_str("Memory"),
            Storage::Shared(store) => f.debug_tuple("Shared").field(store).finish(),
            Storage::Redb { dir } => f.debug_struct("Redb").field("dir", dir).finish(),
            Storage::Redis {
                url,
                wait_replicas,
                allow_unsafe_durability,
            } => f
                .debug_struct("Redis")
                .field("url", &redact_password(url))
                .field("wait_replicas", wait_replicas)
                .field("allow_unsafe_durability", allow_unsafe_durability)
                .finish(),
        }
    }
}

/// `url` with its password replaced by `***`, for messages, logs and printed
/// settings: the password of the user info (`scheme://user:password@host…`, up to
/// the last `@`, since an unescaped password may hold `/`, `?`, `#` or `@`), and
/// the value of a `pass` or `password` query parameter (`redis+unix:///s?pass=…`).
/// It errs on hiding: an `@` later in the URL hides more than the password.
pub fn redact_password(url: &str) -> String {
    let Some(start) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let mut out = url.to_owned();
    if let Some(at) = url[start..].rfind('@').map(|i| start + i)
        && let Some(colon) = url[start..at].find(':').map(|i| start + i)
    {
        out = format!("{}***{}", &url[..=colon], &url[at..]);
    }
    for key in ["pass=", "password="] {
        let mut from = 0;
        while let Some(i) = out[from..].find(key).map(|i| from + i) {
            let value = i + key.len();
            let end = out[value..]
                .find(['&', '#'])
                .map_or(out.len(), |e| value + e);
            if matches!(out[..i].chars().last(), Some('?' | '&')) {
                out.replace_range(value..end, "***");
            }
            from = value;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_in_a_url_is_hidden_and_nothing_else_changes() {
        let cases = [
            ("redis://:s3cret@host:6379/0", "redis://:***@host:6379/0"),
            ("redis://user:p@ss@host/0", "redis://user:***@host/0"),
            // An `@` after the host hides more than the password, never less.
            ("rediss://u:pw@h:1/2?x=a:b@c", "rediss://u:***@c"),
            ("redis://:ab/c?d#e@host:6379/0", "redis://:***@host:6379/0"),
            (
                "redis+unix:///tmp/r.sock?db=1&pass=pw&x=2",
                "redis+unix:///tmp/r.sock?db=1&pass=***&x=2",
            ),
            (
                "redis+unix:///s?password=pw",
                "redis+unix:///s?password=***",
            ),
            ("redis://h/0?bypass=1", "redis://h/0?bypass=1"),
            ("redis://user@host/0", "redis://user@host/0"),
            ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
            ("not a url: a@b", "not a url: a@b"),
        ];
        for (url, want) in cases {
            assert_eq!(redact_password(url), want, "{url}");
        }
        let storage = Storage::Redis {
            url: "redis://:s3cret@host/0".into(),
            wait_replicas: 0,
            allow_unsafe_durability: false,
        };
        let shown = format!("{storage:?}");
        assert!(
            !shown.contains("s3cret") && shown.contains("host"),
            "{shown}"
        );
    }
}
