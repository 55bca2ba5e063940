//! The syncwire hub server on async-std: the proto [`Hub`](syncwire_proto::hub::Hub)
//! served over WebSocket (async-tungstenite) at `/sync`.
//!
//! ```no_run
//! use syncwire_async_std::server::{Server, ServerConfig};
//! # async fn demo() -> Result<(), syncwire_async_std::server::ServerError> {
//! let server = Server::bind(ServerConfig::new("127.0.0.1:8080".parse().unwrap())).await?;
//! println!("listening on {}", server.local_addr());
//! server.run_until(std::future::pending()).await
//! # }
//! ```
//!
//! Compared with `syncwire_tokio::server` (same `Server` / `ServerConfig` shape):
//!
//! * Storage is in memory only ([`MemoryStore`]; a clone of the store handed to a
//!   restarted server resumes every room within the process). Durable redb storage,
//!   `/health`, `/metrics`, static files, token files and the `syncwire` binary are
//!   tokio-only.
//! * The hub logic is shared: [`HubCore`](syncwire_driver_core::hub::HubCore) from
//!   driver-core drains the hub into the same bounded queues with the same overflow
//!   outcomes; `hub_loop` only waits on async-std channels and timers and runs the
//!   memory storage inline; `connection` is the per-socket task.
//!
//! ```text
//! connection task ×N ──ToHub (bounded, awaits)──▶ hub task (HubCore + MemoryStore)
//!        ▲                                          │
//!        └──── Outbound (bounded per connection) ───┘
//! ```

mod config;
mod connection;
mod hub_loop;
mod run;

pub use config::{MemoryStore, ServerConfig, ServerError};
pub use run::Server;
