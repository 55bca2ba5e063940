//! The async-std client: a [`SyncClient`] handle plus one I/O task per client.
//!
//! The session state (proto client, documents, subscribers) lives in
//! [`syncwire_driver_core::Session`], shared by the handles and the task. Handles
//! issue commands directly on it and wake the task; the task owns the WebSocket and
//! the timer, feeds inputs, drains outputs and performs them. The task's loop is
//! [`syncwire_driver_core::run_client`], shared with the tokio driver; this module
//! only supplies the async-std adapter (`runtime`). The API is the same as
//! `syncwire_tokio::client`'s. Only `ws://` URLs are supported (no TLS).
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

mod runtime;

use std::sync::Arc;
use std::time::Duration;

use async_std::task::JoinHandle;
use syncwire_driver_core::{Session, SystemClock, flush_and_close, run_client};

pub use syncwire_driver_core::{Applied, Changes, Doc, DriverError, EventStream, SessionHandle};
pub use syncwire_proto::client::{ClientConfig, ClientEvent};

/// A connection to a syncwire hub that keeps itself alive: it reconnects with
/// backoff, resumes every room, and keeps local changes in an outbox until the hub
/// acknowledges them. Dropping it closes the session.
#[derive(Debug)]
pub struct SyncClient {
    handle: SessionHandle,
    task: Option<JoinHandle<()>>,
}

impl SyncClient {
    /// Starts a session with the hub at `url` (`ws://host:port/sync`; anything else,
    /// `wss://` included, is refused with [`DriverError::Config`]). Returns at once;
    /// the connection is made in the background on async-std's executor (so it
    /// may be called from any thread and any executor, smol included).
    pub fn connect(url: &str, config: ClientConfig) -> Result<SyncClient, DriverError> {
        let request = url.to_string();
        if !request.starts_with("ws://") {
            return Err(DriverError::Config(format!(
                "not a ws:// URL (wss:// is not supported by this driver): {url}"
            )));
        }
        let clock = SystemClock::default();
        let (shared, wake) = Session::new(config, Arc::new(clock))?;
        Session::lock(&shared).connect();
        let task = async_std::task::spawn(run_client(
            runtime::AsyncStd,
            shared.clone(),
            wake,
            request,
            clock,
        ));
        Ok(SyncClient {
            handle: SessionHandle::new(shared),
            task: Some(task),
        })
    }

    /// Closes the session gracefully: waits up to `flush_timeout` for local
    /// operations waiting for their room to be submitted and for the hub to
    /// acknowledge the outbox, then closes the connection and waits for the task.
    /// Returns the number of local changes left unacknowledged.
    pub async fn close(mut self, flush_timeout: Duration) -> usize {
        let give_up = async_std::task::sleep(flush_timeout);
        let left = flush_and_close(self.handle.shared(), give_up).await;
        if let Some(task) = self.task.take() {
            task.await;
        }
        left
    }
}

/// `join`, `events`, `state`, `metrics` and `outbox_len` come from the shared
/// [`SessionHandle`] (the same for every driver).
impl std::ops::Deref for SyncClient {
    type Target = SessionHandle;
    fn deref(&self) -> &SessionHandle {
        &self.handle
    }
}

impl Drop for SyncClient {
    fn drop(&mut self) {
        if self.task.is_some() {
            Session::lock(self.handle.shared()).close();
        }
    }
}
