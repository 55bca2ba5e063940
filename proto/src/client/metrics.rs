//! Counters of one client session, read with [`Client::metrics`](super::Client::metrics).

use core::time::Duration;

use super::error::SessionError;

/// Faults counted by kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorCounts {
    /// `Reject` frames received (any code).
    pub rejected: u64,
    /// Frames that did not decode.
    pub malformed: u64,
    /// Frames over `max_frame_bytes`.
    pub frame_too_large: u64,
    /// Protocol violations by the hub.
    pub protocol_violations: u64,
    /// Dead hubs detected.
    pub heartbeat_timeouts: u64,
    /// Connection attempts that did not finish the handshake in time.
    pub handshake_timeouts: u64,
    /// `Join`s the hub did not answer in time.
    pub join_timeouts: u64,
    /// Connections dropped because events were not drained.
    pub slow_application: u64,
    /// Transports the driver reported closed or failed.
    pub transport_lost: u64,
}

impl ErrorCounts {
    pub(super) fn count(&mut self, e: &SessionError) {
        let c = match e {
            SessionError::Rejected { .. } => &mut self.rejected,
            SessionError::Malformed(_) => &mut self.malformed,
            SessionError::FrameTooLarge { .. } => &mut self.frame_too_large,
            SessionError::ProtocolViolation(_) => &mut self.protocol_violations,
            SessionError::HeartbeatTimeout => &mut self.heartbeat_timeouts,
            SessionError::HandshakeTimeout => &mut self.handshake_timeouts,
            SessionError::JoinTimeout { .. } => &mut self.join_timeouts,
            SessionError::SlowApplication => &mut self.slow_application,
        };
        *c = c.saturating_add(1);
    }
}

/// Session counters. All counts saturate instead of overflowing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientMetrics {
    /// Frames handed to the driver.
    pub frames_sent: u64,
    /// Bytes of frames handed to the driver.
    pub bytes_sent: u64,
    /// Frames received (including ones that did not decode).
    pub frames_received: u64,
    /// Bytes received.
    pub bytes_received: u64,
    /// Deltas accepted by `submit`.
    pub deltas_submitted: u64,
    /// Submitted deltas merged into an already queued one.
    pub deltas_merged: u64,
    /// Outbox entries acknowledged by the hub (a merged entry counts once).
    pub deltas_acked: u64,
    /// Outbox entries the hub refused for good.
    pub deltas_rejected: u64,
    /// Log entries delivered to the application as `Delta` (own ones included
    /// in a replay after a reset).
    pub deltas_delivered: u64,
    /// Hub deltas dropped because they were already delivered.
    pub duplicates_dropped: u64,
    /// Log entries of this replica skipped during replay (the document has them).
    pub own_deltas_skipped: u64,
    /// Gaps in the hub's delta stream (each causes a re-join).
    pub gaps: u64,
    /// Resyncs (snapshot replacing the room state).
    pub resyncs: u64,
    /// The latest RTT sample.
    pub rtt_last: Option<Duration>,
    /// The smoothed RTT.
    pub rtt_smoothed: Option<Duration>,
    /// Handshakes completed.
    pub connections: u64,
    /// Connection attempts after the first one.
    pub reconnects: u64,
    /// Faults by kind.
    pub errors: ErrorCounts,
    /// Non-delivery events dropped because the driver did not drain events.
    pub events_dropped: u64,
    /// Total time spent in the `Connected` state (up to the latest `now`).
    pub time_connected: Duration,
}

/// Adds one to a counter, saturating.
pub(super) fn bump(c: &mut u64) {
    *c = c.saturating_add(1);
}

/// Adds `n` to a counter, saturating.
pub(super) fn add(c: &mut u64, n: usize) {
    *c = c.saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
}
