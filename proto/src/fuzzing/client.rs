//! Fuzz body for the client side, driven through the [`Replica`] every driver runs
//! (client session, documents, join gate): the input is a program of driver inputs
//! (raw and structured hub frames, transport opens and closes, reports about stale
//! connections, timeouts with arbitrary time steps, time going backwards) and
//! application commands (connect, close, join, local operations — of any size,
//! held back by the gate or not —, presence, leave, a stalled driver that polls
//! nothing, export + restore). After every step the outputs are polled
//! ([`Replica::poll_output`]) and checked by
//! [`Checker`](super::client_check::Checker), and the bounded exits
//! by [`Waits`](super::client_liveness::Waits): a client whose transport goes
//! silent leaves `Connecting`/`Handshaking` within `handshake_timeout`, a room
//! the hub never answers leaves `Joining` within `join_timeout`.

use core::time::Duration;
use std::sync::Arc;

use bytes::Bytes;

use super::client_check::Checker;
use super::client_frames::{HubModel, OWN, TAGS, rooms};
use super::client_liveness::Waits;
use super::reader::Input;
use crate::client::{ClientConfig, ConnectionId, TransportClosed, TransportCommand};
use crate::crdt::{AnyOp, GCounterOp, LwwOp, NoMerge, OrSetOp, Registry, Value};
use crate::replica::{Applied, Output, Replica, ReplicaOrigin};
use crate::time::Instant;
use crate::wire::{CloseCode, RoomId};

/// Most steps per input, so every input runs in bounded time.
const MAX_STEPS: usize = 2_000;

/// A configuration chosen by the first input byte: small bounds make limits bite.
fn config(flags: u8) -> ClientConfig {
    let mut c = ClientConfig::new(OWN);
    c.seed = u64::from(flags);
    if flags & 1 != 0 {
        c.merger = Arc::new(NoMerge);
    }
    if flags & 2 != 0 {
        c.outbox_max_deltas = 3;
        c.outbox_max_bytes = 64;
    }
    if flags & 4 != 0 {
        c.max_queued_events = 3;
    }
    if flags & 8 != 0 {
        c.max_attempts = Some(2);
    }
    if flags & 16 != 0 {
        c.max_frame_bytes = crate::client::MIN_FRAME_BYTES;
    }
    if flags & 32 != 0 {
        c.max_rooms = 2;
    }
    if flags & 64 != 0 {
        c.user_info = Some(Bytes::from_static(b"fuzz"));
    }
    c
}

/// A time step: from a microsecond to hours, biased towards the client's timeouts.
fn step(input: &mut Input<'_>) -> Duration {
    match input.below(8) {
        0 => Duration::from_micros(1),
        1 => Duration::from_millis(100),
        2 => Duration::from_secs(1),
        3 => Duration::from_secs(10),
        4 => Duration::from_secs(31),
        5 => Duration::from_millis(u64::from(input.u16())),
        6 => Duration::from_secs(u64::from(input.u16())),
        _ => Duration::from_micros(input.u64() >> 8),
    }
}

/// A local operation for a room of type `tag` (of any size: a long text value
/// can exceed the frame limit).
fn op(tag: &str, input: &mut Input<'_>) -> AnyOp {
    let text = Value::Text(String::from_utf8_lossy(input.bytes(300)).into_owned());
    match tag {
        "lww" => AnyOp::Lww(LwwOp::Set(text)),
        "orset" if input.below(2) == 0 => AnyOp::OrSet(OrSetOp::Remove(text)),
        "orset" => AnyOp::OrSet(OrSetOp::Add(text)),
        _ => AnyOp::GCounter(GCounterOp::Increment(u64::from(input.u16()))),
    }
}

struct Driver {
    replica: Replica,
    registry: Registry,
    config: ClientConfig,
    now: Instant,
    /// The last connection the client asked to open.
    conn: ConnectionId,
    model: HubModel,
    check: Checker,
    waits: Waits,
}

impl Driver {
    /// One step; returns the `now` it gave the client, if it gave one.
    fn step(&mut self, input: &mut Input<'_>) -> Option<Instant> {
        let rooms = rooms();
        let now = self.now;
        match input.below(18) {
            0 => self.replica.connect(now),
            1 => self.replica.close(now),
            2 | 3 => self.replica.handle_transport_open(now, self.conn),
            4 => {
                let closed = match input.below(4) {
                    0 => TransportClosed::failed("io"),
                    1 => TransportClosed::closed(CloseCode::GOING_AWAY, ""),
                    2 => TransportClosed::closed(CloseCode(input.u16()), "x"),
                    _ => TransportClosed::closed(CloseCode::UNAUTHORIZED, ""),
                };
                self.replica.handle_transport_closed(now, self.conn, closed);
            }
            5 => {
                let bytes = input.bytes(512).to_vec();
                self.replica.handle_frame(now, self.conn, &bytes);
            }
            6..=9 => {
                let bytes = self.model.frame(input);
                self.replica.handle_frame(now, self.conn, &bytes);
            }
            10 => {
                if let Some(deadline) = self.replica.poll_timeout() {
                    self.now = deadline.max(now);
                }
                self.replica.handle_timeout(self.now);
            }
            11 => {
                self.now = now.saturating_add(step(input));
                self.replica.handle_timeout(self.now);
            }
            12 => {
                let room = input.pick(&rooms).unwrap_or_else(|| rooms[0].clone());
                let tag = input.pick(TAGS).unwrap_or("gcounter");
                let _ = self.replica.join_tag(now, room, tag, &self.registry);
            }
            13 => {
                let room = input.pick(&rooms).unwrap_or_else(|| rooms[0].clone());
                self.local_op(now, &room, input);
            }
            14 => {
                let room = input.pick(&rooms).unwrap_or_else(|| rooms[0].clone());
                let state = Bytes::copy_from_slice(input.bytes(300));
                let _ = self.replica.set_presence(now, &room, state);
            }
            15 => {
                let room = input.pick(&rooms).unwrap_or_else(|| rooms[0].clone());
                self.poll_all();
                if self.replica.leave(now, &room).is_ok() {
                    self.check.left(&room);
                }
            }
            16 => match input.below(4) {
                0 => {
                    self.check.stalled = !self.check.stalled;
                    return None;
                }
                1 => {
                    // A report about a connection the session already gave up.
                    let stale = ConnectionId(self.conn.0.wrapping_sub(1));
                    self.replica
                        .handle_frame(now, stale, &self.model.frame(input));
                }
                2 => {
                    // Time going backwards is clamped by the client.
                    let back = u64::try_from(step(input).as_micros()).unwrap_or(u64::MAX);
                    let back = Instant::from_micros(now.as_micros().saturating_sub(back));
                    self.replica.handle_timeout(back);
                    return Some(back);
                }
                _ => {
                    self.restore();
                    return Some(self.now);
                }
            },
            _ => {
                self.now = now.saturating_add(step(input));
                let bytes = self.model.frame(input);
                self.replica.handle_frame(self.now, self.conn, &bytes);
            }
        }
        Some(self.now)
    }

    /// A local operation through the replica's one local path.
    fn local_op(&mut self, now: Instant, room: &RoomId, input: &mut Input<'_>) {
        let tag = self.replica.document(room).map_or("gcounter", |d| d.tag());
        let doc_before = self.replica.document(room).map(|d| d.encode_state());
        let outbox_before = self.replica.client().outbox_len();
        match self
            .replica
            .apply_any(now, now.as_micros() / 1000, room, op(tag, input))
        {
            Ok(Applied::Submitted { .. } | Applied::Waiting) => self.check.submitted(room),
            Err(_) => {
                // A refused operation changes nothing.
                let doc_after = self.replica.document(room).map(|d| d.encode_state());
                assert_eq!(
                    doc_before, doc_after,
                    "refused operation changed the document"
                );
                assert_eq!(outbox_before, self.replica.client().outbox_len());
            }
        }
    }

    /// Polls every output (a driver that is not stalled).
    fn poll_all(&mut self) {
        let mut commands = 0;
        while let Some(output) = self.replica.poll_output() {
            match output {
                Output::Transmit(frame) => {
                    if let Some(f) = self.check.transmitted(self.replica.client(), &frame) {
                        self.model.observe(&f);
                    }
                }
                Output::Transport(cmd) => {
                    commands += 1;
                    assert!(commands <= 2, "more than Close + Open queued");
                    if let TransportCommand::Open { conn } = cmd {
                        self.conn = conn;
                    }
                }
                Output::Event(event) => {
                    let dropped = self.replica.client().metrics().events_dropped > 0;
                    self.check.event(event, dropped);
                }
            }
        }
    }

    /// Exports the state and restores a new replica from it (an app restart).
    fn restore(&mut self) {
        self.poll_all();
        let saved = self.replica.export();
        let restored = Replica::restore(self.config.clone(), self.now, saved, &self.registry);
        let restored = restored.unwrap_or_else(|e| panic!("exported state must restore: {e}"));
        self.replica = restored;
        self.check.restarted();
        self.waits.restarted();
    }

    fn drain(&mut self, given: Option<Instant>) {
        if let Some(now) = given {
            self.waits.input(now);
        }
        if !self.check.stalled {
            self.poll_all();
        }
        self.check.after_step(&self.replica, self.waits.latest());
        self.waits.after_step(self.replica.client());
    }
}

/// Runs the client session program in `data`; panics on a violated invariant.
pub fn client_session(data: &[u8]) {
    let mut input = Input::new(data);
    let flags = input.byte();
    let config = config(flags);
    let origin = if flags & 128 != 0 {
        ReplicaOrigin::Fresh
    } else {
        ReplicaOrigin::Chosen
    };
    let Ok(replica) = Replica::new(config.clone(), Instant::ZERO, origin) else {
        return;
    };
    let mut d = Driver {
        replica,
        registry: Registry::with_builtin(),
        config,
        now: Instant::ZERO,
        conn: ConnectionId::default(),
        model: HubModel::default(),
        check: Checker::default(),
        waits: Waits::default(),
    };
    d.waits.input(Instant::ZERO);
    let mut steps = 0;
    while !input.is_empty() && steps < MAX_STEPS {
        let given = d.step(&mut input);
        d.drain(given);
        steps += 1;
    }
    d.check.stalled = false;
    d.drain(None);
    d.check.finish(d.replica.client());
}
