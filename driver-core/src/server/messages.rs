//! Messages between connection tasks and the hub task.
//!
//! * [`ToHub`]: connection → hub, over one bounded channel shared by all connections
//!   (capacity [`ServerConfig::inbound_capacity`](super::ServerConfig)). A full channel
//!   makes connection tasks wait, which stops them reading their sockets: TCP flow
//!   control then pushes back on clients. The hub task never waits on a connection.
//! * [`Outbound`]: hub → one connection, over a bounded per-connection queue
//!   (`outbound_queue`, small while the connection is idle). The hub task never
//!   waits on it: a batch that finds it full joins the last queued batch
//!   ([`Outbound::merge`]; the hub's byte bound, `max_backlog_bytes`, bounds them
//!   all), and a close that finds it full closes the session at once through the
//!   connection's kill switch (the shared [`HubCore`](crate::hub::HubCore) decides;
//!   see `hub_task`).
//! * [`StorageTx`]: hub → storage worker, bounded; a full queue fails the action.

use std::sync::mpsc::{SyncSender, TrySendError as StdTrySendError};

use bytes::Bytes;
use futures_channel::oneshot;
use syncwire_proto::hub::{HubMetrics, Identity, StorageAction};
use syncwire_proto::wire::{CloseCode, SessionId};

use super::auth::{AuthFailure, UpgradeRequest};
use super::outbound_queue::{self, TrySendError};
use crate::hub::{ConnQueue, FlushedBytes, Outbound, SendRefused, StorageQueue};

/// Connection (or HTTP handler) → hub task.
#[derive(Debug)]
pub(crate) enum ToHub {
    /// A WebSocket was accepted. The reply is `None` when the server is shutting down.
    Opened {
        /// Frames and closes for this connection.
        outbound: outbound_queue::Sender<Outbound>,
        /// Closes the connection at once, bypassing the (full) outbound queue.
        kill: oneshot::Sender<CloseCode>,
        /// What the connection flushed and the hub has not taken yet.
        flushed: FlushedBytes,
        /// The session id the hub assigned.
        reply: oneshot::Sender<Option<SessionId>>,
        /// The HTTP upgrade request, for the authorizer.
        upgrade: Box<UpgradeRequest>,
    },
    /// A deferred authorization was decided (or timed out).
    AuthDecided {
        /// The session it is for.
        session: SessionId,
        /// The decision.
        result: Box<Result<Identity, AuthFailure>>,
    },
    /// A binary message arrived.
    Frame {
        /// The connection's session.
        session: SessionId,
        /// The message.
        bytes: Bytes,
    },
    /// The connection wrote and flushed hub output: take the bytes from its
    /// [`FlushedBytes`] (one message per take, however many writes it covers).
    Flushed {
        /// The connection's session.
        session: SessionId,
    },
    /// The connection ended.
    Closed {
        /// The connection's session.
        session: SessionId,
    },
    /// Entries of the shared log, from the tail feed (shared-log mode).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    Appended(super::tail::Appended),
    /// Another node's news of its members, from the news bus (shared-log mode).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    PeerNews(syncwire_proto::hub::NodeNews),
    /// A snapshot of the hub's counters (for `/metrics` and `/health`).
    Metrics {
        /// Where the snapshot goes.
        reply: oneshot::Sender<HubMetrics>,
    },
}

/// The hub task's handle on one connection.
#[derive(Debug)]
pub(crate) struct ConnHandle {
    /// Bounded queue of outbound messages.
    pub(crate) outbound: outbound_queue::Sender<Outbound>,
    /// One-shot switch that closes the connection at once.
    pub(crate) kill: oneshot::Sender<CloseCode>,
    /// What the connection flushed and the hub has not taken yet.
    pub(crate) flushed: FlushedBytes,
    /// The upgrade request, until the authorizer has been asked.
    pub(crate) upgrade: Option<Box<UpgradeRequest>>,
}

impl ConnQueue for ConnHandle {
    fn try_send(&mut self, msg: Outbound) -> Result<(), SendRefused> {
        let sent = self.outbound.try_send_or_merge(msg, Outbound::merge);
        sent.map_err(|e| match e {
            TrySendError::Full(msg) => SendRefused::Full(msg),
            TrySendError::Closed(_) => SendRefused::Closed,
        })
    }
    fn kill(self, code: CloseCode) {
        let _ = self.kill.send(code);
    }
}

/// The hub's end of the storage worker's bounded queue.
#[derive(Debug)]
pub(crate) struct StorageTx(pub(crate) SyncSender<StorageAction>);

impl StorageQueue for StorageTx {
    fn try_send(&mut self, action: StorageAction) -> Result<(), (StorageAction, &'static str)> {
        self.0.try_send(action).map_err(|e| match e {
            StdTrySendError::Full(a) => (a, "storage queue full"),
            StdTrySendError::Disconnected(a) => (a, "storage worker stopped"),
        })
    }
}
