//! The storage worker: one OS thread that owns the [`Backend`].
//!
//! It blocks on a bounded queue of [`StorageAction`]s, takes every action already
//! waiting (up to `max_batch`) into one batch — so appends from many rooms share one
//! transaction and one fsync (group commit) — executes the batch in order and sends
//! the completions back, in order, on a channel sized to hold every action that can be
//! in flight (queue capacity + one batch), so it does not wait on the hub in practice.
//! The thread ends when the hub drops its sender; dropping the backend then closes the
//! database.

use std::sync::Arc;
use std::thread::JoinHandle;

use syncwire_proto::hub::{StorageAction, StorageCompletion};
use tokio::sync::mpsc;

use super::Backend;
use crate::server::metrics::ServerMetrics;

/// The hub task's ends of the worker's channels, and the thread.
pub(crate) struct Worker {
    /// Actions to run (bounded; the hub uses `try_send`).
    pub(crate) actions: mpsc::Sender<StorageAction>,
    /// Completions, in action order.
    pub(crate) completions: mpsc::Receiver<StorageCompletion>,
    /// The thread, joined at shutdown.
    pub(crate) thread: JoinHandle<()>,
}

/// Starts the worker thread.
pub(crate) fn spawn(
    mut backend: Box<dyn Backend>,
    capacity: usize,
    max_batch: usize,
    metrics: Arc<ServerMetrics>,
) -> std::io::Result<Worker> {
    let (actions, mut rx) = mpsc::channel::<StorageAction>(capacity);
    let (done_tx, completions) = mpsc::channel(capacity.saturating_add(max_batch));
    let thread = std::thread::Builder::new()
        .name("syncwire-storage".to_owned())
        .spawn(move || {
            while let Some(first) = rx.blocking_recv() {
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
                metrics.storage_batch(n, started.elapsed());
                for c in done {
                    if done_tx.blocking_send(c).is_err() {
                        return;
                    }
                }
            }
        })?;
    Ok(Worker {
        actions,
        completions,
        thread,
    })
}
