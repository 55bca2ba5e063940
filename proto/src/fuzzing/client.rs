//! Fuzz body for the client session: the input is a program of driver inputs
//! (raw and structured hub frames, transport opens and closes, reports about stale
//! connections, timeouts with arbitrary time steps, time going backwards) and
//! application commands (connect, close, join, submit, presence, leave, a stalled
//! application, export + restore). After every step the outputs are drained and
//! checked by [`Checker`](super::client_check::Checker), and the bounded exits
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
use crate::client::{Client, ClientConfig, ConnectionId, TransportClosed, TransportCommand};
use crate::crdt::NoMerge;
use crate::time::Instant;
use crate::wire::CloseCode;

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

struct Driver {
    client: Client,
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
            0 => self.client.connect(now),
            1 => self.client.close(now),
            2 | 3 => self.client.handle_transport_open(now, self.conn),
            4 => {
                let closed = match input.below(4) {
                    0 => TransportClosed::failed("io"),
                    1 => TransportClosed::closed(CloseCode::GOING_AWAY, ""),
                    2 => TransportClosed::closed(CloseCode(input.u16()), "x"),
                    _ => TransportClosed::closed(CloseCode::UNAUTHORIZED, ""),
                };
                self.client.handle_transport_closed(now, self.conn, closed);
            }
            5 => {
                let bytes = input.bytes(512).to_vec();
                self.client.handle_frame(now, self.conn, &bytes);
            }
            6..=9 => {
                let bytes = self.model.frame(input);
                self.client.handle_frame(now, self.conn, &bytes);
            }
            10 => {
                if let Some(deadline) = self.client.poll_timeout() {
                    self.now = deadline.max(now);
                }
                self.client.handle_timeout(self.now);
            }
            11 => {
                self.now = now.saturating_add(step(input));
                self.client.handle_timeout(self.now);
            }
            12 => {
                let room = input.pick(&rooms).unwrap_or_else(|| rooms[0].clone());
                let tag = input.pick(TAGS).unwrap_or("gcounter");
                let _ = self.client.join(now, room, tag);
            }
            13 => {
                let room = input.pick(&rooms).unwrap_or_else(|| rooms[0].clone());
                let payload = Bytes::copy_from_slice(input.bytes(300));
                if let Ok(seq) = self.client.submit(now, &room, payload) {
                    self.check.submitted(&room, seq);
                }
            }
            14 => {
                let room = input.pick(&rooms).unwrap_or_else(|| rooms[0].clone());
                let state = Bytes::copy_from_slice(input.bytes(300));
                let _ = self.client.set_presence(now, &room, state);
            }
            15 => {
                let room = input.pick(&rooms).unwrap_or_else(|| rooms[0].clone());
                self.check.drain_events(&mut self.client);
                if self.client.leave(now, &room).is_ok() {
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
                    self.client
                        .handle_frame(now, stale, &self.model.frame(input));
                }
                2 => {
                    // Time going backwards is clamped by the client.
                    let back = u64::try_from(step(input).as_micros()).unwrap_or(u64::MAX);
                    let back = Instant::from_micros(now.as_micros().saturating_sub(back));
                    self.client.handle_timeout(back);
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
                self.client.handle_frame(self.now, self.conn, &bytes);
            }
        }
        Some(self.now)
    }

    /// Exports the state and restores a new client from it (an app restart).
    fn restore(&mut self) {
        self.check.drain_events(&mut self.client);
        let state = self.client.export_state();
        let restored = Client::restore(self.config.clone(), self.now, state);
        let restored = restored.unwrap_or_else(|e| panic!("exported state must restore: {e}"));
        self.client = restored;
        self.check.restarted();
        self.waits.restarted();
    }

    fn drain(&mut self, given: Option<Instant>) {
        if let Some(now) = given {
            self.waits.input(now);
        }
        while let Some(frame) = self.client.poll_transmit() {
            if let Some(f) = self.check.transmitted(&self.client, &frame) {
                self.model.observe(&f);
            }
        }
        let mut commands = 0;
        while let Some(cmd) = self.client.poll_transport() {
            commands += 1;
            assert!(commands <= 2, "more than Close + Open queued");
            if let TransportCommand::Open { conn } = cmd {
                self.conn = conn;
            }
        }
        if !self.check.stalled {
            self.check.drain_events(&mut self.client);
        }
        self.check.after_step(&self.client, self.waits.latest());
        self.waits.after_step(&self.client);
    }
}

/// Runs the client session program in `data`; panics on a violated invariant.
pub fn client_session(data: &[u8]) {
    let mut input = Input::new(data);
    let config = config(input.byte());
    let Ok(client) = Client::new(config.clone(), Instant::ZERO) else {
        return;
    };
    let mut d = Driver {
        client,
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
    d.check.finish(&d.client);
}
