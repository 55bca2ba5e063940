//! Helpers shared by the async-std driver's tests: servers of both runtimes on
//! 127.0.0.1 and bounded waits that work under any executor (async-std's timers run
//! on their own reactor, so they also work inside a tokio runtime).

#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use futures_channel::oneshot;
use futures_util::StreamExt;
use syncwire_async_std::client::{ClientConfig, Doc, EventStream};
use syncwire_async_std::proto::crdt::DeltaCrdt;
use syncwire_async_std::proto::wire::ReplicaId;
use syncwire_async_std::server::{MemoryStore, Server, ServerConfig, Storage};

/// Upper bound of every wait.
pub const WAIT: Duration = Duration::from_secs(15);

/// `fut`, or a panic naming `what` after [`WAIT`].
pub async fn bounded<T>(what: &str, fut: impl Future<Output = T>) -> T {
    match async_std::future::timeout(WAIT, fut).await {
        Ok(v) => v,
        Err(_) => panic!("timed out: {what}"),
    }
}

/// Waits until `doc`'s state satisfies `pred`.
pub async fn until<C: DeltaCrdt>(doc: &Doc<C>, pred: impl Fn(&C) -> bool) {
    let mut changes = doc.changes();
    bounded("document reaches the expected state", async {
        while !doc.read(&pred).unwrap() {
            changes.next().await;
        }
    })
    .await;
}

/// Waits until `outbox_len()` reports 0.
pub async fn until_acked(outbox_len: impl Fn() -> usize, mut events: EventStream) {
    bounded("outbox drains", async {
        while outbox_len() > 0 {
            events.next().await;
        }
    })
    .await;
}

/// A client config with a deterministic seed.
pub fn config(replica: u64) -> ClientConfig {
    let mut c = ClientConfig::new(ReplicaId(replica));
    c.seed = replica;
    c
}

/// The WebSocket URL of a server.
pub fn url(addr: SocketAddr) -> String {
    format!("ws://{addr}/sync")
}

/// An async-std server running on async-std's executor.
pub struct AsyncStdServer {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: async_std::task::JoinHandle<Result<(), syncwire_async_std::server::ServerError>>,
}

impl AsyncStdServer {
    /// Binds `addr` (port 0: any free port) with `store` and starts serving.
    pub async fn start(addr: SocketAddr, store: MemoryStore) -> AsyncStdServer {
        let mut config = ServerConfig::new(addr);
        config.set_storage(Storage::Shared(store));
        AsyncStdServer::start_with(config).await
    }

    /// Binds and starts one with `config`.
    pub async fn start_with(config: ServerConfig) -> AsyncStdServer {
        let server = Server::bind(config).await.expect("bind");
        let addr = server.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = async_std::task::spawn(server.run_until(async move {
            let _ = stopped.await;
        }));
        AsyncStdServer { addr, stop, task }
    }

    /// Stops it gracefully and waits until it has.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        bounded("server stops", self.task).await.unwrap();
    }
}

/// A tokio server (syncwire-tokio) on its own tokio runtime.
pub struct TokioServer {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), syncwire_tokio::server::ServerError>>>,
    rt: Option<tokio::runtime::Runtime>,
}

impl TokioServer {
    /// Starts one on 127.0.0.1 (any free port) with memory storage.
    pub fn start() -> TokioServer {
        TokioServer::start_with(ServerConfig::new("127.0.0.1:0".parse().unwrap()))
    }

    /// Starts one with `config` (the same settings type as the async-std server's).
    pub fn start_with(config: ServerConfig) -> TokioServer {
        use syncwire_tokio::server::Server;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let server = rt.block_on(Server::bind(config)).expect("bind");
        let addr = server.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = rt.spawn(server.run_until(async move {
            let _ = stopped.await;
        }));
        TokioServer {
            addr,
            stop: Some(stop),
            task: Some(task),
            rt: Some(rt),
        }
    }

    /// Stops it gracefully and waits until it has (its storage closed).
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            bounded("server stops", task).await.unwrap().unwrap();
        }
    }
}

/// Which server a test body runs against.
#[derive(Clone, Copy, Debug)]
pub enum Which {
    /// syncwire-async-std's server.
    AsyncStd,
    /// syncwire-tokio's server (on a tokio runtime of its own).
    Tokio,
}

/// A running server of either kind.
pub enum AnyServer {
    /// An async-std server.
    AsyncStd(AsyncStdServer),
    /// A tokio server.
    Tokio(TokioServer),
}

impl Which {
    /// Both servers, for tests written once.
    pub const BOTH: [Which; 2] = [Which::AsyncStd, Which::Tokio];

    /// Binds and starts this kind of server with `config`.
    pub async fn start(self, config: ServerConfig) -> AnyServer {
        match self {
            Which::AsyncStd => AnyServer::AsyncStd(AsyncStdServer::start_with(config).await),
            Which::Tokio => AnyServer::Tokio(TokioServer::start_with(config)),
        }
    }
}

impl AnyServer {
    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        match self {
            AnyServer::AsyncStd(s) => s.addr,
            AnyServer::Tokio(s) => s.addr,
        }
    }

    /// Stops it gracefully and waits until it has (its storage closed).
    pub async fn stop(self) {
        match self {
            AnyServer::AsyncStd(s) => s.stop().await,
            AnyServer::Tokio(s) => s.stop().await,
        }
    }
}

impl Drop for TokioServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(rt) = self.rt.take() {
            rt.shutdown_timeout(WAIT);
        }
    }
}
