//! Server-side counters (driver-core's `ServerCounters`) and the Prometheus text rendering of
//! those plus the hub's own [`HubMetrics`].
//!
//! The text exposition format is written by hand rather than with a metrics crate:
//! the hub's numbers are snapshots taken from the Sans-IO state machine on each scrape
//! (not values this process increments), which registry-based crates model awkwardly,
//! and the format for counters, gauges and one histogram is a few lines. Every name
//! is prefixed `syncwire_`; label values are code names (`rate_limited`), never input.

use std::fmt::Write as _;

use syncwire_proto::hub::HubMetrics;

use syncwire_driver_core::server::{STORAGE_BATCH_BUCKETS as BUCKETS, ServerCounters};

/// Renders the server's counters and `hub` in the Prometheus text format (version
/// 0.0.4).
pub(crate) fn render(counters: &ServerCounters, hub: &HubMetrics) -> String {
    Render(counters).render(hub)
}

struct Render<'a>(&'a ServerCounters);

impl std::ops::Deref for Render<'_> {
    type Target = ServerCounters;
    fn deref(&self) -> &ServerCounters {
        self.0
    }
}

impl Render<'_> {
    fn render(&self, hub: &HubMetrics) -> String {
        let mut out = String::with_capacity(4096);
        let open = self.connections_open();
        let gauges: [(&str, &str, u64); 4] = [
            (
                "sessions",
                "Hub sessions open (including handshakes).",
                hub.sessions as u64,
            ),
            ("rooms", "Rooms loaded or loading.", hub.rooms as u64),
            ("connections_open", "WebSocket connections open.", open),
            (
                "storage_failed",
                "1 while storage is failed (redb after an I/O error, Redis refused for durability) until it recovers, else 0.",
                u64::from(self.storage_failed()),
            ),
        ];
        for (name, help, v) in gauges {
            metric(&mut out, name, "gauge", help, &[("", v)]);
        }
        let counters: [(&str, &str, u64); 22] = [
            (
                "connections_total",
                "WebSocket connections accepted.",
                self.connections_total(),
            ),
            (
                "deltas_in_total",
                "Deltas accepted for appending.",
                hub.deltas_in,
            ),
            (
                "deltas_out_total",
                "Deltas sent to members.",
                hub.deltas_out,
            ),
            ("frames_in_total", "Frames received.", hub.frames_in),
            (
                "frames_out_total",
                "Frames queued for sending.",
                hub.frames_out,
            ),
            ("bytes_in_total", "Frame bytes received.", hub.bytes_in),
            (
                "bytes_out_total",
                "Frame bytes queued for sending.",
                hub.bytes_out,
            ),
            (
                "presence_dropped_total",
                "Presence updates dropped for full backlogs.",
                hub.presence_dropped,
            ),
            (
                "peer_news_dropped_total",
                "News of members to or from other nodes dropped (repaired by the next roster).",
                hub.peer_news_dropped
                    .saturating_add(self.hub().news_overflow()),
            ),
            (
                "events_dropped_total",
                "Operator events dropped.",
                hub.events_dropped,
            ),
            (
                "compactions_total",
                "Log prefixes folded into snapshots.",
                hub.compactions,
            ),
            (
                "text_messages_rejected_total",
                "Text messages answered with close 1002.",
                self.text_rejected(),
            ),
            (
                "writes_stalled_total",
                "Connections dropped because the peer took no output for the heartbeat timeout.",
                self.writes_stalled(),
            ),
            (
                "outbound_overflow_total",
                "Sessions closed because their outbound queue was full.",
                self.hub().outbound_overflow(),
            ),
            (
                "storage_overflow_total",
                "Storage actions failed because the storage queue was full.",
                self.hub().storage_overflow(),
            ),
            (
                "outbound_batches_total",
                "Batches of frames queued to connections (one per connection per hub turn).",
                self.hub().outbound_batches(),
            ),
            (
                "outbound_frames_total",
                "Frames in those batches.",
                self.hub().outbound_frames(),
            ),
            (
                "storage_ops_total",
                "Storage operations completed (hub view).",
                hub.storage_ops,
            ),
            (
                "storage_failures_total",
                "Storage operations that failed.",
                hub.storage_failures,
            ),
            (
                "folds_deferred_total",
                "Folds declined because another node was folding the room (not failures).",
                hub.folds_deferred,
            ),
            (
                "storage_actions_total",
                "Storage actions executed by the worker.",
                self.storage_actions(),
            ),
            (
                "storage_reopens_total",
                "Times failed storage recovered (redb reopened, Redis passing the durability check again).",
                self.storage_reopens(),
            ),
        ];
        for (name, help, v) in counters {
            metric(&mut out, name, "counter", help, &[("", v)]);
        }
        let rejections: Vec<(String, u64)> = hub
            .rejections
            .iter()
            .map(|(code, n)| {
                (
                    format!("reason=\"{}\"", code.name().unwrap_or("unknown")),
                    *n,
                )
            })
            .collect();
        labelled(
            &mut out,
            "rejections_total",
            "Rejections by reason.",
            &rejections,
        );
        let closes: Vec<(String, u64)> = hub
            .closes
            .iter()
            .map(|(code, n)| (format!("code=\"{}\"", code.name().unwrap_or("unknown")), *n))
            .collect();
        labelled(
            &mut out,
            "closes_total",
            "Sessions closed by the hub, by code.",
            &closes,
        );
        let total = hub.storage_latency_total_us as f64 / 1e6;
        let max = hub.storage_latency_max_us as f64 / 1e6;
        let _ = writeln!(
            out,
            "# HELP syncwire_storage_latency_seconds_total Sum of storage operation latencies (hub view)."
        );
        let _ = writeln!(out, "# TYPE syncwire_storage_latency_seconds_total counter");
        let _ = writeln!(out, "syncwire_storage_latency_seconds_total {total}");
        let _ = writeln!(
            out,
            "# HELP syncwire_storage_latency_max_seconds Largest storage operation latency."
        );
        let _ = writeln!(out, "# TYPE syncwire_storage_latency_max_seconds gauge");
        let _ = writeln!(out, "syncwire_storage_latency_max_seconds {max}");
        self.render_histogram(&mut out);
        out
    }

    fn render_histogram(&self, out: &mut String) {
        let name = "syncwire_storage_batch_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Time to execute (and commit) one storage batch."
        );
        let _ = writeln!(out, "# TYPE {name} histogram");
        for (bucket, bound) in self.batch_buckets().into_iter().zip(BUCKETS) {
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {}", bucket);
        }
        let count = self.batch_count();
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let sum = self.batch_sum_us() as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum {sum}");
        let _ = writeln!(out, "{name}_count {count}");
    }
}

fn metric(out: &mut String, name: &str, kind: &str, help: &str, values: &[(&str, u64)]) {
    let _ = writeln!(out, "# HELP syncwire_{name} {help}");
    let _ = writeln!(out, "# TYPE syncwire_{name} {kind}");
    for (labels, v) in values {
        if labels.is_empty() {
            let _ = writeln!(out, "syncwire_{name} {v}");
        } else {
            let _ = writeln!(out, "syncwire_{name}{{{labels}}} {v}");
        }
    }
}

fn labelled(out: &mut String, name: &str, help: &str, values: &[(String, u64)]) {
    let refs: Vec<(&str, u64)> = values.iter().map(|(l, v)| (l.as_str(), *v)).collect();
    metric(out, name, "counter", help, &refs);
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use syncwire_proto::wire::ErrorCode;

    #[test]
    fn renders_hub_and_server_metrics() {
        let m = ServerCounters::default();
        m.connection_accepted();
        m.storage_batch(3, Duration::from_millis(2));
        let mut hub = HubMetrics {
            sessions: 2,
            deltas_in: 7,
            ..HubMetrics::default()
        };
        hub.rejections.insert(ErrorCode::RATE_LIMITED, 4);
        let text = render(&m, &hub);
        assert!(text.contains("syncwire_sessions 2\n"));
        assert!(text.contains("syncwire_deltas_in_total 7\n"));
        assert!(text.contains("syncwire_connections_open 1\n"));
        assert!(text.contains("syncwire_rejections_total{reason=\"rate_limited\"} 4\n"));
        assert!(text.contains("syncwire_storage_batch_seconds_bucket{le=\"0.001\"} 0\n"));
        assert!(text.contains("syncwire_storage_batch_seconds_bucket{le=\"0.0025\"} 1\n"));
        assert!(text.contains("syncwire_storage_batch_seconds_count 1\n"));
        assert!(text.contains("syncwire_storage_actions_total 3\n"));
        assert!(text.contains("syncwire_storage_reopens_total 0\n"));
        assert!(text.contains("syncwire_storage_failed 0\n"));
    }
}
