//! The `syncwire serve` flags of every hub limit. Their defaults are the constants of
//! `proto::hub::defaults` (the ones `HubConfig::default()` uses and docs/PROTOCOL.md §7
//! states), so the binary, the library and the spec cannot disagree.

use std::time::Duration;

use clap::Args;
use syncwire_tokio::proto::hub::HubConfig;
use syncwire_tokio::proto::hub::defaults as d;

/// Hub limits (docs/PROTOCOL.md §7). Every one is announced in `Welcome` except the
/// strike settings, the handshake timeout and the backlog bound.
#[derive(Args, Debug)]
#[command(next_help_heading = "Limits (docs/PROTOCOL.md §7)")]
pub(crate) struct LimitArgs {
    /// Largest inbound message, in bytes.
    #[arg(long, default_value_t = d::MAX_FRAME_BYTES)]
    max_frame_bytes: u32,
    /// Largest delta payload, in bytes.
    #[arg(long, default_value_t = d::MAX_PAYLOAD_BYTES)]
    max_payload_bytes: u32,
    /// Largest presence state, in bytes.
    #[arg(long, default_value_t = d::MAX_PRESENCE_BYTES)]
    max_presence_bytes: u32,
    /// Largest `user_info` a client may announce in its `Hello`, in bytes.
    #[arg(long, default_value_t = d::MAX_USER_INFO_BYTES)]
    max_user_info_bytes: u32,
    /// Most members a room lists peer by peer; larger rooms get only a member count.
    #[arg(long, default_value_t = d::MAX_PRESENCE_MEMBERS)]
    max_presence_members: u32,
    /// Least time between two member counts sent to a room too large to list, in ms.
    #[arg(long, default_value_t = d::PRESENCE_SUMMARY_INTERVAL_MS)]
    presence_summary_interval_ms: u32,
    /// Most rooms one session may be in at once.
    #[arg(long, default_value_t = d::MAX_ROOMS_PER_SESSION)]
    max_rooms: u32,
    /// Sustained inbound frames per second per session.
    #[arg(long, default_value_t = d::RATE_FRAMES_PER_SEC)]
    rate_frames_per_sec: u32,
    /// Inbound frame burst per session (token bucket capacity).
    #[arg(long, default_value_t = d::RATE_FRAME_BURST)]
    rate_frame_burst: u32,
    /// Sustained inbound bytes per second per session.
    #[arg(long, default_value_t = d::RATE_BYTES_PER_SEC)]
    rate_bytes_per_sec: u32,
    /// Inbound byte burst per session; at least --max-frame-bytes.
    #[arg(long, default_value_t = d::RATE_BYTE_BURST)]
    rate_byte_burst: u32,
    /// Rate-limit rejections within the strike window that close the session (4004).
    #[arg(long, default_value_t = d::RATE_STRIKES_TO_CLOSE)]
    rate_strikes: u32,
    /// Window over which rate-limit rejections are counted, in milliseconds.
    #[arg(long, default_value_t = d::RATE_STRIKE_WINDOW_MS)]
    rate_strike_window_ms: u32,
    /// Bound on a session's unflushed output, in bytes (then close 4011).
    #[arg(long, default_value_t = d::MAX_BACKLOG_BYTES)]
    max_backlog_bytes: u32,
    /// Interval at which clients must send a frame, in milliseconds.
    #[arg(long, default_value_t = d::HEARTBEAT_INTERVAL_MS)]
    heartbeat_ms: u32,
    /// Silence after which a session is closed (4010), in milliseconds.
    #[arg(long, default_value_t = d::HEARTBEAT_TIMEOUT_MS)]
    heartbeat_timeout_ms: u32,
    /// Time from connection to `Welcome` after which it is closed (4012), in ms.
    #[arg(long, default_value_t = d::HANDSHAKE_TIMEOUT_MS)]
    handshake_timeout_ms: u32,
}

impl LimitArgs {
    /// Writes the limits into `hub` (validated later, by `Server::bind`).
    pub(crate) fn apply(&self, hub: &mut HubConfig) {
        let ms = |v: u32| Duration::from_millis(u64::from(v));
        let size = |v: u32| usize::try_from(v).unwrap_or(usize::MAX);
        hub.max_frame_bytes = size(self.max_frame_bytes);
        hub.max_payload_bytes = size(self.max_payload_bytes);
        hub.max_presence_bytes = size(self.max_presence_bytes);
        hub.max_user_info_bytes = size(self.max_user_info_bytes);
        hub.max_presence_members = size(self.max_presence_members);
        hub.presence_summary_interval = ms(self.presence_summary_interval_ms);
        hub.max_rooms_per_session = size(self.max_rooms);
        hub.rate_frames_per_sec = self.rate_frames_per_sec;
        hub.rate_frame_burst = self.rate_frame_burst;
        hub.rate_bytes_per_sec = self.rate_bytes_per_sec;
        hub.rate_byte_burst = self.rate_byte_burst;
        hub.rate_strikes_to_close = self.rate_strikes;
        hub.rate_strike_window = ms(self.rate_strike_window_ms);
        hub.max_backlog_bytes = size(self.max_backlog_bytes);
        hub.heartbeat_interval = ms(self.heartbeat_ms);
        hub.heartbeat_timeout = ms(self.heartbeat_timeout_ms);
        hub.handshake_timeout = ms(self.handshake_timeout_ms);
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        limits: LimitArgs,
    }

    fn applied(args: &[&str]) -> HubConfig {
        let cli = Cli::try_parse_from(std::iter::once("syncwire").chain(args.iter().copied()))
            .expect("flags parse");
        // Start from values no flag default has, so a field `apply` skips shows.
        let one = Duration::from_millis(1);
        let mut hub = HubConfig {
            max_frame_bytes: 1,
            max_payload_bytes: 1,
            max_presence_bytes: 1,
            max_user_info_bytes: 1,
            max_presence_members: 1,
            presence_summary_interval: one,
            max_rooms_per_session: 1,
            rate_frames_per_sec: 1,
            rate_frame_burst: 1,
            rate_bytes_per_sec: 1,
            rate_byte_burst: 1,
            rate_strikes_to_close: 1,
            rate_strike_window: one,
            max_backlog_bytes: 1,
            heartbeat_interval: one,
            heartbeat_timeout: one,
            handshake_timeout: one,
            ..HubConfig::default()
        };
        cli.limits.apply(&mut hub);
        hub
    }

    #[test]
    fn without_flags_the_hub_gets_the_library_defaults() {
        let hub = applied(&[]);
        let default = HubConfig::default();
        assert_eq!(hub.wire_limits(), default.wire_limits());
        assert_eq!(hub.heartbeat_ms(), default.heartbeat_ms());
        assert_eq!(hub.handshake_timeout, default.handshake_timeout);
        assert_eq!(hub.rate_strikes_to_close, default.rate_strikes_to_close);
        assert_eq!(hub.rate_strike_window, default.rate_strike_window);
        assert_eq!(hub.max_backlog_bytes, default.max_backlog_bytes);
        assert_eq!(hub.max_user_info_bytes, default.max_user_info_bytes);
        assert_eq!(hub.max_presence_members, default.max_presence_members);
        assert_eq!(
            hub.presence_summary_interval,
            default.presence_summary_interval
        );
    }

    #[test]
    fn hub_only_flags_reach_the_config() {
        let hub = applied(&[
            "--rate-strikes",
            "3",
            "--rate-strike-window-ms",
            "1500",
            "--max-backlog-bytes",
            "65536",
            "--handshake-timeout-ms",
            "2500",
            "--max-user-info-bytes",
            "300",
            "--max-presence-members",
            "40",
            "--presence-summary-interval-ms",
            "250",
        ]);
        assert_eq!(hub.rate_strikes_to_close, 3);
        assert_eq!(hub.rate_strike_window, Duration::from_millis(1500));
        assert_eq!(hub.max_backlog_bytes, 65536);
        assert_eq!(hub.handshake_timeout, Duration::from_millis(2500));
        assert_eq!(hub.max_user_info_bytes, 300);
        assert_eq!(hub.max_presence_members, 40);
        assert_eq!(hub.presence_summary_interval, Duration::from_millis(250));
    }
}
