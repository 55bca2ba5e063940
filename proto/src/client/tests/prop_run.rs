//! The property-test runner: one client driven through arbitrary ops with a
//! virtual clock, every output recorded in a transcript.

use bytes::Bytes;
use core::time::Duration;

use super::harness::{HealthyHub, ME, PEER};
use super::prop_ops::{Op, config, room};
use crate::client::{
    Client, ClientError, ClientState, ConnectionId, TransportClosed, TransportCommand,
};
use crate::time::Instant;
use crate::wire::*;

/// Runs one client through the ops, recording every output.
pub struct Run {
    pub client: Client,
    pub now: Instant,
    pub transcript: Vec<String>,
    pub hold: bool,
    /// Frames sent by the client and not yet answered by `Op::Reply`.
    pub unanswered: Vec<Frame>,
    /// The connection of the latest `Open`.
    pub conn: ConnectionId,
    /// What answers `Op::Reply` (and, in the drain property, everything after).
    pub hub: HealthyHub,
}

impl Run {
    pub fn new(seed: u64) -> Self {
        let now = Instant::from_millis(5);
        let client = Client::new(config(seed), now).unwrap_or_else(|e| panic!("{e}"));
        Run {
            client,
            now,
            transcript: Vec::new(),
            hold: false,
            unanswered: Vec::new(),
            conn: ConnectionId::default(),
            hub: HealthyHub::default(),
        }
    }

    pub fn apply(&mut self, op: &Op) {
        if let Op::Hold = op {
            self.hold = true;
            return;
        }
        let r = self.command(op);
        if r.is_none() {
            self.input(op);
        }
        self.transcript.push(format!("{op:?} -> {r:?}"));
        self.drain();
    }

    /// Application commands; `None` for other ops.
    fn command(&mut self, op: &Op) -> Option<Result<(), ClientError>> {
        let (c, now) = (&mut self.client, self.now);
        Some(match op {
            Op::Join(i, g) => c.join(now, room(*i), if *g { "g" } else { "h" }),
            Op::Leave(i) => c.leave(now, &room(*i)),
            Op::Submit(i, len) => c
                .submit(now, &room(*i), Bytes::from(vec![2; usize::from(*len)]))
                .map(|_| ()),
            Op::Presence(i) => c.set_presence(now, &room(*i), Bytes::from_static(b"p")),
            _ => return None,
        })
    }

    /// Driver inputs and hub behaviour.
    fn input(&mut self, op: &Op) {
        let (c, now, conn) = (&mut self.client, self.now, self.conn);
        match op {
            Op::Connect => c.connect(now),
            Op::Close => c.close(now),
            Op::Open => c.handle_transport_open(now, conn),
            Op::Lost(code, stale) => {
                let conn = if *stale {
                    ConnectionId(conn.0.wrapping_sub(1))
                } else {
                    conn
                };
                let closed = TransportClosed {
                    code: code.map(CloseCode),
                    reason: String::new(),
                    tls: None,
                };
                c.handle_transport_closed(now, conn, closed);
            }
            Op::Advance(ms) => {
                self.now = now + Duration::from_millis(u64::from(*ms));
                c.handle_timeout(self.now);
            }
            Op::Hub(f) => c.handle_frame(now, conn, &f.encode()),
            Op::Raw(b) => c.handle_frame(now, conn, b),
            Op::Establish if c.state() == ClientState::Connected => {}
            Op::Establish => {
                if !c.state().has_transport() {
                    c.connect(now);
                }
                self.drain();
                let conn = self.conn;
                self.client.handle_transport_open(now, conn);
                self.drain();
                let welcome = super::harness::welcome(0).encode();
                self.client.handle_frame(now, conn, &welcome);
            }
            Op::Feed(i, kind, own) => {
                let pos = c
                    .room(&room(*i))
                    .and_then(|r| r.position)
                    .unwrap_or_default();
                let replica = if *own { ME } else { PEER };
                let entry = BatchEntry {
                    replica,
                    seq: 1,
                    payload: Bytes::from_static(b"e"),
                };
                let first = match kind % 4 {
                    2 => pos.offset.saturating_sub(1),
                    3 => pos.offset.saturating_add(2),
                    _ => pos.offset,
                };
                let n = if kind % 4 == 1 { 3 } else { 1 };
                let f = Frame::DeltaBatch(DeltaBatch {
                    room: room(*i),
                    crdt: "g".into(),
                    epoch: pos.epoch,
                    first_offset: first,
                    entries: vec![entry; n],
                });
                c.handle_frame(now, conn, &f.encode());
            }
            Op::Reply => {
                for f in std::mem::take(&mut self.unanswered) {
                    if let Some(reply) = self.hub.reply(&f) {
                        self.client.handle_frame(now, self.conn, &reply.encode());
                        self.drain();
                    }
                }
            }
            _ => {}
        }
    }

    pub fn drain(&mut self) {
        while let Some(b) = self.client.poll_transmit() {
            self.transcript.push(format!("tx {b:?}"));
            self.unanswered.extend(Frame::decode(&b).ok());
        }
        while let Some(t) = self.client.poll_transport() {
            self.transcript.push(format!("transport {t:?}"));
            if let TransportCommand::Open { conn } = t {
                self.conn = conn;
            }
            self.unanswered.clear();
        }
        if !std::mem::take(&mut self.hold) {
            while let Some(e) = self.client.poll_event() {
                self.transcript.push(format!("event {e:?}"));
            }
        }
        self.transcript
            .push(format!("timeout {:?}", self.client.poll_timeout()));
    }

    pub fn check(&self) -> Result<(), String> {
        self.client.check_invariants()?;
        match self.client.poll_timeout() {
            Some(t) if t < self.now => Err(format!("deadline {t:?} before now {:?}", self.now)),
            _ => Ok(()),
        }
    }
}
