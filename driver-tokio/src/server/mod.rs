//! The syncwire hub server on tokio: the proto [`Hub`](syncwire_proto::hub::Hub) served
//! over WebSocket, with `/health`, `/metrics` (or `/metrics` on a port of its own, and
//! behind a bearer token if configured) and optional static files on the same port;
//! or mounted in an application's axum router ([`router`]).
//!
//! ```no_run
//! use syncwire_tokio::server::{Server, ServerConfig, Storage};
//! # async fn demo() -> Result<(), syncwire_tokio::server::ServerError> {
//! let mut config = ServerConfig::new("127.0.0.1:8080".parse().unwrap());
//! config.set_storage(Storage::Redb { dir: "./data".into() });
//! let server = Server::bind(config).await?;
//! println!("listening on {}", server.local_addr());
//! server.run_until(async { let _ = tokio::signal::ctrl_c().await; }).await
//! # }
//! ```
//!
//! # Architecture (tasks and queues)
//!
//! The hub task, the connection loop, the settings, the storage worker and its
//! backends (memory, redb) are the runtime-neutral server half in
//! [`syncwire_driver_core::server`], shared with the async-std server (its module docs
//! draw the tasks and queues). This module keeps what is tokio's and HTTP's:
//!
//! * `runtime`: the tokio adapter (spawn, sleep, axum's WebSocket as a server socket).
//! * `http`: the axum router; `metrics`: Prometheus text; [`auth`]: token grants
//!   ([`JwtAuthorizer`], shared with the async-std server, is driver-core's).
//! * `http_auth`: [`HttpAuthorizer`], which asks the application's HTTP endpoint.
//! * `mount`: [`router`], the server as an axum `Router` to nest in an application,
//!   and [`SyncHub`], the handle that owns the hub behind it.
//! * `run`: [`Server`], binding, serving (the same router, on its own listener; and
//!   `/metrics` on a listener of its own if `metrics_addr` is set) and the ordered
//!   shutdown.
//! * `accept`: each connection until its WebSocket upgrade (TLS handshake, HTTP/1.1
//!   with hyper), bounded in number and in time (the hub's `handshake_timeout`).
//! * `tls`: TLS termination with rustls when [`ServerConfig::tls`] is set (the
//!   certificate chain and key as PEM files); without it the server speaks plain
//!   `ws://`, for development or behind a TLS-terminating reverse proxy
//!   (docs/DEPLOYMENT.md).
//!
//! Every queue is bounded; the outcome of each bound is described where the queue is
//! used (driver-core's server modules).

mod accept;
pub mod auth;
mod http;
mod http_auth;
mod metrics;
mod mount;
mod run;
mod runtime;
mod tls;

pub use auth::{TokenAuthorizer, TokenFileError, TokenGrant};
pub use http_auth::{HttpAuthorizer, MAX_ANSWER_BYTES};
pub use mount::{SyncHub, router};
pub use run::Server;
pub use syncwire_driver_core::server::auth::{JwtAlgorithm, JwtAuthorizer, JwtKeyError};
pub use syncwire_driver_core::server::{MemoryStore, ServerConfig, ServerError, Storage, TlsFiles};
