//! [`RedisBackend`]: the room logs on a Redis server (key layout and scripts in
//! [`redis_keys`](super::redis_keys)), so that several hub nodes can later share a
//! room's log.
//!
//! * **One round trip per batch** (group commit): every action of a batch is one
//!   `EVALSHA` of its script, sent in one pipeline; Redis runs them in order, each
//!   atomically. Folds need a second round trip for their commit (after the merge,
//!   on this thread, [`redis_fold`](super::redis_fold)); that commit stores only if
//!   the room is unchanged, as the contract allows for folds finishing late.
//! * **Acks follow durability.** A completion is handed back only after Redis
//!   replied, and Redis replies to a write only after it is durable when it runs with
//!   `appendonly yes`, `appendfsync always` and `no-appendfsync-on-rewrite no` (the
//!   AOF is fsynced before replies go out), and keeps it when it cannot evict a
//!   room's keys. Every connection the backend opens, at [`RedisBackend::open`] and on
//!   each reconnect, is checked with `CONFIG GET` first, and checked again before a
//!   batch once its last check is [`RECHECK_EVERY`] old
//!   ([`redis_durability`](super::redis_durability)): [`RedisBackend::open`] refuses
//!   to start, and a reconnect or re-check fails its batch (nothing written, nothing acked),
//!   unless told `allow_unsafe_durability`. After such a refusal the backend is
//!   failed ([`Backend::retry_at`]: the storage worker reports it, `/health` 503 and
//!   `syncwire_storage_failed`): every batch fails at once with the refusal, and the
//!   worker asks it to [`Backend::recover`] (reconnect and check again) every
//!   [`REFUSED_RETRY`], until a connection passes. Nothing waits for Redis replicas
//!   (`WAIT`): replication is asynchronous, and `Storage::Redis`'s `wait_replicas`
//!   above 0 is refused before the backend is opened (docs/MULTINODE.md).
//! * **Failures.** A refused action fails alone (`StorageError` with the reference
//!   backend's message). A connection failure fails the whole batch and drops the
//!   connection; the next batch reconnects (one attempt per batch, at least
//!   [`RECONNECT_BACKOFF`] apart, each bounded by a timeout), so the hub fails the
//!   affected rooms and clients resume once Redis is back. If Redis lost its script
//!   cache (`NOSCRIPT`), the scripts are loaded again and the unrun rest retried once.
//!
//! redis-rs (the `redis` crate), not fred: its synchronous `Connection` fits the
//! storage worker, a plain OS thread running a synchronous [`Backend`]; fred is
//! async-only (it would need a tokio runtime inside the worker), and redis-rs has
//! the pipelines and `Script` (SHA1, `EVALSHA`) this backend needs, with few
//! dependencies when its default features are off.

use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::{Client, Connection, Pipeline, Value};
use syncwire_proto::crdt::DeltaMerger;
use syncwire_proto::hub::{StorageAction, StorageCompletion, StorageError};

use super::redis_actions::{Pending, finish};
use super::redis_durability::{self, Checked};
use super::redis_keys::Scripts;
use super::{Backend, as_failure, failed};
use crate::server::ServerError;

/// Longest wait for a connection to Redis.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Longest wait for any reply.
pub(crate) const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// Least time between two connection attempts.
pub(crate) const RECONNECT_BACKOFF: Duration = Duration::from_millis(250);
/// Time between two attempts while Redis is refused for durability.
pub(crate) const REFUSED_RETRY: Duration = Duration::from_secs(1);
/// Longest time a connection writes without its durability settings read again: a
/// `CONFIG SET` that makes Redis unsafe while the backend stays connected fails the
/// batches from the next check on.
pub(crate) const RECHECK_EVERY: Duration = Duration::from_secs(1);

/// How to reach Redis, and what it must guarantee.
#[derive(Clone, Debug)]
pub(crate) struct RedisOptions {
    /// `redis://host:port/db`.
    pub(crate) url: String,
    /// Use Redis even if its settings can lose acked writes (no durability check).
    pub(crate) allow_unsafe_durability: bool,
}

/// The Redis backend (runs on the storage worker thread).
pub(crate) struct RedisBackend {
    client: Client,
    conn: Option<Connection>,
    pub(crate) scripts: Scripts,
    merger: Arc<dyn DeltaMerger>,
    allow_unsafe_durability: bool,
    /// The durability refusal of the last connection checked, until one passes: the
    /// backend is failed meanwhile (each different refusal is logged once).
    refused: Option<String>,
    last_attempt: Instant,
    /// When the connection's durability settings were last read.
    checked_at: Instant,
    /// [`RECHECK_EVERY`], shorter in tests.
    pub(crate) recheck_every: Duration,
    /// Names this node's fold leases (random per backend).
    lease_token: String,
}

fn redis_error(e: &redis::RedisError) -> StorageError {
    StorageError(format!("redis: {e}"))
}

impl RedisBackend {
    /// Connects, checks durability (see the module doc) and loads the scripts.
    pub(crate) fn open(
        options: &RedisOptions,
        merger: Arc<dyn DeltaMerger>,
    ) -> Result<Self, ServerError> {
        let at = crate::server::redact_password(&options.url);
        let err = |m: String| ServerError::Storage(format!("redis at {at}: {m}"));
        let client = Client::open(options.url.as_str()).map_err(|e| err(e.to_string()))?;
        let mut backend = RedisBackend {
            client,
            conn: None,
            scripts: Scripts::new(),
            merger,
            allow_unsafe_durability: options.allow_unsafe_durability,
            refused: None,
            last_attempt: Instant::now(),
            checked_at: Instant::now(),
            recheck_every: RECHECK_EVERY,
            lease_token: format!("{:016x}", crate::random_seed()),
        };
        let conn = backend.connect().map_err(|e| err(e.0))?;
        backend.conn = Some(conn);
        Ok(backend)
    }

    /// A new connection with timeouts, Redis's durability settings checked (unless
    /// `allow_unsafe_durability`; before anything is written on it) and the scripts
    /// loaded. Used at open and on every reconnect.
    fn connect(&mut self) -> Result<Connection, StorageError> {
        self.last_attempt = Instant::now();
        let mut conn = self
            .client
            .get_connection_with_timeout(CONNECT_TIMEOUT)
            .map_err(|e| StorageError(format!("redis unreachable: {e}")))?;
        conn.set_read_timeout(Some(IO_TIMEOUT))
            .and_then(|()| conn.set_write_timeout(Some(IO_TIMEOUT)))
            .map_err(|e| redis_error(&e))?;
        self.check_durability(&mut conn)?;
        self.load_scripts(&mut conn)?;
        Ok(conn)
    }

    /// Reads Redis's durability settings on `conn` (unless `allow_unsafe_durability`):
    /// a refusal fails the backend until a connection passes again; a connection lost
    /// meanwhile is only that.
    fn check_durability(&mut self, conn: &mut Connection) -> Result<(), StorageError> {
        if self.allow_unsafe_durability {
            return Ok(());
        }
        match redis_durability::check(conn) {
            Ok(()) => {
                self.checked_at = Instant::now();
                if self.refused.take().is_some() {
                    tracing::info!("redis storage: Redis passes the durability check again");
                }
                Ok(())
            }
            Err(Checked::Refused(why)) => {
                if self.refused.as_ref() != Some(&why) {
                    tracing::error!(error = %why, "redis storage: refused by the durability check; nothing is written to Redis until it passes");
                }
                self.refused = Some(why.clone());
                self.last_attempt = Instant::now();
                Err(StorageError(why))
            }
            Err(Checked::Failed(e)) => {
                tracing::warn!(error = %e, "redis storage: connection lost during the durability check");
                Err(StorageError(format!("redis unreachable: {e}")))
            }
        }
    }

    fn load_scripts(&self, conn: &mut Connection) -> Result<(), StorageError> {
        let mut pipe = redis::pipe();
        for s in &self.scripts.sources {
            pipe.cmd("SCRIPT").arg("LOAD").arg(s);
        }
        pipe.query::<Vec<String>>(conn)
            .map(drop)
            .map_err(|e| redis_error(&e))
    }

    /// The connection, reconnecting (at most once, after the backoff) if there is none;
    /// while Redis is refused, the refusal until the next attempt is due. A connection
    /// whose settings were read more than `recheck_every` ago is checked again first,
    /// and dropped if that fails.
    fn connection(&mut self) -> Result<&mut Connection, StorageError> {
        if let Some(mut conn) = self.conn.take() {
            if self.checked_at.elapsed() < self.recheck_every {
                return Ok(self.conn.insert(conn));
            }
            self.check_durability(&mut conn)?;
            return Ok(self.conn.insert(conn));
        }
        if let Some(why) = &self.refused
            && self.retry_at().is_some_and(|at| at > Instant::now())
        {
            return Err(StorageError(why.clone()));
        }
        let wait = RECONNECT_BACKOFF.saturating_sub(self.last_attempt.elapsed());
        std::thread::sleep(wait);
        let conn = self.connect()?;
        Ok(self.conn.insert(conn))
    }

    /// Runs `pipe` (errors per command kept as values). A connection failure drops
    /// the connection. If Redis lost the scripts for a suffix of the pipeline, they
    /// are loaded again and that suffix runs once more.
    pub(crate) fn run(&mut self, pipe: &Pipeline) -> Result<Vec<Value>, StorageError> {
        if pipe.cmd_iter().next().is_none() {
            return Ok(Vec::new());
        }
        let mut pipe = pipe.clone();
        pipe.ignore_errors();
        let conn = self.connection()?;
        let mut replies = match pipe.query::<Vec<Value>>(conn) {
            Ok(r) => r,
            Err(e) => {
                self.conn = None;
                return Err(redis_error(&e));
            }
        };
        let lost = |v: &Value| matches!(v, Value::ServerError(e) if e.kind() == Some(redis::ServerErrorKind::NoScript));
        if let Some(first) = replies.iter().position(lost)
            && replies[first..].iter().all(lost)
        {
            let mut rest = redis::pipe();
            rest.ignore_errors();
            for cmd in pipe.cmd_iter().skip(first) {
                rest.add_command(cmd.clone());
            }
            let mut conn = self.conn.take().ok_or_else(|| redis_error_str("gone"))?;
            self.load_scripts(&mut conn)?;
            let again = rest
                .query::<Vec<Value>>(&mut conn)
                .map_err(|e| redis_error(&e))?;
            self.conn = Some(conn);
            replies.truncate(first);
            replies.extend(again);
        }
        Ok(replies)
    }

    fn batch(
        &mut self,
        actions: Vec<StorageAction>,
    ) -> Result<Vec<StorageCompletion>, StorageError> {
        let mut pipe = redis::pipe();
        let pending: Vec<Pending> = actions
            .into_iter()
            .map(|a| Pending::prepare(&self.scripts, &self.lease_token, a, &mut pipe))
            .collect();
        let replies = self.run(&pipe)?;
        finish(self, pending, replies)
    }

    /// What this node's fold leases hold.
    pub(crate) fn lease_token(&self) -> &str {
        &self.lease_token
    }

    /// The merger folds use.
    pub(crate) fn merger(&self) -> Arc<dyn DeltaMerger> {
        self.merger.clone()
    }
}

pub(crate) fn redis_error_str(m: &str) -> StorageError {
    StorageError(format!("redis: {m}"))
}

impl Backend for RedisBackend {
    fn execute_batch(&mut self, actions: Vec<StorageAction>) -> Vec<StorageCompletion> {
        let ids: Vec<StorageCompletion> = actions.iter().map(|a| failed(a, "")).collect();
        match self.batch(actions) {
            Ok(done) => done,
            Err(e) => ids.iter().map(|c| as_failure(c, &e.0)).collect(),
        }
    }

    /// While the last connection was refused for durability: [`REFUSED_RETRY`] after
    /// the last attempt.
    fn retry_at(&self) -> Option<Instant> {
        self.refused
            .as_ref()
            .map(|_| self.last_attempt + REFUSED_RETRY)
    }

    /// Reconnects and checks Redis again (while refused): `true` once it passes.
    fn recover(&mut self) -> bool {
        if self.refused.is_none() {
            return false;
        }
        match self.connect() {
            Ok(conn) => {
                self.conn = Some(conn);
                true
            }
            Err(_) => false,
        }
    }
}
