//! The queues a server gives [`HubCore`](super::HubCore): one outbound queue per
//! connection ([`ConnQueue`]) and the storage queue ([`StorageQueue`]), plus the
//! overflow counters and the failed completion that answers a refused action.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use syncwire_proto::hub::{Frames, StorageAction, StorageCompletion, StorageError};
use syncwire_proto::wire::CloseCode;

/// Hub → connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outbound {
    /// Write these frames, in order, each as one binary message. One drain of the hub
    /// sends a connection all the frames it produced for it as one batch, so the
    /// connection is woken once per batch rather than once per frame.
    Frames(Frames),
    /// Several batches queued as one message, in order: a server's connection queue
    /// that is full merges a batch into its last message ([`Outbound::merge`]) rather
    /// than refuse it. Never produced by [`HubCore`](super::HubCore) itself.
    Batches(Vec<Frames>),
    /// Close the WebSocket with this code after the frames before it.
    Close(CloseCode),
}

impl Outbound {
    /// Appends the frames of `more` after this message's. A close is never merged,
    /// neither into nor onto: then `more` is handed back.
    pub fn merge(&mut self, more: Outbound) -> Result<(), Outbound> {
        if matches!(self, Outbound::Close(_)) {
            return Err(more);
        }
        let more = match more {
            Outbound::Frames(frames) => vec![frames],
            Outbound::Batches(batches) => batches,
            close @ Outbound::Close(_) => return Err(close),
        };
        let mut batches = match std::mem::replace(self, Outbound::Batches(Vec::new())) {
            Outbound::Frames(frames) => vec![frames],
            Outbound::Batches(batches) => batches,
            Outbound::Close(_) => Vec::new(), // returned above
        };
        batches.extend(more);
        *self = Outbound::Batches(batches);
        Ok(())
    }

    /// How many frames this message carries.
    pub fn frame_count(&self) -> usize {
        match self {
            Outbound::Frames(frames) => frames.len(),
            Outbound::Batches(batches) => batches.iter().map(|f| f.len()).sum(),
            Outbound::Close(_) => 0,
        }
    }
}

/// Why a connection's queue refused a message.
#[derive(Debug, PartialEq, Eq)]
pub enum SendRefused {
    /// The queue is full (the message is handed back).
    Full(Outbound),
    /// The connection is gone.
    Closed,
}

/// The hub's handle on one connection: a bounded queue that never waits, and a kill
/// switch that closes the connection at once, bypassing the queue.
pub trait ConnQueue {
    /// Queues `msg` without waiting.
    fn try_send(&mut self, msg: Outbound) -> Result<(), SendRefused>;
    /// Closes the connection with `code` at once, skipping whatever is queued.
    fn kill(self, code: CloseCode);
}

/// The storage worker's bounded queue, which never waits.
pub trait StorageQueue {
    /// Queues `action`, or hands it back with the reason (full, worker stopped).
    fn try_send(&mut self, action: StorageAction) -> Result<(), (StorageAction, &'static str)>;
}

/// Bounds hit by the hub core, for the server's metrics.
#[derive(Debug, Default)]
pub struct HubCounters {
    /// Sessions closed `SLOW_CONSUMER` because their outbound queue was full.
    pub(crate) outbound_overflow: AtomicU64,
    /// Storage actions failed because the storage queue refused them.
    pub(crate) storage_overflow: AtomicU64,
    /// [`Outbound::Frames`] batches queued to connections.
    pub(crate) outbound_batches: AtomicU64,
    /// Frames in those batches (divided by the batches: the mean batch size, which
    /// is what makes writes cheap under load).
    pub(crate) outbound_frames: AtomicU64,
    /// Shared-log mode: news for other nodes dropped because the bus queue was full.
    pub(crate) news_overflow: AtomicU64,
}

impl HubCounters {
    /// Sessions closed `SLOW_CONSUMER` because their outbound queue was full.
    pub fn outbound_overflow(&self) -> u64 {
        self.outbound_overflow.load(Relaxed)
    }

    /// Storage actions failed because the storage queue refused them.
    pub fn storage_overflow(&self) -> u64 {
        self.storage_overflow.load(Relaxed)
    }

    /// Shared-log mode: news for other nodes dropped because the bus queue was full.
    pub fn news_overflow(&self) -> u64 {
        self.news_overflow.load(Relaxed)
    }

    /// [`Outbound::Frames`] batches queued to connections.
    pub fn outbound_batches(&self) -> u64 {
        self.outbound_batches.load(Relaxed)
    }

    /// Frames in those batches.
    pub fn outbound_frames(&self) -> u64 {
        self.outbound_frames.load(Relaxed)
    }
}

/// The failed completion answering `action`.
pub fn failed_completion(action: &StorageAction, message: &str) -> StorageCompletion {
    action.failed(StorageError(message.to_owned()))
}
