//! The hub task: owns the shared [`HubCore`] (driver-core, shared with the tokio
//! server) and runs its async-std wait loop, plus the in-memory storage.
//!
//! The loop waits for the first of: the stop signal, the hub's deadline (checked with
//! `now >= deadline` by [`HubCore::timeout`]), or a message from a connection task
//! ([`ToHub`]). It then takes the messages already waiting (at most
//! [`INPUT_BATCH`]) and drains the hub; storage actions queued by the
//! drain run inline on the [`MemoryStore`] (memory operations do not block), their
//! completions are fed back and the hub drained again, until it is quiet.
//!
//! Bounds are the core's: a full per-connection queue closes the session
//! `SLOW_CONSUMER`; more than `storage_capacity` actions in one turn fail with a
//! storage error (the hub answers `INTERNAL`).
//!
//! On the stop signal the hub stops taking sessions and frames, runs the storage
//! queued so far, then closes every connection with `GOING_AWAY` (1001).

use std::collections::VecDeque;
use std::future::poll_fn;
use std::pin::Pin;
use std::task::Poll;

use async_std::channel::{Receiver, Sender, TrySendError};
use bytes::Bytes;
use futures_channel::oneshot;
use futures_util::StreamExt;
use syncwire_driver_core::hub::{
    ConnQueue, FlushedBytes, HubCore, INPUT_BATCH, Outbound, SendRefused, StorageQueue,
};
use syncwire_driver_core::{Clock, SystemClock};
use syncwire_proto::hub::StorageAction;
use syncwire_proto::wire::{CloseCode, SessionId};

use super::config::MemoryStore;

/// Connection → hub, over one bounded channel shared by all connections. A full
/// channel makes connection tasks wait, which stops them reading their sockets.
#[derive(Debug)]
pub(crate) enum ToHub {
    /// A WebSocket was accepted; the reply is `None` when the server is stopping.
    Opened {
        outbound: Sender<Outbound>,
        kill: oneshot::Sender<CloseCode>,
        flushed: FlushedBytes,
        reply: oneshot::Sender<Option<SessionId>>,
    },
    /// A binary message arrived.
    Frame { session: SessionId, bytes: Bytes },
    /// The connection wrote and flushed hub output: take the bytes from its
    /// [`FlushedBytes`] (one message per take, however many writes it covers).
    Flushed { session: SessionId },
    /// The connection ended.
    Closed { session: SessionId },
}

/// The hub's handle on one connection: its bounded queue and kill switch.
#[derive(Debug)]
pub(crate) struct ConnHandle {
    outbound: Sender<Outbound>,
    kill: oneshot::Sender<CloseCode>,
    flushed: FlushedBytes,
}

impl ConnQueue for ConnHandle {
    fn try_send(&mut self, msg: Outbound) -> Result<(), SendRefused> {
        self.outbound.try_send(msg).map_err(|e| match e {
            TrySendError::Full(msg) => SendRefused::Full(msg),
            TrySendError::Closed(_) => SendRefused::Closed,
        })
    }
    fn kill(self, code: CloseCode) {
        let _ = self.kill.send(code);
    }
}

/// Storage actions queued during one drain, run inline right after it.
#[derive(Debug)]
pub(crate) struct InlineStorage {
    queue: VecDeque<StorageAction>,
    capacity: usize,
}

impl StorageQueue for InlineStorage {
    fn try_send(&mut self, action: StorageAction) -> Result<(), (StorageAction, &'static str)> {
        if self.queue.len() >= self.capacity {
            return Err((action, "storage queue full"));
        }
        self.queue.push_back(action);
        Ok(())
    }
}

/// The hub task's state.
pub(crate) struct HubLoop {
    core: HubCore<ConnHandle, InlineStorage>,
    clock: SystemClock,
    store: MemoryStore,
}

enum Woken {
    Stop,
    Deadline,
    Message(Option<ToHub>),
}

impl HubLoop {
    /// A hub task around `core`'s pieces.
    pub(crate) fn new(
        hub: syncwire_proto::hub::Hub,
        clock: SystemClock,
        store: MemoryStore,
        storage_capacity: usize,
    ) -> Self {
        let storage = InlineStorage {
            queue: VecDeque::new(),
            capacity: storage_capacity,
        };
        HubLoop {
            core: HubCore::new(hub, storage, Default::default()),
            clock,
            store,
        }
    }

    /// Runs until `stop` fires (or is dropped) or every connection sender is gone.
    pub(crate) async fn run(
        mut self,
        mut inbound: Receiver<ToHub>,
        mut stop: oneshot::Receiver<()>,
    ) {
        loop {
            let deadline = self.core.hub.poll_timeout();
            let delay = deadline.map(|d| d.saturating_duration_since(self.clock.now()));
            let mut sleep = delay.map(|d| Box::pin(async_std::task::sleep(d)));
            let woken = poll_fn(|cx| {
                if Pin::new(&mut stop).poll(cx).is_ready() {
                    return Poll::Ready(Woken::Stop);
                }
                if let Some(timer) = sleep.as_mut() {
                    if timer.as_mut().poll(cx).is_ready() {
                        return Poll::Ready(Woken::Deadline);
                    }
                }
                inbound.poll_next_unpin(cx).map(Woken::Message)
            })
            .await;
            match woken {
                Woken::Stop | Woken::Message(None) => break,
                Woken::Deadline => self.core.timeout(self.clock.now()),
                Woken::Message(Some(msg)) => {
                    self.on_message(msg);
                    for _ in 1..INPUT_BATCH {
                        let Ok(msg) = inbound.try_recv() else { break };
                        self.on_message(msg);
                    }
                }
            }
            self.turn();
        }
        self.core.draining = true;
        self.turn();
        self.core.close_all(CloseCode::GOING_AWAY);
    }

    fn on_message(&mut self, msg: ToHub) {
        let now = self.clock.now();
        match msg {
            ToHub::Opened {
                outbound,
                kill,
                flushed,
                reply,
            } => {
                let conn = ConnHandle {
                    outbound,
                    kill,
                    flushed,
                };
                let session = self.core.open(now, conn);
                if reply.send(session).is_err() {
                    if let Some(session) = session {
                        self.core.closed(now, session);
                    }
                }
            }
            ToHub::Frame { session, bytes } => self.core.frame(now, session, &bytes),
            ToHub::Flushed { session } => {
                if let Some(bytes) = self.core.conns.get(&session).map(|c| c.flushed.take()) {
                    self.core.flushed(session, bytes);
                }
            }
            ToHub::Closed { session } => self.core.closed(now, session),
        }
    }

    /// Drains the hub, runs the storage actions it queued, and repeats until quiet.
    fn turn(&mut self) {
        loop {
            self.core.drain(self.clock.now(), drop);
            if self.core.storage.queue.is_empty() {
                return;
            }
            let mut store = self.store.0.lock().unwrap_or_else(|p| p.into_inner());
            while let Some(action) = self.core.storage.queue.pop_front() {
                let done = store.execute(action);
                self.core.storage_done(self.clock.now(), done);
            }
        }
    }
}
