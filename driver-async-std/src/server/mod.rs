//! The syncwire hub server on async-std: the proto [`Hub`](syncwire_proto::hub::Hub)
//! served over WebSocket (async-tungstenite) at `/sync`.
//!
//! ```no_run
//! use syncwire_async_std::server::{Server, ServerConfig, Storage};
//! # async fn demo() -> Result<(), syncwire_async_std::server::ServerError> {
//! let mut config = ServerConfig::new("127.0.0.1:8080".parse().unwrap());
//! config.set_storage(Storage::Redb { dir: "./data".into() });
//! let server = Server::bind(config).await?;
//! println!("listening on {}", server.local_addr());
//! server.run_until(std::future::pending()).await
//! # }
//! ```
//!
//! The server half is driver-core's ([`syncwire_driver_core::server`], shared with
//! `syncwire_tokio::server`): the same [`ServerConfig`], [`Storage`] choices (memory,
//! a [`MemoryStore`] shared across restarts, durable redb), hub task, connection loop,
//! bounded queues and shutdown (storage drained, then `GOING_AWAY` to every session).
//! This module is the async-std adapter: `runtime` (spawn, sleep, the socket) and
//! `run` (accepting connections, the WebSocket handshake, both bounded until the
//! upgrade). `/health`, `/metrics`, static files, token files and the `syncwire`
//! binary are tokio-only.

mod run;
mod runtime;

pub use run::Server;
/// Authorization shared with the tokio server (driver-core): the server authorizer
/// trait and its deferred decisions, the upgrade request, JWT, the origin check.
pub use syncwire_driver_core::server::auth;
pub use syncwire_driver_core::server::{MemoryStore, ServerConfig, ServerError, Storage, TlsFiles};
