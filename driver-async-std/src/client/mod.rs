//! The async-std client: a [`SyncClient`] handle plus one I/O task per client.
//!
//! The session state (proto client, documents, subscribers) lives in
//! [`syncwire_driver_core::Session`], shared by the handles and the task. Handles
//! issue commands directly on it and wake the task; the task owns the WebSocket and
//! the timer, feeds inputs, drains outputs and performs them. The task's loop is
//! [`syncwire_driver_core::run_client`] and the handle is
//! [`syncwire_driver_core::SyncClient`], both shared with the tokio driver; this module
//! only supplies the async-std adapter ([`AsyncStd`]). The API is the same as
//! `syncwire_tokio::client`'s. Only `ws://` URLs are supported (no TLS: `wss://` is
//! refused at `connect` with [`DriverError::TlsUnsupported`]).
//!
//! ```no_run
//! use syncwire_async_std::client::{ClientConfig, SyncClient};
//! use syncwire_async_std::proto::crdt::{GCounter, GCounterOp};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! // A fresh random replica id; `ClientConfig::new(ReplicaId(7))` would choose one.
//! let client = SyncClient::connect("ws://127.0.0.1:8080/sync", ClientConfig::default())?;
//! let counter = client.join::<GCounter>("counter")?;
//! counter.apply(GCounterOp::Increment(1))?;          // applied locally, queued for the hub
//! println!("value = {}", counter.read(|c| c.value())?);
//! client.close(std::time::Duration::from_secs(2)).await; // waits for the hub's acks
//! # Ok(()) }
//! ```

pub(crate) mod runtime;

pub use runtime::AsyncStd;
pub use syncwire_driver_core::{
    Applied, Changes, Doc, DriverError, EventStream, HubUrls, SessionHandle, TokenSource,
};
#[cfg(feature = "ydoc")]
pub use syncwire_driver_core::{TextChanges, YText, YUpdates, yrs};
pub use syncwire_proto::client::{ClientConfig, ClientEvent};
#[cfg(feature = "ydoc")]
pub use syncwire_proto::crdt::{YDoc, YOp};

/// A connection to a syncwire hub that keeps itself alive (driver-core's
/// [`SyncClient`](syncwire_driver_core::SyncClient) on async-std): it reconnects with
/// backoff, resumes every room, and keeps local changes in an outbox until the hub
/// acknowledges them. Dropping it closes the session. `connect` refuses `wss://` URLs
/// with [`DriverError::TlsUnsupported`] (this driver has no TLS: use the tokio driver)
/// and anything else but `ws://` with [`DriverError::Config`]; the connection runs
/// on async-std's executor, so it may be called from any thread and any executor,
/// smol included.
pub type SyncClient = syncwire_driver_core::SyncClient<AsyncStd>;
