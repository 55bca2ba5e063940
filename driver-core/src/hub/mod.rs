//! The state half of a hub server's hub task ([`HubCore`]): it owns the proto [`Hub`],
//! feeds it the connections' inputs (`handle_*`), and performs its outputs
//! ([`Hub::poll_output`]) into per-connection bounded queues and the storage queue. Its
//! user supplies the queues ([`ConnQueue`], [`StorageQueue`]) and the waiting: the
//! server half in `syncwire_driver_core::server` (feature `server`, shared by the
//! tokio and async-std servers) waits on inbound messages, completions, the deadline
//! ([`HubCore::next_deadline`]) and shutdown.
//!
//! # Bounds and their outcomes
//!
//! * Outbound, per connection: the hub bounds each session's unflushed bytes
//!   (`max_backlog_bytes`, released by [`HubCore::handle_flushed`]); the frames one drain
//!   produces for a connection go to its queue as one [`Outbound::Frames`] batch, so
//!   the queue holds at most one message per drain the connection has not caught up
//!   with, however small the frames. The server's queue merges a batch that finds it
//!   full into its last batch ([`Outbound::merge`]), so a member behind is never
//!   closed for a count of hub turns (docs/PROTOCOL.md §7, *Backlog*). When
//!   [`ConnQueue::try_send`] refuses a message all the same (a close, or a queue
//!   that does not merge), the session is closed with `SLOW_CONSUMER` (or the
//!   close's code) through [`ConnQueue::kill`] and reported closed to the hub; the
//!   client resumes from its offset. Counted in [`HubCounters::outbound_overflow`].
//! * Storage: when [`StorageQueue::try_send`] refuses an action, it fails at once with
//!   a storage error, which the hub handles per its contract (joins rejected
//!   `INTERNAL`, failed appends close the room's members `INTERNAL_ERROR`). Counted in
//!   [`HubCounters::storage_overflow`].
//! * Deferred authorization: [`HubCore::drain`] refuses it (close 4002);
//!   [`HubCore::drain_with`] hands each request to its caller (the servers run the
//!   decision as a task bounded by their `auth_timeout`).

mod appended;
mod auth;
mod flushed;
mod queues;
#[cfg(feature = "server")]
mod write;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::mpsc::SyncSender;

use syncwire_proto::Instant;
use syncwire_proto::hub::{
    AuthError, AuthRequest, Hub, HubEvent, HubOutput, NodeNews, StorageCompletion,
};
use syncwire_proto::wire::{CloseCode, SessionId};

pub use flushed::FlushedBytes;
pub use queues::{ConnQueue, HubCounters, Outbound, SendRefused, StorageQueue, failed_completion};
#[cfg(feature = "server")]
pub(crate) use write::write_outbound;

/// Most inputs of one kind a server's hub task takes without waiting after the one
/// that woke it, before it drains the hub. Handling a batch of inputs before draining
/// is what batches the output: every connection is woken once per turn with all the
/// frames the turn produced for it (docs/BENCHMARKS.md, fan-out). The bound keeps the
/// time between drains (the latency a turn adds) short and the channels served fairly.
pub const INPUT_BATCH: usize = 256;

/// The hub, its connections' queues and its storage queue. Its state is private: a
/// server feeds it through the `handle_*` inputs, drains it with [`HubCore::drain`],
/// waits until [`HubCore::next_deadline`] and shuts it down with
/// [`HubCore::begin_shutdown`] / [`HubCore::close_all`].
pub struct HubCore<C, S> {
    /// The state machine.
    hub: Hub,
    /// Each open session's outbound queue.
    conns: HashMap<SessionId, C>,
    /// Where storage actions go.
    storage: S,
    /// Overflow counters (shared with the server's metrics).
    counters: Arc<HubCounters>,
    /// Shutting down: no new sessions, inbound frames ignored.
    draining: bool,
    /// Shared-log mode: where news for the other nodes goes (encoded), if anywhere.
    news: Option<SyncSender<Vec<u8>>>,
}

impl<C, S> std::fmt::Debug for HubCore<C, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubCore")
            .field("sessions", &self.conns.len())
            .field("draining", &self.draining)
            .finish_non_exhaustive()
    }
}

impl<C: ConnQueue, S: StorageQueue> HubCore<C, S> {
    /// A core around `hub`.
    pub fn new(hub: Hub, storage: S, counters: Arc<HubCounters>) -> Self {
        HubCore {
            hub,
            conns: HashMap::new(),
            storage,
            counters,
            draining: false,
            news: None,
        }
    }

    /// Shared-log mode: sends the hub's news for the other nodes (encoded with
    /// `NodeNews::encode`) to `bus` (its publisher). A full queue drops the news,
    /// counted in [`HubCounters::news_overflow`]; the next roster repairs it.
    pub fn set_news(&mut self, bus: SyncSender<Vec<u8>>) {
        self.news = Some(bus);
    }

    /// News from another node (shared-log mode).
    pub fn handle_peer_news(&mut self, now: Instant, news: NodeNews) {
        self.hub.handle_peer_news(now, news);
    }

    /// A connection was accepted: returns its session, or `None` while draining
    /// (the connection should be closed `GOING_AWAY`).
    pub fn handle_opened(&mut self, now: Instant, conn: C) -> Option<SessionId> {
        if self.draining {
            return None;
        }
        let session = self.hub.handle_session_opened(now);
        self.conns.insert(session, conn);
        Some(session)
    }

    /// A binary message arrived on `session` (ignored while draining).
    ///
    /// Takes a slice, so the hub copies a delta's payload into its log: WebSocket
    /// libraries hand out messages that share their connection's read buffer, and a
    /// zero-copy payload (`Hub::handle_frame_bytes`) kept in the log tail would keep
    /// that whole buffer alive (measured cost of the copy: docs/BENCHMARKS.md).
    pub fn handle_frame(&mut self, now: Instant, session: SessionId, bytes: &[u8]) {
        if !self.draining {
            self.hub.handle_frame(now, session, bytes);
        }
    }

    /// The connection wrote and flushed `bytes` of hub output.
    pub fn handle_flushed(&mut self, session: SessionId, bytes: usize) {
        self.hub.handle_flushed(session, bytes);
    }

    /// The connection ended.
    pub fn handle_closed(&mut self, now: Instant, session: SessionId) {
        self.conns.remove(&session);
        self.hub.handle_session_closed(now, session);
    }

    /// Storage finished an action.
    pub fn handle_storage(&mut self, now: Instant, done: StorageCompletion) {
        self.hub.handle_storage(now, done);
    }

    /// The hub's deadline may have passed: calls `handle_timeout` if `now >= deadline`.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.hub.poll_timeout().is_some_and(|d| now >= d) {
            self.hub.handle_timeout(now);
        }
    }

    /// Whether a draining hub has finished: no storage operation in flight.
    pub fn drained(&self) -> bool {
        self.draining && self.hub.pending_storage_ops() == 0
    }

    /// Starts the shutdown: from now on no new session is opened and inbound frames
    /// are ignored; storage in flight still completes ([`HubCore::drained`]).
    pub fn begin_shutdown(&mut self) {
        self.draining = true;
    }

    /// Whether [`HubCore::begin_shutdown`] was called.
    pub fn is_draining(&self) -> bool {
        self.draining
    }

    /// When the hub wants [`HubCore::handle_timeout`] called, if it does.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.hub.poll_timeout()
    }

    /// The state machine, read-only (metrics, session counts).
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// The queue of an open session, if it is open.
    pub fn conn(&self, session: SessionId) -> Option<&C> {
        self.conns.get(&session)
    }

    /// The number of open sessions with a queue.
    pub fn conn_count(&self) -> usize {
        self.conns.len()
    }

    /// The overflow counters.
    pub fn counters(&self) -> &HubCounters {
        &self.counters
    }

    /// Performs every hub output ([`Hub::poll_output`], whose order is legal by
    /// construction) until there is none; hub events go to `on_event` (for logging).
    /// Each connection gets the frames the hub queued for it as one batch, before its
    /// close if the hub closes it. A deferred authorization is refused (close 4002):
    /// a server that answers them uses [`HubCore::drain_with`].
    pub fn drain(&mut self, now: Instant, mut on_event: impl FnMut(HubEvent)) {
        let mut asks = Vec::new();
        loop {
            self.drain_with(now, &mut on_event, |request, _| asks.push(request.session));
            if asks.is_empty() {
                return;
            }
            for session in asks.drain(..) {
                let refusal = Err(AuthError("authorization unavailable".to_owned()));
                let _ = self.hub.handle_auth(now, session, refusal);
            }
        }
    }

    /// [`HubCore::drain`], handing each authorization request to `on_auth` with the
    /// session's queue (to be answered with [`HubCore::handle_auth`] or
    /// [`HubCore::handle_auth_unavailable`], now or later).
    pub fn drain_with(
        &mut self,
        now: Instant,
        mut on_event: impl FnMut(HubEvent),
        mut on_auth: impl FnMut(AuthRequest, Option<&mut C>),
    ) {
        while let Some(output) = self.hub.poll_output() {
            match output {
                HubOutput::Transmit { session, frames } => {
                    self.deliver(now, session, Outbound::Frames(frames));
                }
                HubOutput::Close { session, code } => {
                    self.deliver(now, session, Outbound::Close(code));
                    // Dropping the queue ends it after the close message.
                    self.conns.remove(&session);
                }
                HubOutput::Storage(action) => {
                    if let Err((action, why)) = self.storage.try_send(action) {
                        self.counters.storage_overflow.fetch_add(1, Relaxed);
                        self.hub
                            .handle_storage(now, failed_completion(&action, why));
                    }
                }
                HubOutput::Auth(request) => {
                    let conn = self.conns.get_mut(&request.session);
                    on_auth(request, conn);
                }
                HubOutput::Publish(news) => {
                    let sent = self.news.as_ref().map(|bus| bus.try_send(news.encode()));
                    if matches!(sent, Some(Err(_))) {
                        self.counters.news_overflow.fetch_add(1, Relaxed);
                    }
                }
                HubOutput::Event(event) => on_event(event),
            }
        }
    }

    /// Closes every connection with `code` after the frames already queued for it
    /// (at once where its queue is full). Used at the end of shutdown.
    pub fn close_all(&mut self, code: CloseCode) {
        for (_, mut conn) in self.conns.drain() {
            if conn.try_send(Outbound::Close(code)).is_err() {
                conn.kill(code);
            }
        }
    }

    /// Queues `msg` for a connection; a connection whose queue refuses it is closed
    /// (and reported closed to the hub).
    fn deliver(&mut self, now: Instant, session: SessionId, msg: Outbound) {
        let Some(conn) = self.conns.get_mut(&session) else {
            return;
        };
        let frames = msg.frame_count();
        let code = match conn.try_send(msg) {
            Ok(()) => {
                if frames > 0 {
                    self.counters.outbound_batches.fetch_add(1, Relaxed);
                    let n = u64::try_from(frames).unwrap_or(u64::MAX);
                    self.counters.outbound_frames.fetch_add(n, Relaxed);
                }
                return;
            }
            Err(SendRefused::Full(Outbound::Close(code))) => code,
            Err(SendRefused::Full(Outbound::Frames(_) | Outbound::Batches(_))) => {
                self.counters.outbound_overflow.fetch_add(1, Relaxed);
                CloseCode::SLOW_CONSUMER
            }
            Err(SendRefused::Closed) => CloseCode::GOING_AWAY,
        };
        if let Some(conn) = self.conns.remove(&session) {
            conn.kill(code);
        }
        self.hub.handle_session_closed(now, session);
    }
}

#[cfg(test)]
mod tests;
