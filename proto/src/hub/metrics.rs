//! Counters and gauges the hub keeps about itself ([`HubMetrics`]).

use std::collections::BTreeMap;

use crate::wire::{CloseCode, ErrorCode};

/// A snapshot of the hub's counters (`Hub::metrics`). Counters only grow.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HubMetrics {
    /// Sessions currently open (including those in the handshake).
    pub sessions: usize,
    /// Rooms currently loaded or loading.
    pub rooms: usize,
    /// Deltas accepted for appending.
    pub deltas_in: u64,
    /// Deltas sent to members (live and in batches).
    pub deltas_out: u64,
    /// Frames received.
    pub frames_in: u64,
    /// Frames queued for sending.
    pub frames_out: u64,
    /// Bytes received.
    pub bytes_in: u64,
    /// Bytes queued for sending.
    pub bytes_out: u64,
    /// Rejections issued, by reason code.
    pub rejections: BTreeMap<ErrorCode, u64>,
    /// Sessions closed by the hub, by close code.
    pub closes: BTreeMap<CloseCode, u64>,
    /// Presence updates not sent to a peer whose backlog was full.
    pub presence_dropped: u64,
    /// Shared-log mode: news to or from other nodes dropped (a queue or a bound was
    /// full, or a value was over the hub's limits); repaired by the next roster.
    pub peer_news_dropped: u64,
    /// Operator events dropped because the event queue was full.
    pub events_dropped: u64,
    /// Storage operations completed.
    pub storage_ops: u64,
    /// Storage operations that failed.
    pub storage_failures: u64,
    /// Sum of storage latencies, in microseconds (divide by `storage_ops` for the mean).
    pub storage_latency_total_us: u64,
    /// Largest storage latency seen, in microseconds.
    pub storage_latency_max_us: u64,
    /// Log prefixes folded into snapshots.
    pub compactions: u64,
    /// Shared-log mode: folds declined because another node was folding the room
    /// (`StorageError::fold_busy`; the hub folds later). Not storage failures.
    pub folds_deferred: u64,
}

impl HubMetrics {
    pub(crate) fn reject(&mut self, code: ErrorCode) {
        let n = self.rejections.entry(code).or_default();
        *n = n.saturating_add(1);
    }
    pub(crate) fn close(&mut self, code: CloseCode) {
        let n = self.closes.entry(code).or_default();
        *n = n.saturating_add(1);
    }
    pub(crate) fn storage_done(&mut self, latency_us: u64, ok: bool) {
        self.storage_ops = self.storage_ops.saturating_add(1);
        if !ok {
            self.storage_failures = self.storage_failures.saturating_add(1);
        }
        self.storage_latency_total_us = self.storage_latency_total_us.saturating_add(latency_us);
        self.storage_latency_max_us = self.storage_latency_max_us.max(latency_us);
    }
    /// How many rejections with `code` were issued.
    pub fn rejections_of(&self, code: ErrorCode) -> u64 {
        self.rejections.get(&code).copied().unwrap_or(0)
    }
    /// How many sessions the hub closed with `code`.
    pub fn closes_of(&self, code: CloseCode) -> u64 {
        self.closes.get(&code).copied().unwrap_or(0)
    }
}
