//! Configuration validation and persistence (export / restore).

use bytes::Bytes;
use core::time::Duration;

use super::harness::*;
use crate::client::{
    Client, ClientConfig, ConfigError, PersistedDelta, PersistedRoom, PersistedState, RestoreError,
    RoomStatus, TransportClosed,
};
use crate::time::Instant;
use crate::wire::*;

#[test]
fn defaults_are_valid() {
    assert_eq!(ClientConfig::new(ME).validate(), Ok(()));
}

#[test]
fn nonsense_configs_are_typed_errors() {
    type Edit = fn(&mut ClientConfig);
    let cases: Vec<(Edit, ConfigError)> = vec![
        (
            |c| c.heartbeat_interval = Duration::ZERO,
            ConfigError::ZeroDuration {
                field: "heartbeat_interval",
            },
        ),
        (
            |c| c.handshake_timeout = Duration::ZERO,
            ConfigError::ZeroDuration {
                field: "handshake_timeout",
            },
        ),
        (
            |c| c.backoff_base = Duration::ZERO,
            ConfigError::ZeroDuration {
                field: "backoff_base",
            },
        ),
        (
            |c| c.heartbeat_timeout = c.heartbeat_interval,
            ConfigError::TimeoutNotAboveInterval {
                interval: Duration::from_secs(10),
                timeout: Duration::from_secs(10),
            },
        ),
        (
            |c| c.backoff_cap = Duration::from_millis(1),
            ConfigError::BackoffCapBelowBase {
                base: Duration::from_millis(500),
                cap: Duration::from_millis(1),
            },
        ),
        (
            |c| c.max_attempts = Some(0),
            ConfigError::ZeroLimit {
                field: "max_attempts",
            },
        ),
        (
            |c| c.outbox_max_deltas = 0,
            ConfigError::ZeroLimit {
                field: "outbox_max_deltas",
            },
        ),
        (
            |c| c.outbox_max_bytes = 0,
            ConfigError::ZeroLimit {
                field: "outbox_max_bytes",
            },
        ),
        (
            |c| c.max_rooms = 0,
            ConfigError::ZeroLimit { field: "max_rooms" },
        ),
        (
            |c| c.max_queued_events = 0,
            ConfigError::ZeroLimit {
                field: "max_queued_events",
            },
        ),
        (
            |c| c.max_frame_bytes = 10,
            ConfigError::FrameLimitTooSmall { got: 10, min: 256 },
        ),
        (
            |c| c.token = Some("t".repeat(MAX_TOKEN_LEN + 1)),
            ConfigError::TokenTooLong {
                len: MAX_TOKEN_LEN + 1,
                max: MAX_TOKEN_LEN,
            },
        ),
        (
            |c| c.user_info = Some(Bytes::from(vec![0; 1 << 20])),
            ConfigError::HelloTooLarge {
                size: (1 << 20) + 64,
                max: 1 << 20,
            },
        ),
    ];
    for (edit, want) in cases {
        let mut c = ClientConfig::new(ME);
        edit(&mut c);
        assert_eq!(Client::new(c, Instant::ZERO).err(), Some(want));
    }
}

#[test]
fn debug_output_redacts_the_token() {
    let s = format!("{:?}", config());
    assert!(!s.contains("secret"), "{s}");
}

#[test]
fn set_token_changes_the_next_hello_and_refuses_an_oversized_one() {
    let mut h = Harness::new(config());
    let too_long = Some("t".repeat(MAX_TOKEN_LEN + 1));
    assert!(matches!(
        h.client.set_token(too_long),
        Err(ConfigError::TokenTooLong { .. })
    ));
    assert_eq!(h.client.config().token.as_deref(), Some("secret"));
    h.client.set_token(Some("fresh".into())).unwrap();
    h.connect();
    h.open();
    let Some(Frame::Hello(hello)) = h.sent.first() else {
        panic!("expected Hello, got {:?}", h.sent);
    };
    assert_eq!(hello.token.as_deref(), Some("fresh"));
}

#[test]
fn export_and_restore_keep_outbox_sequence_and_position() {
    let mut h = Harness::joined_room(config());
    h.recv(hub_delta("r", 1, 0, PEER, 1));
    h.submit("r", b"a");
    h.submit("r", b"b");
    h.recv(ack("r", 1));
    let state = h.client.export_state();
    assert_eq!(
        state,
        PersistedState {
            rooms: vec![PersistedRoom {
                room: room("r"),
                crdt: "g".into(),
                next_seq: 3,
                position: Some(Position {
                    epoch: 1,
                    offset: 1
                }),
                outbox: vec![PersistedDelta {
                    seq: 2,
                    payload: Bytes::from_static(b"b")
                }],
            }],
        }
    );
    let c = Client::restore(config(), h.now, state.clone()).expect("restore");
    let mut h2 = Harness {
        client: c,
        now: h.now,
        sent: vec![],
        events: vec![],
        transport: vec![],
        conn: Default::default(),
    };
    assert_eq!(
        h2.client.room(&room("r")).map(|r| r.status),
        Some(RoomStatus::Pending)
    );
    assert_eq!(h2.client.export_state(), state);
    h2.connect();
    h2.recv(welcome(0));
    assert!(h2.sent.contains(&Frame::Join(Join {
        room: room("r"),
        crdt: "g".into(),
        resume: Some(Position {
            epoch: 1,
            offset: 1
        }),
    })));
    // The hub holds seq 2 already (sent before the restart): it is acked, not renumbered.
    h2.recv(joined("r", 1, 1, 1, 2));
    assert_eq!(h2.client.outbox_len(), 0);
    assert_eq!(h2.submit("r", b"c"), 3);
    h2.lost(TransportClosed::failed("x"));
}

#[test]
fn restore_refuses_inconsistent_state() {
    let good = PersistedRoom {
        room: room("r"),
        crdt: "g".into(),
        next_seq: 5,
        position: None,
        outbox: vec![
            PersistedDelta {
                seq: 2,
                payload: Bytes::from_static(b"x"),
            },
            PersistedDelta {
                seq: 4,
                payload: Bytes::from_static(b"y"),
            },
        ],
    };
    let restore = |rooms: Vec<PersistedRoom>, c: ClientConfig| {
        Client::restore(c, Instant::ZERO, PersistedState { rooms }).err()
    };
    assert_eq!(restore(vec![good.clone()], config()), None);
    // A state saved with a gap (by an older version) is closed up below its last
    // sequence, so the queue is consecutive again.
    let c = Client::restore(
        config(),
        Instant::ZERO,
        PersistedState {
            rooms: vec![good.clone()],
        },
    )
    .expect("restore");
    let seqs: Vec<u64> = c.export_state().rooms[0]
        .outbox
        .iter()
        .map(|d| d.seq)
        .collect();
    assert_eq!(seqs, vec![3, 4]);
    assert_eq!(c.export_state().rooms[0].next_seq, 5);
    assert_eq!(c.check_invariants(), Ok(()));
    let mut bad = good.clone();
    bad.next_seq = 4;
    assert_eq!(
        restore(vec![bad], config()),
        Some(RestoreError::BadSequence(room("r")))
    );
    let mut bad = good.clone();
    bad.outbox.reverse();
    assert_eq!(
        restore(vec![bad], config()),
        Some(RestoreError::BadSequence(room("r")))
    );
    assert!(matches!(
        restore(vec![good.clone(), good.clone()], config()),
        Some(RestoreError::Room(_))
    ));
    let mut small = config();
    small.outbox_max_deltas = 1;
    assert_eq!(
        restore(vec![good.clone()], small),
        Some(RestoreError::OutboxTooLarge)
    );
    let mut bad_cfg = config();
    bad_cfg.max_rooms = 0;
    assert!(matches!(
        restore(vec![], bad_cfg),
        Some(RestoreError::Config(_))
    ));
}

#[test]
fn duration_errors_print_milliseconds_with_microsecond_digits() {
    let e = ConfigError::BackoffCapBelowBase {
        base: Duration::from_millis(500),
        cap: Duration::from_micros(1_500),
    };
    assert_eq!(
        e.to_string(),
        "backoff_cap 1.500 ms is below backoff_base 500.000 ms"
    );
    let e = ConfigError::TimeoutNotAboveInterval {
        interval: Duration::from_secs(10),
        timeout: Duration::new(3, 7_000),
    };
    assert_eq!(
        e.to_string(),
        "heartbeat_timeout 3000.007 ms must exceed heartbeat_interval 10000.000 ms"
    );
}
