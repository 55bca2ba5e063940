//! The hub task: owns the shared [`HubCore`] (the proto hub plus the runtime-neutral
//! draining into bounded queues, in driver-core, shared with the async-std server)
//! and runs its tokio wait loop. All glue between tokio and the hub lives here.
//!
//! The loop waits (`tokio::select!`) for the first of: a message from a connection
//! task ([`ToHub`]), a storage completion from the worker, the hub's deadline (checked
//! with `now >= deadline` before `handle_timeout`), or the shutdown signal. It then
//! also takes whatever else is already waiting in the inbound and completion channels
//! (at most [`INPUT_BATCH`] each) before it drains every `poll_*` output in the
//! documented order until the hub is quiet. Handling a batch of inputs before draining
//! is what makes the output batched too: every connection is woken once per batch with
//! all the frames the batch produced for it, and writes them with one `send` syscall,
//! instead of once per delta (docs/BENCHMARKS.md, fan-out).
//!
//! # Bounds and their outcomes
//!
//! See [`syncwire_driver_core::hub`]: a full per-connection outbound channel
//! (`outbound_capacity` frames) closes the session `SLOW_CONSUMER` through its kill
//! switch; a full storage queue (`storage_capacity` actions) fails the action at once
//! and the hub answers per its contract; deferred authorization is refused (4002).
//!
//! # Shutdown
//!
//! On the signal the task stops handing frames to the hub (new connections are told
//! to go away), waits until every storage operation in flight has completed — so every
//! delta accepted so far is durable and acked — then closes every connection with
//! `GOING_AWAY` (1001) and returns, dropping the storage queue so the worker finishes.

use syncwire_driver_core::hub::{HubCore, INPUT_BATCH};
use syncwire_proto::hub::{HubEvent, StorageCompletion};
use syncwire_proto::wire::CloseCode;
use tokio::sync::{mpsc, watch};

use super::clock::Clock;
use super::messages::{ConnHandle, StorageTx, ToHub};

/// The hub and its connections.
pub(crate) struct HubTask {
    pub(crate) core: HubCore<ConnHandle, StorageTx>,
    pub(crate) clock: Clock,
}

impl HubTask {
    /// Runs until shutdown has completed (or `grace` after the signal at most).
    pub(crate) async fn run(
        mut self,
        mut inbound: mpsc::Receiver<ToHub>,
        mut completions: mpsc::Receiver<StorageCompletion>,
        mut shutdown: watch::Receiver<bool>,
        grace: std::time::Duration,
    ) {
        let mut give_up = None;
        loop {
            let wake = self.core.hub.poll_timeout().map(|d| self.clock.to_tokio(d));
            let give_up_at = give_up;
            tokio::select! {
                Some(msg) = inbound.recv() => self.on_message(msg),
                Some(done) = completions.recv() => {
                    self.core.storage_done(self.clock.now(), done);
                }
                () = sleep_until(wake) => self.core.timeout(self.clock.now()),
                _ = shutdown.wait_for(|stop| *stop), if !self.core.draining => {
                    self.core.draining = true;
                    give_up = Some(tokio::time::Instant::now() + grace);
                }
                () = sleep_until(give_up_at) => break,
            }
            self.take_ready(&mut inbound, &mut completions);
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
        inbound: &mut mpsc::Receiver<ToHub>,
        completions: &mut mpsc::Receiver<StorageCompletion>,
    ) {
        for _ in 0..INPUT_BATCH {
            let Ok(done) = completions.try_recv() else {
                break;
            };
            self.core.storage_done(self.clock.now(), done);
        }
        for _ in 0..INPUT_BATCH {
            let Ok(msg) = inbound.try_recv() else {
                break;
            };
            self.on_message(msg);
        }
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
                    kill: Some(kill),
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
            ToHub::Metrics { reply } => {
                let _ = reply.send(self.core.hub.metrics());
            }
        }
    }

    /// Drains every hub output (see [`HubCore::drain`]).
    fn drain(&mut self) {
        self.core.drain(self.clock.now(), |e| log_event(&e));
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
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
