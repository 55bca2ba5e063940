//! The tokio client: a [`SyncClient`] handle plus one I/O task per client.
//!
//! The session state (proto client, documents, subscribers) lives in
//! [`syncwire_driver_core::Session`], shared by the handles and the task. Handles
//! issue commands directly on it and wake the task; the task owns the WebSocket and
//! the timer, feeds inputs, drains outputs and performs them. The task's loop is
//! [`syncwire_driver_core::run_client`] and the handle is
//! [`syncwire_driver_core::SyncClient`], both shared with the async-std driver; this
//! module only supplies the tokio adapter ([`Tokio`]).
//!
//! ```no_run
//! use syncwire_tokio::client::{ClientConfig, SyncClient};
//! use syncwire_tokio::proto::crdt::{GCounter, GCounterOp};
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

mod runtime;
mod tls;

pub use runtime::Tokio;
pub use syncwire_driver_core::{
    Applied, Changes, Doc, DriverError, EventStream, HubUrls, SessionHandle, TokenSource,
};
#[cfg(feature = "ydoc")]
pub use syncwire_driver_core::{TextChanges, YText, YUpdates, yrs};
pub use syncwire_proto::client::{ClientConfig, ClientEvent};
pub use syncwire_proto::client::{DisconnectReason, TlsFailure};
#[cfg(feature = "ydoc")]
pub use syncwire_proto::crdt::{YDoc, YOp};
pub use tls::ClientTls;

/// A connection to a syncwire hub that keeps itself alive (driver-core's
/// [`SyncClient`](syncwire_driver_core::SyncClient) on tokio): it reconnects with
/// backoff, resumes every room, and keeps local changes in an outbox until the hub
/// acknowledges them. Dropping it closes the session. `connect` must be called within
/// a tokio runtime; `ws://` and `wss://` URLs are served. `wss://` trusts the
/// platform's root certificates; `SyncClient::connect_with(url, config,
/// Tokio::with_tls(ClientTls::from_root_pem(pem)?))` trusts others. A refused
/// certificate does not stop the session: each attempt's failure is an event
/// (`StateChanged` into `Backoff`, with `reason.tls_failure()` naming a [`TlsFailure`])
/// and a logged warning, and the session keeps retrying with backoff (the module
/// docs of `tls` say why).
pub type SyncClient = syncwire_driver_core::SyncClient<Tokio>;
