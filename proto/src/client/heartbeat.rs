//! Heartbeat and round-trip time: periodic pings, dead-hub detection, pong replies
//! to the hub's pings, and the RTT estimate.
//!
//! While connected the client sends `Ping{nonce}` every effective interval (the
//! configured `heartbeat_interval`, or the hub's `Welcome.heartbeat_ms` if shorter
//! and at least [`MIN_HUB_HEARTBEAT`]). Any frame from the hub proves liveness; if
//! none arrives for `heartbeat_timeout`, the hub is dead. Only the latest ping is
//! tracked: a pong for an older one is ignored. RTT is smoothed like TCP's SRTT
//! (RFC 6298): `srtt = 7/8 · srtt + 1/8 · sample`.

use core::time::Duration;

use super::Client;
use super::error::SessionError;
use super::timers::Timer;
use crate::time::Instant;
use crate::wire::CloseCode;

/// The shortest ping interval a hub's `Welcome` can impose.
pub const MIN_HUB_HEARTBEAT: Duration = Duration::from_millis(100);

/// Ping/pong bookkeeping of the current connection plus the RTT estimate.
#[derive(Clone, Debug, Default)]
pub(super) struct Heartbeat {
    next_nonce: u64,
    /// A ping is due to be sent.
    pub(super) ping_due: bool,
    /// Nonce and send time of the latest ping.
    outstanding: Option<(u64, Instant)>,
    /// A hub ping to answer (only the latest is answered).
    pub(super) pong_due: Option<u64>,
    /// The effective ping interval of this connection.
    pub(super) interval: Duration,
    /// The latest RTT sample.
    pub(super) rtt_last: Option<Duration>,
    /// The smoothed RTT.
    pub(super) rtt_smoothed: Option<Duration>,
}

impl Heartbeat {
    /// Forgets everything about the previous connection (RTT estimates stay).
    pub(super) fn reset_connection(&mut self, interval: Duration) {
        self.ping_due = false;
        self.outstanding = None;
        self.pong_due = None;
        self.interval = interval;
    }

    /// If a ping is due: its nonce, recorded as sent at `now`.
    pub(super) fn take_ping(&mut self, now: Instant) -> Option<u64> {
        if !self.ping_due {
            return None;
        }
        self.ping_due = false;
        self.next_nonce = self.next_nonce.wrapping_add(1);
        self.outstanding = Some((self.next_nonce, now));
        Some(self.next_nonce)
    }

    /// Records a pong; returns the RTT sample if it answers the latest ping.
    pub(super) fn on_pong(&mut self, nonce: u64, now: Instant) -> Option<Duration> {
        let (expected, sent) = self.outstanding?;
        if expected != nonce {
            return None;
        }
        self.outstanding = None;
        let sample = now - sent;
        self.rtt_last = Some(sample);
        self.rtt_smoothed = Some(match self.rtt_smoothed {
            None => sample,
            Some(s) => (s.saturating_mul(7).saturating_add(sample)) / 8,
        });
        Some(sample)
    }
}

/// The ping interval for a connection: the configured one, or the hub's if shorter.
pub(super) fn effective_interval(configured: Duration, hub_ms: u32) -> Duration {
    let hub = Duration::from_millis(u64::from(hub_ms));
    if hub_ms == 0 || hub < MIN_HUB_HEARTBEAT {
        configured
    } else {
        configured.min(hub)
    }
}

impl Client {
    /// Starts pinging and watching for liveness on a fresh connection.
    pub(super) fn start_heartbeat(&mut self, hub_ms: u32) {
        let interval = effective_interval(self.config.heartbeat_interval, hub_ms);
        self.heartbeat.reset_connection(interval);
        self.timers.set(Timer::Ping, self.now + interval);
        self.timers
            .set(Timer::Idle, self.now + self.config.heartbeat_timeout);
    }

    /// A frame arrived: the hub is alive.
    pub(super) fn note_liveness(&mut self) {
        if self.timers.is_set(Timer::Idle) {
            self.timers
                .set(Timer::Idle, self.now + self.config.heartbeat_timeout);
        }
    }

    /// The ping timer fired: queue a ping and re-arm.
    pub(super) fn on_ping_timer(&mut self) {
        self.heartbeat.ping_due = true;
        self.timers
            .set(Timer::Ping, self.now + self.heartbeat.interval);
    }

    /// The idle timer fired: the hub is dead.
    pub(super) fn on_idle_timer(&mut self) {
        self.fault(SessionError::HeartbeatTimeout, CloseCode::HEARTBEAT_TIMEOUT);
    }

    /// A `Pong` arrived.
    pub(super) fn on_pong(&mut self, nonce: u64) {
        let _ = self.heartbeat.on_pong(nonce, self.now);
    }

    /// A `Ping` arrived: answer it (the latest one only).
    pub(super) fn on_hub_ping(&mut self, nonce: u64) {
        self.heartbeat.pong_due = Some(nonce);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtt_is_measured_from_matching_pong_and_smoothed() {
        let mut h = Heartbeat {
            ping_due: true,
            ..Heartbeat::default()
        };
        let n = h.take_ping(Instant::from_millis(100)).unwrap_or(0);
        assert_eq!(h.take_ping(Instant::from_millis(100)), None, "one per due");
        assert_eq!(
            h.on_pong(n.wrapping_add(7), Instant::from_millis(150)),
            None
        );
        let s = h.on_pong(n, Instant::from_millis(180));
        assert_eq!(s, Some(Duration::from_millis(80)));
        assert_eq!(h.on_pong(n, Instant::from_millis(190)), None, "answered");
        h.ping_due = true;
        let n2 = h.take_ping(Instant::from_millis(1000)).unwrap_or(0);
        let _ = h.on_pong(n2, Instant::from_millis(1160));
        assert_eq!(h.rtt_last, Some(Duration::from_millis(160)));
        assert_eq!(h.rtt_smoothed, Some(Duration::from_millis(90)));
    }

    #[test]
    fn hub_interval_only_shortens_within_reason() {
        let c = Duration::from_secs(10);
        assert_eq!(effective_interval(c, 0), c);
        assert_eq!(effective_interval(c, 5_000), Duration::from_secs(5));
        assert_eq!(effective_interval(c, 60_000), c);
        assert_eq!(effective_interval(c, 1), c, "absurd hub value ignored");
        let min = u32::try_from(MIN_HUB_HEARTBEAT.as_millis()).unwrap_or(u32::MAX);
        assert_eq!(
            effective_interval(c, min),
            MIN_HUB_HEARTBEAT,
            "the floor itself is accepted"
        );
        assert_eq!(effective_interval(c, min - 1), c, "just below is not");
    }
}
