//! The storage worker: one OS thread that owns the [`Backend`].
//!
//! It blocks on a bounded queue of [`StorageAction`]s, takes every action already
//! waiting (up to `max_batch`) into one batch — so appends from many rooms share one
//! transaction and one fsync (group commit) — executes the batch in order and sends
//! the completions back, in order, on a channel sized to hold every action that can be
//! in flight (queue capacity + one batch + the folds a backend may hold), so it does
//! not wait on the hub in practice.
//! A backend may finish folds on a thread of its own (redb does: a big room's fold
//! would hold back every append behind it) and send their completions on the same
//! channel ([`Backend::attach`]).
//! A backend that failed and recovers by itself (redb after a full disk, Redis
//! refused for its durability settings: [`Backend::retry_at`]) is asked to [`Backend::recover`] when its retry is due:
//! before the next batch, or when no action came by then (the queue is waited on
//! until then, never polled; redb also asks for a look every 50 ms while its fold
//! thread holds folds, whose I/O error must fail storage without waiting for an
//! action). While [`Backend::failed`] the worker reports storage as failed
//! (`ServerCounters::storage_failed`, `/health` 503); it counts each recovery.
//! The thread ends when the hub drops its sender; dropping the backend then closes the
//! database (after its fold thread ended), and `ended` fires (an async runtime awaits
//! it instead of joining).

use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender};
use std::time::Instant;

use futures_channel::oneshot;
use syncwire_proto::hub::{StorageAction, StorageCompletion};

use super::Backend;
use crate::server::ServerCounters;

/// The hub task's ends of the worker's channels, and the thread's end signal.
pub(crate) struct Worker {
    /// Actions to run (bounded; the hub uses `try_send`).
    pub(crate) actions: SyncSender<StorageAction>,
    /// Completions, in action order.
    pub(crate) completions: async_channel::Receiver<StorageCompletion>,
    /// `Ok(())` once the thread ended normally (cancelled if it panicked).
    pub(crate) ended: oneshot::Receiver<()>,
}

/// Starts the worker thread.
pub(crate) fn spawn(
    mut backend: Box<dyn Backend>,
    capacity: usize,
    max_batch: usize,
    counters: Arc<ServerCounters>,
) -> std::io::Result<Worker> {
    let (actions, rx) = mpsc::sync_channel::<StorageAction>(capacity);
    // Every action that can be in flight: the queue, one batch, and the folds a
    // backend finishes on its own thread (queued and running).
    let in_flight = capacity
        .saturating_add(max_batch)
        .saturating_add(super::redb_fold::FOLD_QUEUE + 1);
    let (done_tx, completions) = async_channel::bounded(in_flight);
    let (ended_tx, ended) = oneshot::channel();
    backend.attach(done_tx.clone())?;
    std::thread::Builder::new()
        .name("syncwire-storage".to_owned())
        .spawn(move || {
            'run: loop {
                let first = match backend.retry_at() {
                    None => match rx.recv() {
                        Ok(a) => a,
                        Err(_) => break,
                    },
                    Some(at) => match rx.recv_timeout(at.saturating_duration_since(Instant::now()))
                    {
                        Ok(a) => a,
                        Err(RecvTimeoutError::Timeout) => {
                            recover(backend.as_mut(), &counters);
                            continue;
                        }
                        Err(RecvTimeoutError::Disconnected) => break,
                    },
                };
                if backend.retry_at().is_some_and(|at| at <= Instant::now()) {
                    recover(backend.as_mut(), &counters);
                }
                let mut batch = vec![first];
                while batch.len() < max_batch {
                    match rx.try_recv() {
                        Ok(a) => batch.push(a),
                        Err(_) => break,
                    }
                }
                let n = batch.len();
                let started = std::time::Instant::now();
                let done = backend.execute_batch(batch);
                counters.storage_batch(n, started.elapsed());
                counters.set_storage_failed(backend.failed());
                for c in done {
                    if done_tx.send_blocking(c).is_err() {
                        break 'run;
                    }
                }
            }
            drop(backend);
            let _ = ended_tx.send(());
        })?;
    Ok(Worker {
        actions,
        completions,
        ended,
    })
}

/// Asks a failed backend to recover, and records the outcome.
fn recover(backend: &mut dyn Backend, counters: &ServerCounters) {
    if backend.recover() {
        ServerCounters::inc(&counters.storage_reopens);
    }
    counters.set_storage_failed(backend.failed());
}
