//! Client configuration: every tunable with its documented default, validated once
//! when the [`Client`](super::Client) is constructed.

use bytes::Bytes;
use core::fmt;
use core::time::Duration;
use std::sync::Arc;
use thiserror::Error;

use crate::crdt::{DeltaMerger, Registry};
use crate::wire::{DEFAULT_MAX_FRAME_BYTES, MAX_TOKEN_LEN, ReplicaId};

/// Smallest accepted `max_frame_bytes`: room for a `Hello` and protocol overhead.
pub const MIN_FRAME_BYTES: usize = 256;

/// Bytes a `ClientDelta` frame needs besides its room id, type tag and payload
/// (array and field headers at their largest).
pub(super) const DELTA_FRAME_OVERHEAD: usize = 48;

/// Configuration of one client session. Build it with [`ClientConfig::default`] (a
/// fresh replica id, picked by the driver) or [`ClientConfig::new`] (a replica id of
/// the caller's choosing) and change the public fields;
/// [`Replica::new`](crate::replica::Replica::new) validates it.
#[derive(Clone)]
pub struct ClientConfig {
    /// The replica this session speaks for (sequence numbers and CRDT entries are
    /// per replica). `None`, the default, asks for a **fresh replica id**: the
    /// drivers draw a random one in `1..=`[`ReplicaId::MAX_FRESH`] per client
    /// instance, so two processes started from one configuration never collide.
    /// A pure [`Client`](super::Client) cannot draw randomness and refuses `None`
    /// ([`ConfigError::NoReplica`]). `Some(id)` is a replica id of the caller's
    /// choosing: the caller keeps it unique among live sessions; a process that
    /// reuses it without the replica's saved state must not prepare local
    /// operations before the room caught up ([`ClientEvent::CaughtUp`](super::ClientEvent::CaughtUp)),
    /// which the drivers ensure.
    pub replica: Option<ReplicaId>,
    /// Credential sent in `Hello`. Default: none. At most [`MAX_TOKEN_LEN`] bytes.
    pub token: Option<String>,
    /// Opaque user info shown to peers. Default: none.
    pub user_info: Option<Bytes>,
    /// Seed of the generator used for backoff jitter. Same seed and same inputs give
    /// the same outputs. Default: 0 (drivers should pass a random seed).
    pub seed: u64,
    /// How often a `Ping` is sent while connected. Default: 10 s. If the hub's
    /// `Welcome` asks for a shorter interval (at least 100 ms), that one is used.
    pub heartbeat_interval: Duration,
    /// A hub that sends no frame at all for this long is declared dead: the transport
    /// is closed with `HEARTBEAT_TIMEOUT` and the session reconnects. This is the
    /// detection bound. Must exceed `heartbeat_interval`. Default: 30 s.
    pub heartbeat_timeout: Duration,
    /// Time from asking for a transport until the hub's `Welcome`; on expiry the
    /// attempt is closed with `HANDSHAKE_TIMEOUT` and the session backs off. Default: 10 s.
    pub handshake_timeout: Duration,
    /// Time from sending a `Join` until the hub's `Joined` (or `Reject`); on expiry
    /// the connection is closed with `HEARTBEAT_TIMEOUT`, `SessionError::JoinTimeout`
    /// is reported and the session reconnects, which sends the `Join` again.
    /// Default: 30 s.
    pub join_timeout: Duration,
    /// Base of the exponential backoff. Default: 500 ms.
    pub backoff_base: Duration,
    /// Largest backoff delay. Must be ≥ `backoff_base`. Default: 30 s.
    pub backoff_cap: Duration,
    /// Consecutive reconnection attempts before the session fails; `None` (the
    /// default) keeps trying forever. `Some(0)` is invalid.
    pub max_attempts: Option<u32>,
    /// A connection that stays up this long resets the attempt counter, so its
    /// loss is retried immediately. Default: 10 s.
    pub stable_after: Duration,
    /// Most deltas held in the outbox (unacked, across rooms). Default: 10 000.
    pub outbox_max_deltas: usize,
    /// Most payload bytes held in the outbox. Default: 16 MiB.
    pub outbox_max_bytes: usize,
    /// Largest frame accepted from the hub and largest frame this client builds.
    /// Default: [`DEFAULT_MAX_FRAME_BYTES`] (1 MiB). Minimum [`MIN_FRAME_BYTES`].
    pub max_frame_bytes: usize,
    /// Most rooms joined at once (including rooms whose `Leave` is not yet sent).
    /// Default: 256.
    pub max_rooms: usize,
    /// Events the driver may leave undrained before the session treats the
    /// application as too slow (see the module docs). Default: 4096.
    pub max_queued_events: usize,
    /// Delay before re-sending deltas the hub rejected as `rate_limited`. Default: 1 s.
    pub rate_limit_retry: Duration,
    /// Merges queued deltas of a room by CRDT type tag. Default: the built-in CRDTs ([`Registry::with_builtin`]); [`crate::crdt::NoMerge`] keeps deltas one by one.
    pub merger: Arc<dyn DeltaMerger>,
}

impl ClientConfig {
    /// A configuration for the replica id `replica` (of the caller's choosing) with
    /// every other field at its default. [`ClientConfig::default`] asks for a fresh one.
    pub fn new(replica: ReplicaId) -> Self {
        ClientConfig {
            replica: Some(replica),
            ..ClientConfig::default()
        }
    }

    /// Checks the configuration for nonsense values; a missing replica id is
    /// [`ConfigError::NoReplica`].
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.replica.is_none() {
            return Err(ConfigError::NoReplica);
        }
        let durations = [
            ("heartbeat_interval", self.heartbeat_interval),
            ("heartbeat_timeout", self.heartbeat_timeout),
            ("handshake_timeout", self.handshake_timeout),
            ("join_timeout", self.join_timeout),
            ("backoff_base", self.backoff_base),
            ("backoff_cap", self.backoff_cap),
            ("stable_after", self.stable_after),
            ("rate_limit_retry", self.rate_limit_retry),
        ];
        for (field, d) in durations {
            if d.as_micros() == 0 {
                return Err(ConfigError::ZeroDuration { field });
            }
        }
        if self.heartbeat_timeout <= self.heartbeat_interval {
            return Err(ConfigError::TimeoutNotAboveInterval {
                interval: self.heartbeat_interval,
                timeout: self.heartbeat_timeout,
            });
        }
        if self.backoff_cap < self.backoff_base {
            return Err(ConfigError::BackoffCapBelowBase {
                base: self.backoff_base,
                cap: self.backoff_cap,
            });
        }
        if self.max_attempts == Some(0) {
            return Err(ConfigError::ZeroLimit {
                field: "max_attempts",
            });
        }
        let limits = [
            ("outbox_max_deltas", self.outbox_max_deltas),
            ("outbox_max_bytes", self.outbox_max_bytes),
            ("max_rooms", self.max_rooms),
            ("max_queued_events", self.max_queued_events),
        ];
        for (field, v) in limits {
            if v == 0 {
                return Err(ConfigError::ZeroLimit { field });
            }
        }
        if self.max_frame_bytes < MIN_FRAME_BYTES {
            return Err(ConfigError::FrameLimitTooSmall {
                got: self.max_frame_bytes,
                min: MIN_FRAME_BYTES,
            });
        }
        let token_len = self.token.as_ref().map_or(0, String::len);
        if token_len > MAX_TOKEN_LEN {
            return Err(ConfigError::TokenTooLong {
                len: token_len,
                max: MAX_TOKEN_LEN,
            });
        }
        let hello = token_len
            .saturating_add(self.user_info.as_ref().map_or(0, Bytes::len))
            .saturating_add(64);
        if hello > self.max_frame_bytes {
            return Err(ConfigError::HelloTooLarge {
                size: hello,
                max: self.max_frame_bytes,
            });
        }
        Ok(())
    }
}

impl Default for ClientConfig {
    /// Every field at its default; no replica id (a fresh one, picked by the driver).
    fn default() -> Self {
        ClientConfig {
            replica: None,
            token: None,
            user_info: None,
            seed: 0,
            heartbeat_interval: Duration::from_secs(10),
            heartbeat_timeout: Duration::from_secs(30),
            handshake_timeout: Duration::from_secs(10),
            join_timeout: Duration::from_secs(30),
            backoff_base: Duration::from_millis(500),
            backoff_cap: Duration::from_secs(30),
            max_attempts: None,
            stable_after: Duration::from_secs(10),
            outbox_max_deltas: 10_000,
            outbox_max_bytes: 16 << 20,
            max_frame_bytes: DEFAULT_MAX_FRAME_BYTES,
            max_rooms: 256,
            max_queued_events: 4096,
            rate_limit_retry: Duration::from_secs(1),
            merger: Arc::new(Registry::with_builtin()),
        }
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("replica", &self.replica)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("user_info", &self.user_info)
            .field("seed", &self.seed)
            .field("heartbeat_interval", &self.heartbeat_interval)
            .field("heartbeat_timeout", &self.heartbeat_timeout)
            .field("handshake_timeout", &self.handshake_timeout)
            .field("join_timeout", &self.join_timeout)
            .field("backoff_base", &self.backoff_base)
            .field("backoff_cap", &self.backoff_cap)
            .field("max_attempts", &self.max_attempts)
            .field("stable_after", &self.stable_after)
            .field("outbox_max_deltas", &self.outbox_max_deltas)
            .field("outbox_max_bytes", &self.outbox_max_bytes)
            .field("max_frame_bytes", &self.max_frame_bytes)
            .field("max_rooms", &self.max_rooms)
            .field("max_queued_events", &self.max_queued_events)
            .field("rate_limit_retry", &self.rate_limit_retry)
            .finish_non_exhaustive()
    }
}

/// A duration shown in milliseconds with microsecond digits (`1.500 ms`): integer
/// formatting only, where `Duration`'s `Debug` brings its own decimal printer into
/// the browser bundle.
struct Ms(Duration);

impl fmt::Display for Ms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sub = self.0.subsec_micros();
        let ms = self
            .0
            .as_secs()
            .saturating_mul(1000)
            .saturating_add(u64::from(sub / 1000));
        write!(f, "{ms}.{:03} ms", sub % 1000)
    }
}

/// Why a [`ClientConfig`] was refused.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// No replica id: a [`Client`](super::Client) needs one (the drivers pick a
    /// fresh one for a configuration without).
    #[error("no replica id (the driver picks a fresh one; a bare Client needs one)")]
    NoReplica,
    /// A duration that must be positive is zero (or below one microsecond).
    #[error("{field} must be positive")]
    ZeroDuration {
        /// The field.
        field: &'static str,
    },
    /// The heartbeat timeout does not exceed the heartbeat interval.
    #[error("heartbeat_timeout {} must exceed heartbeat_interval {}", Ms(*.timeout), Ms(*.interval))]
    TimeoutNotAboveInterval {
        /// Configured interval.
        interval: Duration,
        /// Configured timeout.
        timeout: Duration,
    },
    /// The backoff cap is below its base.
    #[error("backoff_cap {} is below backoff_base {}", Ms(*.cap), Ms(*.base))]
    BackoffCapBelowBase {
        /// Configured base.
        base: Duration,
        /// Configured cap.
        cap: Duration,
    },
    /// A count or size limit is zero.
    #[error("{field} must be at least 1")]
    ZeroLimit {
        /// The field.
        field: &'static str,
    },
    /// `max_frame_bytes` is too small to carry the protocol.
    #[error("max_frame_bytes {got} is below the minimum {min}")]
    FrameLimitTooSmall {
        /// Configured value.
        got: usize,
        /// Minimum.
        min: usize,
    },
    /// The token is longer than the protocol allows.
    #[error("token of {len} bytes exceeds {max}")]
    TokenTooLong {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Token and user info do not fit one `Hello` frame of `max_frame_bytes`.
    #[error("Hello of about {size} bytes exceeds max_frame_bytes {max}")]
    HelloTooLarge {
        /// Estimated frame size.
        size: usize,
        /// Configured frame limit.
        max: usize,
    },
}
