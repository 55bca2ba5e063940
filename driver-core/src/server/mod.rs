//! The hub server's runtime-neutral half (feature `server`), written once for the
//! tokio and async-std servers: settings and their validation ([`ServerConfig`],
//! [`ServerError`]), the hub task (`hub_task`), the per-connection loop ([`serve`]),
//! the messages between them (`messages`), the bounded per-connection queue
//! (`outbound_queue`), storage (memory, shared memory and redb backends, on a
//! worker thread of their own: `storage`), the tail feed of shared-log mode (`tail`:
//! the rooms followed on Redis, whose entries other nodes appended) and
//! authorization ([`auth`]: the server
//! authorizer, the upgrade request, JWT, the origin check; `auth_runner`: deferred
//! decisions, bounded by [`ServerConfig::auth_timeout`]).
//!
//! A server plugs in through [`ServerRuntime`] (spawn, sleep) and hands each accepted
//! WebSocket to [`serve`] as a [`ServerSocket`] (a `Stream` of
//! [`Incoming`](crate::Incoming) and a `Sink` of [`Outgoing`];
//! [`WsAdapter`](crate::WsAdapter) makes one). Accepting connections, HTTP routes and
//! signals stay in the server crates.
//!
//! ```text
//! connection task ×N ──ToHub (bounded, awaits)──▶ hub task ──StorageAction (bounded)──▶ storage thread
//!        ▲                                          │   ▲                                    │
//!        └──── Outbound (bounded per connection) ───┘   └──── StorageCompletion (bounded) ────┘
//! ```
//!
//! A server's life: [`ServerConfig::open`] validates the settings and opens storage
//! (in its `bind`), [`HubServer::start`] starts the storage worker and the hub task,
//! connections are served with [`serve`] and the [`HubServer::context`], and after
//! the stop signal [`HubServer::finish`] waits for the hub to drain (every accepted
//! delta durable and acked), the storage worker to end, and the connections to close
//! (each gets `GOING_AWAY`, 1001), within [`ServerConfig::shutdown_grace`].
//!
//! Every queue is bounded; the outcome of each bound is described where the queue is
//! used (`hub_task`, [`connection`](serve), `outbound_queue`, `storage::worker`).

pub mod auth;
mod auth_runner;
mod config;
mod connection;
mod counters;
mod hub_task;
mod messages;
mod outbound_queue;
mod runtime;
mod storage;
mod storage_choice;
mod tail;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use futures_channel::oneshot;
use syncwire_proto::hub::{Hub, NodeId};

pub use crate::Outgoing;
pub use config::{ServerConfig, ServerError, TlsFiles};
pub use connection::{CLOSE_WAIT, ConnContext, StorageTrouble, serve};
pub use counters::{STORAGE_BATCH_BUCKETS, ServerCounters};
pub use runtime::{ServerRuntime, ServerSocket, timeout};
pub use storage_choice::{MemoryStore, Storage, redact_password};
pub use tail::FeedHealth;

use crate::hub::HubCore;
use crate::{Clock, SystemClock};
use auth_runner::AuthRunner;
use hub_task::HubTask;
use messages::StorageTx;

/// Opened storage, not yet in use (from [`ServerConfig::open`]).
pub struct OpenedStorage(Box<dyn storage::Backend>);

impl std::fmt::Debug for OpenedStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OpenedStorage")
    }
}

impl ServerConfig {
    /// Validates the settings and opens the storage they name (a server's `bind`).
    pub fn open(&self) -> Result<OpenedStorage, ServerError> {
        self.validate()?;
        Ok(OpenedStorage(storage::open(
            &self.storage,
            self.hub.merger.clone(),
        )?))
    }
}

/// A server bound to its address with its storage open, not yet running: what each
/// server's `Server` holds between `bind` and `run_until`.
pub struct Bound<L> {
    config: ServerConfig,
    listener: L,
    storage: OpenedStorage,
    local_addr: SocketAddr,
}

impl<L> Bound<L> {
    /// Validates `config`, opens its storage, then binds with `listen` (which returns
    /// the listener and the address it got).
    pub async fn bind<F, Fut>(config: ServerConfig, listen: F) -> Result<Self, ServerError>
    where
        F: FnOnce(SocketAddr) -> Fut,
        Fut: Future<Output = std::io::Result<(L, SocketAddr)>>,
    {
        let storage = config.open()?;
        let (listener, local_addr) = listen(config.addr).await?;
        Ok(Bound {
            config,
            listener,
            storage,
            local_addr,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The validated settings, the runtime's listener and the open storage, to run.
    pub fn into_parts(self) -> (ServerConfig, L, OpenedStorage) {
        (self.config, self.listener, self.storage)
    }
}

impl<L> std::fmt::Debug for Bound<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("local_addr", &self.local_addr)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Starts the tail feed when `storage` is a shared log (Redis): the rooms it follows
/// (the hub task updates them) and whether it reaches Redis. It hands entries to the
/// hub task through `hub` and ends once the hub task is gone.
fn start_feed(
    storage: &Storage,
    hub: &async_channel::Sender<messages::ToHub>,
) -> std::io::Result<(Option<Arc<tail::Follows>>, Option<FeedHealth>)> {
    #[cfg(feature = "redis")]
    if let Storage::Redis { url, .. } = storage {
        let follows = Arc::new(tail::Follows::default());
        let health = FeedHealth::default();
        let hub = hub.clone();
        storage::redis_tail::spawn(url, &follows, health.clone(), move |a| {
            hub.send_blocking(messages::ToHub::Appended(a))
                .map_err(drop)
        })?;
        return Ok((Some(follows), Some(health)));
    }
    let _ = (storage, hub);
    Ok((None, None))
}

/// Starts the news bus when `storage` is a shared log (Redis): members of other nodes
/// come in through `hub`; returns the queue the hub's news goes out on.
fn start_news(
    storage: &Storage,
    hub: &async_channel::Sender<messages::ToHub>,
) -> std::io::Result<Option<std::sync::mpsc::SyncSender<Vec<u8>>>> {
    #[cfg(feature = "redis")]
    if let Storage::Redis { url, .. } = storage {
        return storage::redis_news::spawn(url, hub.clone()).map(Some);
    }
    let _ = (storage, hub);
    Ok(None)
}

/// A running hub: the storage worker and the hub task, and what connections need.
#[derive(Debug)]
pub struct HubServer<R> {
    ctx: ConnContext<R>,
    hub_done: oneshot::Receiver<()>,
    worker_ended: oneshot::Receiver<()>,
    alive: async_channel::Receiver<()>,
    grace: std::time::Duration,
}

impl<R: ServerRuntime> HubServer<R> {
    /// Starts the storage worker and the hub task (on `rt`). The hub drains and ends
    /// when `stop` completes.
    pub fn start(
        rt: R,
        config: &ServerConfig,
        storage: OpenedStorage,
        counters: Arc<ServerCounters>,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> Result<HubServer<R>, ServerError> {
        let worker = storage::worker::spawn(
            storage.0,
            config.storage_capacity,
            config.storage_batch,
            counters.clone(),
        )?;
        let mut hub_config = config.hub.clone();
        // Several nodes may serve a room on Redis: its offsets come from the shared log.
        hub_config.shared_log |= matches!(config.storage, Storage::Redis { .. });
        // A proto authorizer decides inline, in the hub; any other goes through the
        // hub task (`auth_runner`), which hands it the upgrade request too.
        hub_config.authorizer = config.authorizer.inline();
        hub_config.seed = crate::random_seed();
        // Named on the news bus; a restarted node comes back under a new id.
        hub_config.node_id = NodeId(crate::random_seed());
        let clock = SystemClock::default();
        let hub = Hub::new(hub_config, clock.now())?;
        let (hub_tx, hub_rx) = async_channel::bounded(config.inbound_capacity);
        let (alive_tx, alive) = async_channel::bounded::<()>(1);
        let auth = AuthRunner::new(
            rt.clone(),
            config.authorizer.clone(),
            config.auth_timeout,
            &hub_tx,
        );
        let (follows, feed) = start_feed(&config.storage, &hub_tx)?;
        let mut core = HubCore::new(hub, StorageTx(worker.actions), counters.hub.clone());
        if let Some(bus) = start_news(&config.storage, &hub_tx)? {
            core.set_news(bus);
        }
        let task = HubTask {
            core,
            clock,
            auth,
            follows,
        };
        let (done_tx, hub_done) = oneshot::channel();
        let grace = config.shutdown_grace;
        let (stop_tx, stop_rx) = oneshot::channel();
        rt.spawn(async move {
            stop.await;
            let _ = stop_tx.send(());
        });
        let run = task.run(rt.clone(), hub_rx, worker.completions, stop_rx, grace);
        rt.spawn(async move {
            run.await;
            let _ = done_tx.send(());
        });
        let ctx = ConnContext {
            hub: hub_tx,
            outbound_capacity: config.outbound_capacity,
            write_timeout: config.hub.heartbeat_timeout,
            counters,
            rt,
            feed,
            _alive: alive_tx,
        };
        Ok(HubServer {
            ctx,
            hub_done,
            worker_ended: worker.ended,
            alive,
            grace,
        })
    }

    /// What each connection's [`serve`] needs (clone it per connection or per router).
    pub fn context(&self) -> &ConnContext<R> {
        &self.ctx
    }

    /// After the stop signal: waits for the hub task to end (storage drained, every
    /// connection told `GOING_AWAY`), the storage worker to end, and the connections
    /// to close (at most `shutdown_grace`).
    pub async fn finish(self) {
        let HubServer {
            ctx,
            hub_done,
            worker_ended,
            alive,
            grace,
        } = self;
        let rt = ctx.rt.clone();
        drop(ctx);
        let _ = hub_done.await;
        if worker_ended.await.is_err() {
            tracing::error!("storage worker ended abnormally");
        }
        // Connections hold `_alive` clones until they end; an error means all are gone.
        let _ = timeout(&rt, grace, alive.recv()).await;
    }
}
