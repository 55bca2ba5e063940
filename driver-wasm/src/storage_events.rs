//! What the page (and Rust code) learns about saving a session in IndexedDB:
//! [`StorageError`] (typed: quota, unavailable, other) and [`StorageEvent`]s (a
//! write failed and will be retried, writes work again), fanned out to every
//! [`StorageEvents`] subscriber through a bounded queue (a subscriber that does not
//! keep up loses events, never blocking the writer).

use std::cell::RefCell;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_channel::mpsc;
use futures_util::Stream;

/// Storage events queued per subscriber before it starts losing them.
pub const STORAGE_EVENT_QUEUE: usize = 64;

/// Why the browser refused to read or write the saved session.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// The origin's storage quota is used up (`QuotaExceededError`).
    #[error("storage quota exceeded: {0}")]
    Quota(String),
    /// No IndexedDB here, or it refused access (private mode, disabled storage,
    /// `InvalidStateError` of a closed database).
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Anything else the browser reported.
    #[error("storage error: {0}")]
    Other(String),
}

impl StorageError {
    /// Classifies a `DOMException` by its name.
    pub fn from_dom(name: &str, message: &str) -> StorageError {
        let text = format!("{name}: {message}");
        match name {
            "QuotaExceededError" => StorageError::Quota(text),
            "InvalidStateError" | "SecurityError" | "UnknownError" => {
                StorageError::Unavailable(text)
            }
            _ => StorageError::Other(text),
        }
    }

    /// `"quota"`, `"unavailable"` or `"other"` (the JavaScript event's `kind`).
    pub fn kind(&self) -> &'static str {
        match self {
            StorageError::Quota(_) => "quota",
            StorageError::Unavailable(_) => "unavailable",
            StorageError::Other(_) => "other",
        }
    }
}

/// A change in how saving goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StorageEvent {
    /// A write failed; the latest state is written again after `retry_in`
    /// (`attempt` counts the failures in a row, from 1).
    WriteFailed {
        /// What the browser said.
        error: StorageError,
        /// Failed attempts in a row.
        attempt: u32,
        /// The wait before the next attempt.
        retry_in: Duration,
    },
    /// A write succeeded after `attempts` failures: the saved state is current.
    Recovered {
        /// The failures before it.
        attempts: u32,
    },
}

/// A stream of [`StorageEvent`]s ([`SyncClient::storage_events`](crate::SyncClient::storage_events)).
#[derive(Debug)]
pub struct StorageEvents {
    rx: mpsc::Receiver<StorageEvent>,
}

impl StorageEvents {
    /// The next event without waiting, if one is queued.
    pub fn try_next(&mut self) -> Option<StorageEvent> {
        self.rx.try_recv().ok()
    }
}

impl Stream for StorageEvents {
    type Item = StorageEvent;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<StorageEvent>> {
        Pin::new(&mut self.rx).poll_next(cx)
    }
}

/// The subscribers of one store.
#[derive(Debug, Default)]
pub(crate) struct Subscribers(RefCell<Vec<mpsc::Sender<StorageEvent>>>);

impl Subscribers {
    pub(crate) fn subscribe(&self) -> StorageEvents {
        let (tx, rx) = mpsc::channel(STORAGE_EVENT_QUEUE - 1);
        self.0.borrow_mut().push(tx);
        StorageEvents { rx }
    }

    pub(crate) fn publish(&self, event: &StorageEvent) {
        self.0
            .borrow_mut()
            .retain_mut(|tx| match tx.try_send(event.clone()) {
                Ok(()) => true,
                Err(e) => e.is_full(),
            });
    }
}
