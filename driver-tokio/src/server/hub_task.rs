//! The hub task: the one place that owns the proto [`Hub`] and runs its driver loop.
//! All glue between tokio and the hub API lives in this file.
//!
//! The loop waits (`tokio::select!`) for the first of: a message from a connection
//! task ([`ToHub`]), a storage completion from the worker, the hub's deadline (checked
//! with `now >= deadline` before `handle_timeout`), or the shutdown signal. After each
//! input it drains every `poll_*` output in the documented order until the hub is quiet.
//!
//! # Bounds and their outcomes
//!
//! * Outbound, per connection: a bounded channel of `outbound_capacity` frames. The hub
//!   already bounds each session's unflushed bytes (`max_backlog_bytes`: bytes handed to
//!   us and not yet reported by `handle_flushed`, which connections report after each
//!   flush), so the channel only fills for floods of tiny frames. If `try_send` finds it
//!   full, the session is closed with `SLOW_CONSUMER` through its kill switch and
//!   reported closed to the hub; the client resumes from its offset.
//! * Storage: a bounded queue of `storage_capacity` actions. If it is full, the action
//!   fails at once with a storage error, which the hub handles per its contract (joins
//!   rejected `INTERNAL`, failed appends close the room's members `INTERNAL_ERROR`).
//! * Deferred authorization is not supported by the server: the configured authorizer
//!   must decide inline; a deferral is answered with an `AuthError` (close 4002).
//!
//! # Shutdown
//!
//! On the signal the task stops handing frames to the hub (new connections are told
//! to go away), waits until every storage operation in flight has completed — so every
//! delta accepted so far is durable and acked — then closes every connection with
//! `GOING_AWAY` (1001) and returns, dropping the storage queue so the worker finishes.

use std::collections::HashMap;
use std::sync::Arc;

use syncwire_proto::hub::{AuthError, Hub, HubEvent, StorageCompletion};
use syncwire_proto::wire::{CloseCode, SessionId};
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, watch};

use super::clock::Clock;
use super::messages::{ConnHandle, Outbound, ToHub};
use super::metrics::ServerMetrics;
use super::storage::failed;
use syncwire_proto::hub::StorageAction;

/// The hub and its connections.
pub(crate) struct HubTask {
    pub(crate) hub: Hub,
    pub(crate) clock: Clock,
    pub(crate) conns: HashMap<SessionId, ConnHandle>,
    pub(crate) storage: mpsc::Sender<StorageAction>,
    pub(crate) metrics: Arc<ServerMetrics>,
    pub(crate) draining: bool,
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
            let deadline = self.hub.poll_timeout();
            let wake = deadline.map(|d| self.clock.to_tokio(d));
            let give_up_at = give_up;
            tokio::select! {
                Some(msg) = inbound.recv() => self.on_message(msg),
                Some(done) = completions.recv() => {
                    let now = self.clock.now();
                    self.hub.handle_storage(now, done);
                }
                () = sleep_until(wake) => {
                    let now = self.clock.now();
                    if deadline.is_some_and(|d| now >= d) {
                        self.hub.handle_timeout(now);
                    }
                }
                _ = shutdown.wait_for(|stop| *stop), if !self.draining => {
                    self.draining = true;
                    give_up = Some(tokio::time::Instant::now() + grace);
                }
                () = sleep_until(give_up_at) => break,
            }
            self.drain();
            if self.draining && self.hub.pending_storage_ops() == 0 {
                break;
            }
        }
        for (_, conn) in self.conns.drain() {
            close_after_queue(conn, CloseCode::GOING_AWAY);
        }
    }

    fn on_message(&mut self, msg: ToHub) {
        let now = self.clock.now();
        match msg {
            ToHub::Opened {
                outbound,
                kill,
                reply,
            } => {
                if self.draining {
                    let _ = reply.send(None);
                    return;
                }
                let session = self.hub.handle_session_opened(now);
                let conn = ConnHandle {
                    outbound,
                    kill: Some(kill),
                };
                if reply.send(Some(session)).is_ok() {
                    self.conns.insert(session, conn);
                } else {
                    self.hub.handle_session_closed(now, session);
                }
            }
            ToHub::Frame { session, bytes } => {
                if !self.draining {
                    self.hub.handle_frame(now, session, &bytes);
                }
            }
            ToHub::Flushed { session, bytes } => self.hub.handle_flushed(session, bytes),
            ToHub::Closed { session } => {
                self.conns.remove(&session);
                self.hub.handle_session_closed(now, session);
            }
            ToHub::Metrics { reply } => {
                let _ = reply.send(self.hub.metrics());
            }
        }
    }

    /// Drains every hub output until an iteration produces no new input for the hub.
    fn drain(&mut self) {
        loop {
            let mut progressed = false;
            while let Some((session, bytes)) = self.hub.poll_transmit() {
                progressed |= self.deliver(session, Outbound::Frame(bytes));
            }
            while let Some((session, code)) = self.hub.poll_close() {
                progressed |= self.deliver(session, Outbound::Close(code));
                // Dropping the handle ends the channel after the close message.
                self.conns.remove(&session);
            }
            while let Some(action) = self.hub.poll_storage() {
                if let Err(e) = self.storage.try_send(action) {
                    let (action, why) = match e {
                        TrySendError::Full(a) => (a, "storage queue full"),
                        TrySendError::Closed(a) => (a, "storage worker stopped"),
                    };
                    ServerMetrics::inc(&self.metrics.storage_overflow);
                    let now = self.clock.now();
                    self.hub.handle_storage(now, failed(&action, why));
                    progressed = true;
                }
            }
            while let Some(request) = self.hub.poll_auth() {
                let now = self.clock.now();
                let refusal = Err(AuthError("authorization unavailable".to_owned()));
                let _ = self.hub.handle_auth(now, request.session, refusal);
                progressed = true;
            }
            while let Some(event) = self.hub.poll_event() {
                log_event(&event);
            }
            if !progressed {
                return;
            }
        }
    }

    /// Queues `msg` for a connection; returns whether the hub was given new input
    /// (the session had to be closed).
    fn deliver(&mut self, session: SessionId, msg: Outbound) -> bool {
        let Some(conn) = self.conns.get_mut(&session) else {
            return false;
        };
        let code = match conn.outbound.try_send(msg) {
            Ok(()) => return false,
            Err(TrySendError::Full(Outbound::Close(code))) => code,
            Err(TrySendError::Full(Outbound::Frame(_))) => {
                ServerMetrics::inc(&self.metrics.outbound_overflow);
                CloseCode::SLOW_CONSUMER
            }
            Err(TrySendError::Closed(_)) => CloseCode::GOING_AWAY,
        };
        if let Some(conn) = self.conns.remove(&session) {
            close_now(conn, code);
        }
        let now = self.clock.now();
        self.hub.handle_session_closed(now, session);
        true
    }
}

/// Closes a connection after the frames already queued for it (at once if its queue
/// is full).
fn close_after_queue(conn: ConnHandle, code: CloseCode) {
    if conn.outbound.try_send(Outbound::Close(code)).is_err() {
        close_now(conn, code);
    }
}

/// Closes a connection at once, skipping whatever is still queued for it.
fn close_now(mut conn: ConnHandle, code: CloseCode) {
    if let Some(kill) = conn.kill.take() {
        let _ = kill.send(code);
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn log_event(event: &HubEvent) {
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
