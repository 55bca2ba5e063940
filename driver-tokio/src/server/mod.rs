//! The syncwire hub server on tokio: the proto [`Hub`](syncwire_proto::hub::Hub) served
//! over WebSocket, with `/health`, `/metrics` and optional static files on the same port.
//!
//! ```no_run
//! use syncwire_tokio::server::{Server, ServerConfig, Storage};
//! # async fn demo() -> Result<(), syncwire_tokio::server::ServerError> {
//! let mut config = ServerConfig::new("127.0.0.1:8080".parse().unwrap());
//! config.storage = Storage::Redb { dir: "./data".into() };
//! let server = Server::bind(config).await?;
//! println!("listening on {}", server.local_addr());
//! server.run_until(async { let _ = tokio::signal::ctrl_c().await; }).await
//! # }
//! ```
//!
//! # Architecture (tasks and queues)
//!
//! ```text
//! connection task ×N ──ToHub (bounded, awaits)──▶ hub task ──StorageAction (bounded)──▶ storage thread
//!        ▲                                          │   ▲                                    │
//!        └──── Outbound (bounded per connection) ───┘   └──── StorageCompletion (bounded) ────┘
//! ```
//!
//! * `hub_task`: owns the `Hub`; the only glue to the proto API.
//! * `connection`: one task per socket (read → hub, hub → batched writes).
//! * `outbound_queue`: the bounded per-connection queue, small while idle.
//! * `storage`: backends (memory, redb) and the group-committing worker thread.
//! * `http`: the axum router; `metrics`: Prometheus text; [`auth`]: token grants.
//!
//! Time is a process-local monotonic clock (`clock`). Every queue is bounded; the
//! outcome of each bound is described where the queue is used.

pub mod auth;
mod clock;
mod config;
mod connection;
mod http;
mod hub_task;
mod messages;
mod metrics;
mod outbound_queue;
mod run;
mod storage;

pub use auth::{TokenAuthorizer, TokenFileError, TokenGrant};
pub use config::{ServerConfig, ServerError, Storage};
pub use run::Server;
