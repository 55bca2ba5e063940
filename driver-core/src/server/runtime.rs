//! [`ServerRuntime`]: the few things a server's async runtime must supply to the
//! shared hub task and connection loop (spawn, sleep), and [`ServerSocket`], an
//! accepted WebSocket as the connection loop sees it.
//!
//! A server adapter is small: a WebSocket wrapper that maps its library's messages to
//! [`Incoming`] (as a `Stream`) and accepts [`Outgoing`] messages (as a `Sink`), a
//! spawn and a sleep. Channels are runtime-neutral (async-channel, futures-channel and
//! the server's own outbound queue).

use std::future::Future;
use std::time::Duration;

use futures_core::Stream;
use futures_util::Sink;
use futures_util::future::{Either, select};

use crate::{Incoming, Outgoing};

/// An accepted WebSocket: yields [`Incoming`] messages (`None` when the connection
/// ended) and takes [`Outgoing`] messages. Closing the sink (`SinkExt::close`) must
/// flush a close reply the library queued when it read the peer's Close (RFC 6455
/// §5.5.1).
pub trait ServerSocket: Stream<Item = Incoming> + Sink<Outgoing, Error = String> + Unpin {}

impl<T> ServerSocket for T where T: Stream<Item = Incoming> + Sink<Outgoing, Error = String> + Unpin {}

/// What the shared server half needs from an async runtime.
pub trait ServerRuntime: Clone + Send + Sync + 'static {
    /// A timer.
    type Sleep: Future<Output = ()> + Unpin + Send + 'static;

    /// Runs `task` in the background.
    fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static;

    /// A timer that completes after `delay`.
    fn sleep(&self, delay: Duration) -> Self::Sleep;
}

/// `fut`, or `None` once `limit` has passed.
pub async fn timeout<R: ServerRuntime, F: Future>(
    rt: &R,
    limit: Duration,
    fut: F,
) -> Option<F::Output> {
    let fut = std::pin::pin!(fut);
    match select(fut, rt.sleep(limit)).await {
        Either::Left((v, _)) => Some(v),
        Either::Right(((), _)) => None,
    }
}
