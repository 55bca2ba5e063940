//! [`SyncClient`]: the client handle of the native drivers (tokio, async-std), written
//! once over a [`ClientExecutor`] (the runtime's spawn, URL rules and the
//! [`ClientRuntime`] the shared loop needs). Each driver names it with a type alias.
//!
//! The session state (proto client, documents, subscribers) lives in [`Session`],
//! shared by the handles and the I/O task. Handles issue commands directly on it and
//! wake the task; the task ([`run_client`]) owns the WebSocket and the timer, feeds
//! inputs, drains outputs and performs them.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_channel::oneshot;
use syncwire_proto::client::ClientConfig;

use crate::hub_urls::HubUrls;
use crate::{
    ClientRuntime, DriverError, Session, SessionHandle, SystemClock, TokenSource, flush_and_close,
    run_client,
};

/// What a native driver adds to [`ClientRuntime`] for [`SyncClient`].
pub trait ClientExecutor: ClientRuntime + Clone + Default + std::fmt::Debug {
    /// Runs the client's I/O task in the background.
    fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static;

    /// Refuses a URL this driver cannot connect to, with [`DriverError::Config`].
    fn check_url(url: &str) -> Result<(), DriverError>;
}

/// A connection to a syncwire hub that keeps itself alive: it reconnects with
/// backoff, resumes every room, and keeps local changes in an outbox until the hub
/// acknowledges them. Dropping it closes the session.
///
/// `join`, `events`, `state`, `metrics` and `outbox_len` come from the shared
/// [`SessionHandle`] it dereferences to (the same for every driver).
#[derive(Debug)]
pub struct SyncClient<R: ClientExecutor> {
    handle: SessionHandle,
    rt: R,
    /// Fires (or is cancelled) when the I/O task has ended.
    task: Option<oneshot::Receiver<()>>,
}

impl<R: ClientExecutor> SyncClient<R> {
    /// Starts a session with the hub at `url` (`ws://host:port/sync`; the driver's
    /// [`ClientExecutor::check_url`] says which schemes it serves), or with the first
    /// of several ([`HubUrls`]: later attempts go to the next, round-robin). Returns at once;
    /// the connection is made in the background on the driver's runtime (tokio: call it
    /// within a tokio runtime; async-std: from any thread and executor, smol included).
    pub fn connect(url: impl Into<HubUrls>, config: ClientConfig) -> Result<Self, DriverError> {
        Self::connect_with(url, config, R::default())
    }

    /// [`connect`](Self::connect) on a runtime adapter configured by the application
    /// (the tokio driver's adapter carries the TLS settings for `wss://` URLs).
    pub fn connect_with(
        url: impl Into<HubUrls>,
        config: ClientConfig,
        rt: R,
    ) -> Result<Self, DriverError> {
        Self::connect_with_options(url, config, rt, None)
    }

    /// [`connect`](Self::connect), asking `tokens` for the token before each
    /// connection attempt (the first included; `None` from it keeps the current
    /// token, initially `config.token`): a session whose token expired reconnects
    /// with a fresh one.
    pub fn connect_with_tokens(
        url: impl Into<HubUrls>,
        config: ClientConfig,
        tokens: TokenSource,
    ) -> Result<Self, DriverError> {
        Self::connect_with_options(url, config, R::default(), Some(tokens))
    }

    /// [`connect_with`](Self::connect_with) and
    /// [`connect_with_tokens`](Self::connect_with_tokens) together.
    pub fn connect_with_options(
        url: impl Into<HubUrls>,
        config: ClientConfig,
        rt: R,
        tokens: Option<TokenSource>,
    ) -> Result<Self, DriverError> {
        let urls: HubUrls = url.into();
        for url in urls.as_slice() {
            R::check_url(url)?;
        }
        let clock = SystemClock::default();
        let (shared, wake) = Session::new(config, Arc::new(clock))?;
        {
            let mut session = Session::lock(&shared);
            session.set_token_source(tokens);
            session.connect();
        }
        let (done, task) = oneshot::channel();
        let io = run_client(rt.clone(), shared.clone(), wake, urls, clock);
        rt.spawn(async move {
            io.await;
            let _ = done.send(());
        });
        Ok(SyncClient {
            handle: SessionHandle::new(shared),
            rt,
            task: Some(task),
        })
    }

    /// Closes the session gracefully: waits up to `flush_timeout` for local
    /// operations waiting for their room to be submitted and for the hub to
    /// acknowledge the outbox, then closes the connection and waits for the task
    /// (which may take up to the heartbeat timeout more, if it is writing to a hub
    /// that stopped reading).
    /// Returns the number of local changes left unacknowledged.
    pub async fn close(mut self, flush_timeout: Duration) -> usize {
        let give_up = self.rt.sleep(flush_timeout);
        let left = flush_and_close(self.handle.shared(), give_up).await;
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        left
    }
}

impl<R: ClientExecutor> std::ops::Deref for SyncClient<R> {
    type Target = SessionHandle;
    fn deref(&self) -> &SessionHandle {
        &self.handle
    }
}

impl<R: ClientExecutor> Drop for SyncClient<R> {
    fn drop(&mut self) {
        if self.task.is_some() {
            Session::lock(self.handle.shared()).close();
        }
    }
}
