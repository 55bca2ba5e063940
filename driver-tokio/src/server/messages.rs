//! Messages between connection tasks and the hub task.
//!
//! * [`ToHub`]: connection → hub, over one bounded channel shared by all connections
//!   (capacity [`ServerConfig::inbound_capacity`](super::ServerConfig)). A full channel
//!   makes connection tasks wait, which stops them reading their sockets: TCP flow
//!   control then pushes back on clients. The hub task never waits on a connection.
//! * [`Outbound`]: hub → one connection, over a bounded per-connection channel. The hub
//!   task only uses `try_send`; a full channel closes the session with
//!   `SLOW_CONSUMER` through its [`ConnHandle::kill`] switch (see `hub_task`).

use bytes::Bytes;
use syncwire_proto::hub::HubMetrics;
use syncwire_proto::wire::{CloseCode, SessionId};
use tokio::sync::{mpsc, oneshot};

/// Connection → hub.
#[derive(Debug)]
pub(crate) enum ToHub {
    /// A WebSocket was accepted. The reply is `None` when the server is shutting down.
    Opened {
        /// Frames and closes for this connection.
        outbound: mpsc::Sender<Outbound>,
        /// Closes the connection at once, bypassing the (full) outbound channel.
        kill: oneshot::Sender<CloseCode>,
        /// The session id the hub assigned.
        reply: oneshot::Sender<Option<SessionId>>,
    },
    /// A binary message arrived.
    Frame { session: SessionId, bytes: Bytes },
    /// The connection wrote and flushed this many bytes of hub output.
    Flushed { session: SessionId, bytes: usize },
    /// The connection ended.
    Closed { session: SessionId },
    /// A snapshot of the hub's counters (for `/metrics` and `/health`).
    Metrics { reply: oneshot::Sender<HubMetrics> },
}

/// Hub → connection.
#[derive(Debug)]
pub(crate) enum Outbound {
    /// Write this frame as one binary message.
    Frame(Bytes),
    /// Close the WebSocket with this code after the frames before it.
    Close(CloseCode),
}

/// The hub task's handle on one connection.
#[derive(Debug)]
pub(crate) struct ConnHandle {
    /// Bounded queue of outbound messages.
    pub(crate) outbound: mpsc::Sender<Outbound>,
    /// One-shot switch that closes the connection at once.
    pub(crate) kill: Option<oneshot::Sender<CloseCode>>,
}
