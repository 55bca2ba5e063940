//! docs/PROTOCOL.md §7 states the reference hub's default limits in a table; its
//! `field` column names a `Welcome` limit (or a hub-only setting) and its `default`
//! column starts with the number. These tests hold that table, the §3.2 `Welcome`
//! example and the `Welcome` of a hub built from `HubConfig::default()` to one truth.

use super::harness::{Harness, config, hello};
use crate::hub::HubConfig;
use crate::wire::{Frame, Welcome};

const SPEC: &str = include_str!("../../../../docs/PROTOCOL.md");

/// `(field, default)` of every row of the §7 table whose field is a backticked name.
fn spec_defaults() -> Vec<(String, u64)> {
    let section = SPEC
        .split("\n## 7.")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("PROTOCOL.md has a section 7");
    let mut out = Vec::new();
    for line in section.lines().filter(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // ["", limit, field, default, flag, exceeded, ""]
        let (Some(field), Some(default)) = (cells.get(2), cells.get(3)) else {
            continue;
        };
        let Some(name) = field.strip_prefix('`').and_then(|f| f.split('`').next()) else {
            continue;
        };
        let digits: String = default.chars().take_while(char::is_ascii_digit).collect();
        let value = digits
            .parse()
            .unwrap_or_else(|_| panic!("§7 row {name}: default {default:?} is not a number"));
        out.push((name.to_owned(), value));
    }
    out
}

/// The `Welcome` a default hub sends.
fn default_welcome() -> Welcome {
    let mut h = Harness::with(config());
    let sid = h.open();
    h.send(sid, hello(1));
    match h.take(sid).as_slice() {
        [Frame::Welcome(w)] => w.clone(),
        other => panic!("expected a Welcome, got {other:?}"),
    }
}

/// The value a default hub uses for a §7 field name, from its `Welcome` or its config.
fn actual(name: &str, w: &Welcome, c: &HubConfig) -> Option<u64> {
    let l = &w.limits;
    let ms = |d: std::time::Duration| u64::try_from(d.as_millis()).ok();
    let v = match name {
        "max_frame_bytes" => l.max_frame_bytes,
        "max_rooms" => l.max_rooms,
        "rate_frames_per_sec" => l.rate_frames_per_sec,
        "rate_bytes_per_sec" => l.rate_bytes_per_sec,
        "rate_frame_burst" => l.rate_frame_burst,
        "rate_byte_burst" => l.rate_byte_burst,
        "max_payload_bytes" => l.max_payload_bytes,
        "max_presence_bytes" => l.max_presence_bytes,
        "heartbeat_timeout_ms" => l.heartbeat_timeout_ms,
        "heartbeat_ms" => w.heartbeat_ms,
        "rate_strikes_to_close" => c.rate_strikes_to_close,
        "rate_strike_window_ms" => return ms(c.rate_strike_window),
        "handshake_timeout_ms" => return ms(c.handshake_timeout),
        "max_backlog_bytes" => return u64::try_from(c.max_backlog_bytes).ok(),
        "max_user_info_bytes" => return u64::try_from(c.max_user_info_bytes).ok(),
        "max_presence_members" => return u64::try_from(c.max_presence_members).ok(),
        "presence_summary_interval_ms" => return ms(c.presence_summary_interval),
        _ => return None,
    };
    Some(u64::from(v))
}

#[test]
fn the_spec_table_states_the_defaults_of_the_welcome_a_default_hub_sends() {
    let w = default_welcome();
    let c = HubConfig::default();
    let table = spec_defaults();
    for (name, stated) in &table {
        let got = actual(name, &w, &c).unwrap_or_else(|| panic!("§7 names unknown field {name}"));
        assert_eq!(got, *stated, "§7 default of {name}");
    }
    let welcome_fields = [
        "max_frame_bytes",
        "max_rooms",
        "rate_frames_per_sec",
        "rate_bytes_per_sec",
        "rate_frame_burst",
        "rate_byte_burst",
        "max_payload_bytes",
        "max_presence_bytes",
        "heartbeat_timeout_ms",
        "heartbeat_ms",
    ];
    for f in welcome_fields {
        assert!(
            table.iter().any(|(n, _)| n == f),
            "§7 lacks a default for Welcome field {f}"
        );
    }
}

#[test]
fn the_welcome_example_shows_the_defaults() {
    let hex = SPEC
        .split("frame: Welcome")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("a Welcome example");
    let digits: String = hex
        .lines()
        .filter_map(|l| l.trim().strip_prefix("hex:"))
        .flat_map(|l| l.chars().filter(char::is_ascii_hexdigit))
        .collect();
    let bytes: Vec<u8> = (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).expect("hex"))
        .collect();
    let Ok(Frame::Welcome(example)) = Frame::decode(&bytes) else {
        panic!("the Welcome example does not decode as a Welcome");
    };
    let w = default_welcome();
    assert_eq!(example.limits, w.limits);
    assert_eq!(example.heartbeat_ms, w.heartbeat_ms);
}
