//! [`ServerCounters`]: what a server counts around the hub (connections, rejected
//! text messages, storage batches, reopenings of failed storage) and whether its
//! storage is failed, for a metrics endpoint and `/health` to render. All lock-free.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::hub::HubCounters;

/// Upper bounds (seconds) of the storage batch latency histogram buckets.
pub const STORAGE_BATCH_BUCKETS: [f64; 9] =
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5];

/// Counters kept by a server around the hub.
#[derive(Debug, Default)]
pub struct ServerCounters {
    /// WebSocket connections accepted.
    pub(crate) connections_total: AtomicU64,
    /// WebSocket connections ended.
    pub(crate) connections_closed: AtomicU64,
    /// Text messages answered with close 1002.
    pub(crate) text_rejected: AtomicU64,
    /// Connections dropped because the peer took none of a batch of output within
    /// the write bound (`ConnContext::write_timeout`).
    pub(crate) writes_stalled: AtomicU64,
    /// Overflow counters kept by the shared hub core.
    pub(crate) hub: Arc<HubCounters>,
    /// Storage actions executed by the worker.
    pub(crate) storage_actions: AtomicU64,
    /// Storage batches per latency bucket ([`STORAGE_BATCH_BUCKETS`], cumulative).
    pub(crate) batch_buckets: [AtomicU64; STORAGE_BATCH_BUCKETS.len()],
    /// Storage batches executed.
    pub(crate) batch_count: AtomicU64,
    /// Total time spent executing storage batches, in microseconds.
    pub(crate) batch_sum_us: AtomicU64,
    /// Times the failed storage backend recovered (redb reopened after an I/O error,
    /// Redis passing the durability check again).
    pub(crate) storage_reopens: AtomicU64,
    /// Whether the storage backend is failed until it recovers (redb after an I/O
    /// error, Redis refused for durability); set by the storage worker.
    pub(crate) storage_failed: AtomicBool,
}

impl ServerCounters {
    /// Adds one to a counter.
    pub(crate) fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Relaxed);
    }

    /// Counts one accepted WebSocket connection.
    pub fn connection_accepted(&self) {
        Self::inc(&self.connections_total);
    }

    /// WebSocket connections accepted.
    pub fn connections_total(&self) -> u64 {
        self.connections_total.load(Relaxed)
    }

    /// Text messages answered with close 1002.
    pub fn text_rejected(&self) -> u64 {
        self.text_rejected.load(Relaxed)
    }

    /// Connections dropped because the peer did not take their output within the
    /// write bound (the hub's heartbeat timeout).
    pub fn writes_stalled(&self) -> u64 {
        self.writes_stalled.load(Relaxed)
    }

    /// The hub core's overflow and batch counters.
    pub fn hub(&self) -> &HubCounters {
        &self.hub
    }

    /// Storage actions executed by the worker.
    pub fn storage_actions(&self) -> u64 {
        self.storage_actions.load(Relaxed)
    }

    /// Storage batches per latency bucket ([`STORAGE_BATCH_BUCKETS`], cumulative).
    pub fn batch_buckets(&self) -> [u64; STORAGE_BATCH_BUCKETS.len()] {
        std::array::from_fn(|i| self.batch_buckets[i].load(Relaxed))
    }

    /// Storage batches executed.
    pub fn batch_count(&self) -> u64 {
        self.batch_count.load(Relaxed)
    }

    /// Total time spent executing storage batches, in microseconds.
    pub fn batch_sum_us(&self) -> u64 {
        self.batch_sum_us.load(Relaxed)
    }

    /// Times the failed storage backend recovered: redb reopened after an I/O error,
    /// Redis passing the durability check again after a refusal.
    pub fn storage_reopens(&self) -> u64 {
        self.storage_reopens.load(Relaxed)
    }

    /// Whether the storage backend is failed: every batch fails until it recovers
    /// (redb after an I/O error, until the storage worker has reopened the database;
    /// Redis refused for durability, until a connection passes the check).
    pub fn storage_failed(&self) -> bool {
        self.storage_failed.load(Relaxed)
    }

    /// Records whether the storage backend is failed.
    pub(crate) fn set_storage_failed(&self, failed: bool) {
        self.storage_failed.store(failed, Relaxed);
    }

    /// Records one executed storage batch of `actions` actions.
    pub fn storage_batch(&self, actions: usize, took: Duration) {
        self.storage_actions
            .fetch_add(u64::try_from(actions).unwrap_or(u64::MAX), Relaxed);
        let secs = took.as_secs_f64();
        for (bucket, bound) in self.batch_buckets.iter().zip(STORAGE_BATCH_BUCKETS) {
            if secs <= bound {
                bucket.fetch_add(1, Relaxed);
            }
        }
        self.batch_count.fetch_add(1, Relaxed);
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.batch_sum_us.fetch_add(us, Relaxed);
    }

    /// Connections accepted and not yet ended.
    pub fn connections_open(&self) -> u64 {
        self.connections_total
            .load(Relaxed)
            .saturating_sub(self.connections_closed.load(Relaxed))
    }
}
