//! The hub task: owns the shared [`HubCore`] (the proto hub plus the runtime-neutral
//! draining into bounded queues) and runs its wait loop, written once for every
//! runtime ([`ServerRuntime`] supplies the timers).
//!
//! The loop waits for the first of: a message from a connection task ([`ToHub`]), a
//! storage completion from the worker, the hub's deadline (checked with
//! `now >= deadline` before `handle_timeout`), the shutdown signal, or — once shutting
//! down — the end of the grace period. It then also takes whatever else is already
//! waiting in the inbound and completion channels (at most [`INPUT_BATCH`] each)
//! before it drains every output until the hub is quiet. Handling a batch of inputs
//! before draining is what makes the output batched too: every connection is woken
//! once per batch with all the frames the batch produced for it, and writes them with
//! one `send` syscall, instead of once per delta (docs/BENCHMARKS.md, fan-out).
//!
//! # Bounds and their outcomes
//!
//! See [`crate::hub`]: a batch that finds a connection's outbound queue full
//! (`outbound_capacity` messages) joins its last batch, the hub's `max_backlog_bytes`
//! bounding them all; a close that finds it full closes at once (kill switch); a full
//! storage queue (`storage_capacity` actions) fails the action at once and the hub
//! answers per its contract; a deferred authorization runs as a task bounded by
//! `auth_timeout` (then `Reject internal`, close 1011; `auth_runner`).
//!
//! # Shutdown
//!
//! On the signal (sent or dropped) the task stops handing frames to the hub (new
//! connections are told to go away), waits until every storage operation in flight has
//! completed — so every delta accepted so far is durable and acked — then closes every
//! connection with `GOING_AWAY` (1001) and returns, dropping the storage queue so the
//! worker finishes.

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use futures_channel::oneshot;
use futures_core::Stream;
use syncwire_proto::Instant;
use syncwire_proto::hub::{HubEvent, StorageCompletion};
use syncwire_proto::wire::CloseCode;

use super::auth_runner::AuthRunner;
use super::messages::{ConnHandle, StorageTx, ToHub};
use super::runtime::ServerRuntime;
use super::tail::Follows;
use crate::hub::{HubCore, INPUT_BATCH};
use crate::{Clock, SystemClock};

/// The hub and its connections.
pub(crate) struct HubTask {
    pub(crate) core: HubCore<ConnHandle, StorageTx>,
    pub(crate) clock: SystemClock,
    pub(crate) auth: AuthRunner,
    /// The rooms the tail feed follows (shared-log mode), kept from hub events.
    pub(crate) follows: Option<Arc<Follows>>,
}

enum Woken {
    Message(ToHub),
    InboundEnded,
    Completion(StorageCompletion),
    CompletionsEnded,
    Deadline,
    Stop,
    GiveUp,
}

impl HubTask {
    /// Runs until shutdown has completed (or `grace` after the signal at most).
    pub(crate) async fn run<R: ServerRuntime>(
        mut self,
        rt: R,
        inbound: async_channel::Receiver<ToHub>,
        completions: async_channel::Receiver<StorageCompletion>,
        mut stop: oneshot::Receiver<()>,
        grace: Duration,
    ) {
        // async-channel's receivers are `!Unpin` (their listener is pinned).
        let mut inbound = std::pin::pin!(inbound);
        let mut completions = std::pin::pin!(completions);
        let (mut inbound_live, mut completions_live) = (true, true);
        let mut timer: Option<(Instant, R::Sleep)> = None;
        let mut give_up: Option<R::Sleep> = None;
        loop {
            let deadline = self.core.next_deadline();
            if timer.as_ref().map(|(at, _)| *at) != deadline {
                timer = deadline.map(|at| {
                    let delay = at.saturating_duration_since(self.clock.now());
                    (at, rt.sleep(delay))
                });
            }
            let draining = self.core.is_draining();
            let woken = poll_fn(|cx| {
                if completions_live {
                    if let Poll::Ready(c) = completions.as_mut().poll_next(cx) {
                        return Poll::Ready(c.map_or(Woken::CompletionsEnded, Woken::Completion));
                    }
                }
                if inbound_live {
                    if let Poll::Ready(m) = inbound.as_mut().poll_next(cx) {
                        return Poll::Ready(m.map_or(Woken::InboundEnded, Woken::Message));
                    }
                }
                if let Some((_, sleep)) = timer.as_mut() {
                    if Pin::new(sleep).poll(cx).is_ready() {
                        return Poll::Ready(Woken::Deadline);
                    }
                }
                if !draining && Pin::new(&mut stop).poll(cx).is_ready() {
                    return Poll::Ready(Woken::Stop);
                }
                if let Some(sleep) = give_up.as_mut() {
                    if Pin::new(sleep).poll(cx).is_ready() {
                        return Poll::Ready(Woken::GiveUp);
                    }
                }
                Poll::Pending
            })
            .await;
            match woken {
                Woken::Message(msg) => self.on_message(msg),
                Woken::InboundEnded => inbound_live = false,
                Woken::Completion(done) => self.core.handle_storage(self.clock.now(), done),
                Woken::CompletionsEnded => completions_live = false,
                Woken::Deadline => {
                    // The timer is spent: the next turn arms a new one even if the
                    // deadline did not move (a timer may wake before `now >= deadline`).
                    timer = None;
                    self.core.handle_timeout(self.clock.now());
                }
                Woken::Stop => {
                    self.core.begin_shutdown();
                    give_up = Some(rt.sleep(grace));
                }
                Woken::GiveUp => break,
            }
            self.take_ready(&inbound, &completions);
            self.drain();
            if self.core.drained() {
                break;
            }
        }
        self.core.close_all(CloseCode::GOING_AWAY);
    }

    /// Handles the inputs already waiting (at most [`INPUT_BATCH`] of each kind).
    fn take_ready(
        &mut self,
        inbound: &async_channel::Receiver<ToHub>,
        completions: &async_channel::Receiver<StorageCompletion>,
    ) {
        for _ in 0..INPUT_BATCH {
            let Ok(done) = completions.try_recv() else {
                break;
            };
            self.core.handle_storage(self.clock.now(), done);
        }
        for _ in 0..INPUT_BATCH {
            let Ok(msg) = inbound.try_recv() else {
                break;
            };
            self.on_message(msg);
        }
    }

    pub(crate) fn on_message(&mut self, msg: ToHub) {
        let now = self.clock.now();
        match msg {
            ToHub::Opened {
                outbound,
                kill,
                flushed,
                reply,
                upgrade,
            } => {
                let conn = ConnHandle {
                    outbound,
                    kill,
                    flushed,
                    upgrade: self.auth.wants_upgrade().then_some(upgrade),
                };
                let session = self.core.handle_opened(now, conn);
                if reply.send(session).is_err() {
                    if let Some(session) = session {
                        self.core.handle_closed(now, session);
                    }
                }
            }
            ToHub::Frame { session, bytes } => self.core.handle_frame(now, session, &bytes),
            ToHub::Flushed { session } => {
                if let Some(bytes) = self.core.conn(session).map(|c| c.flushed.take()) {
                    self.core.handle_flushed(session, bytes);
                }
            }
            ToHub::Closed { session } => self.core.handle_closed(now, session),
            ToHub::PeerNews(news) => self.core.handle_peer_news(now, news),
            ToHub::Appended(a) => {
                self.core.handle_appended(now, &a.room, a.epoch, a.entries);
                // The credit goes back here (the entries were taken).
                drop(a.credit);
            }
            ToHub::Metrics { reply } => {
                let _ = reply.send(self.core.hub().metrics());
            }
            ToHub::AuthDecided { session, result } => {
                super::auth_runner::apply(&mut self.core, now, session, *result);
            }
        }
    }

    /// Drains every hub output (see [`HubCore::drain_with`]), asking the authorizer
    /// about each new session: an immediate answer is applied and the hub drained
    /// again; a later one runs as a task (`auth_runner`).
    pub(crate) fn drain(&mut self) {
        let mut asks = Vec::new();
        loop {
            let now = self.clock.now();
            self.core.drain_with(
                now,
                |e| {
                    if let Some(f) = &self.follows {
                        f.on_event(&e);
                    }
                    log_event(&e);
                },
                |request, conn| asks.push((request, conn.and_then(|c| c.upgrade.take()))),
            );
            if asks.is_empty() {
                return;
            }
            for (request, upgrade) in asks.drain(..) {
                if let Some(result) = self.auth.ask(&request, upgrade.as_deref()) {
                    super::auth_runner::apply(&mut self.core, now, request.session, result);
                }
            }
        }
    }
}

/// Logs a hub event (errors at `error`, the rest at `debug`).
pub(crate) fn log_event(event: &HubEvent) {
    match event {
        HubEvent::RoomFailed { room, error } => {
            tracing::error!(room = room.as_str(), %error, "room failed in storage");
        }
        HubEvent::Rejected {
            session,
            code,
            room,
        } => tracing::debug!(session = session.0, %code, room = ?room, "rejected"),
        other => tracing::debug!(event = ?other, "hub event"),
    }
}

#[cfg(test)]
mod tests;
