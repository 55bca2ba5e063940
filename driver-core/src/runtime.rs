//! [`ClientRuntime`]: the few things a client driver's async runtime must supply to
//! the shared [`run_client`](crate::run_client) loop, and the runtime-neutral
//! [`Incoming`] message type its sockets yield.
//!
//! A runtime adapter is small: a WebSocket wrapper that maps its library's messages
//! to [`Incoming`] (as a `Stream`) and accepts encoded frames (as a `Sink<Bytes>`),
//! a connect future, a sleep future, and a background close.

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use futures_util::Sink;
use syncwire_proto::client::TransportClosed;
use syncwire_proto::wire::CloseCode;

/// One WebSocket message (or failure) as the shared loop sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Incoming {
    /// A binary message: one encoded frame.
    Binary(Bytes),
    /// A text message (a protocol error: the loop closes the connection with 1002).
    Text,
    /// The peer's close frame: its code and reason, if it sent one.
    Close(Option<(CloseCode, String)>),
    /// A WebSocket ping, pong or raw frame (the library answers pings itself).
    Control,
    /// Reading failed; the connection is unusable.
    Failed(String),
}

/// A connected WebSocket: yields [`Incoming`] messages (`None` when the connection
/// ended) and takes encoded frames, each written as one binary message. The loop
/// feeds a batch, then flushes once.
pub trait ClientSocket:
    Stream<Item = Incoming> + Sink<Bytes, Error = String> + Unpin + Send + 'static
{
}

impl<T> ClientSocket for T where
    T: Stream<Item = Incoming> + Sink<Bytes, Error = String> + Unpin + Send + 'static
{
}

/// What the shared client loop needs from an async runtime.
pub trait ClientRuntime: Send + Sync + 'static {
    /// The connected socket type.
    type Socket: ClientSocket;
    /// A connect attempt in progress. A failure is reported to the session as is, so
    /// a driver that can tell a TLS failure says so ([`TransportClosed::tls_failed`]).
    type Connect: Future<Output = Result<Self::Socket, TransportClosed>> + Unpin + Send + 'static;
    /// A timer.
    type Sleep: Future<Output = ()> + Unpin + Send + 'static;

    /// Starts a WebSocket connect attempt to `url` (TCP connect and handshake).
    fn connect(&self, url: &str) -> Self::Connect;

    /// A timer that completes after `delay`.
    fn sleep(&self, delay: Duration) -> Self::Sleep;

    /// Sends a close frame with `code` and `reason` in the background (bounded in
    /// time); the loop has already forgotten the socket.
    fn close_in_background(&self, socket: Self::Socket, code: CloseCode, reason: &str);
}
