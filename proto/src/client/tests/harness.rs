//! A small harness that plays the hub by hand: it drives one [`Client`] with a
//! virtual clock, drains every output after each input (checking invariants and
//! the deadline rule each time) and records what came out, decoded.

use bytes::Bytes;
use core::time::Duration;

use crate::client::{
    Client, ClientConfig, ClientEvent, ClientState, ConnectionId, TransportClosed, TransportCommand,
};
use crate::time::Instant;
use crate::wire::*;

pub const ME: ReplicaId = ReplicaId(7);
pub const PEER: ReplicaId = ReplicaId(9);

/// The configuration used by tests: defaults with a fixed seed.
pub fn config() -> ClientConfig {
    let mut c = ClientConfig::new(ME);
    c.seed = 42;
    c.token = Some("secret".into());
    c
}

pub use super::frames::*;

/// A client with a virtual clock and recorded outputs.
pub struct Harness {
    pub client: Client,
    pub now: Instant,
    pub sent: Vec<Frame>,
    pub events: Vec<ClientEvent>,
    pub transport: Vec<TransportCommand>,
    /// The connection of the latest `Open`.
    pub conn: ConnectionId,
}

impl Harness {
    pub fn new(config: ClientConfig) -> Self {
        let now = Instant::from_millis(1_000);
        let client = Client::new(config, now).expect("valid test config");
        Harness {
            client,
            now,
            sent: Vec::new(),
            events: Vec::new(),
            transport: Vec::new(),
            conn: ConnectionId::default(),
        }
    }

    /// A client that went through connect, open, Hello and Welcome; logs cleared.
    pub fn connected(config: ClientConfig) -> Self {
        let mut h = Harness::new(config);
        h.connect();
        h.recv(welcome(0));
        assert_eq!(h.client.state(), ClientState::Connected);
        h.clear();
        h
    }

    /// Connected and joined to room "r" at epoch 1, offset 0; logs cleared.
    pub fn joined_room(config: ClientConfig) -> Self {
        let mut h = Harness::connected(config);
        h.client.join(h.now, room("r"), "g").expect("join");
        h.drain();
        h.recv(joined("r", 1, 0, 0, 0));
        h.clear();
        h
    }

    /// Drains every output, checking invariants and the deadline rule.
    pub fn drain(&mut self) {
        loop {
            let mut busy = false;
            while let Some(b) = self.client.poll_transmit() {
                busy = true;
                self.sent
                    .push(Frame::decode(&b).expect("client frames decode"));
            }
            while let Some(c) = self.client.poll_transport() {
                busy = true;
                if let TransportCommand::Open { conn } = c {
                    self.conn = conn;
                }
                self.transport.push(c);
            }
            while let Some(e) = self.client.poll_event() {
                busy = true;
                self.events.push(e);
            }
            if !busy {
                break;
            }
        }
        self.check();
    }

    pub fn check(&self) {
        if let Err(e) = self.client.check_invariants() {
            panic!("invariant violated: {e}");
        }
        if let Some(t) = self.client.poll_timeout() {
            assert!(t >= self.now, "deadline {t:?} before now {:?}", self.now);
        }
    }

    pub fn clear(&mut self) {
        self.sent.clear();
        self.events.clear();
        self.transport.clear();
    }

    /// `connect`, then open the transport: leaves the client `Handshaking` with
    /// its `Hello` in `sent`.
    pub fn connect(&mut self) {
        self.client.connect(self.now);
        self.drain();
        assert!(matches!(
            self.transport.last(),
            Some(TransportCommand::Open { .. })
        ));
        self.open();
    }

    pub fn open(&mut self) {
        self.client.handle_transport_open(self.now, self.conn);
        self.drain();
    }

    pub fn recv(&mut self, frame: Frame) {
        let bytes = frame.encode();
        self.recv_bytes(&bytes);
    }

    pub fn recv_bytes(&mut self, bytes: &[u8]) {
        self.client.handle_frame(self.now, self.conn, bytes);
        self.drain();
    }

    pub fn lost(&mut self, closed: TransportClosed) {
        self.client
            .handle_transport_closed(self.now, self.conn, closed);
        self.drain();
    }

    /// Moves the clock forward and fires due timers.
    pub fn advance(&mut self, d: Duration) {
        self.now = self.now + d;
        self.client.handle_timeout(self.now);
        self.drain();
    }

    /// Moves the clock to the next deadline and fires it; returns the wait.
    pub fn next_deadline(&mut self) -> Option<Duration> {
        let t = self.client.poll_timeout()?;
        let waited = t - self.now;
        self.now = t;
        self.client.handle_timeout(t);
        self.drain();
        Some(waited)
    }

    /// The `to` states of recorded `StateChanged` events.
    pub fn states(&self) -> Vec<ClientState> {
        self.events
            .iter()
            .filter_map(|e| match e {
                ClientEvent::StateChanged { to, .. } => Some(*to),
                _ => None,
            })
            .collect()
    }

    /// Recorded events other than state changes.
    pub fn app_events(&self) -> Vec<ClientEvent> {
        self.events
            .iter()
            .filter(|e| !matches!(e, ClientEvent::StateChanged { .. }))
            .cloned()
            .collect()
    }

    /// Sequence numbers of `ClientDelta` frames sent, in order.
    pub fn sent_seqs(&self) -> Vec<u64> {
        self.sent
            .iter()
            .filter_map(|f| match f {
                Frame::ClientDelta(d) => Some(d.seq),
                _ => None,
            })
            .collect()
    }

    /// Payloads of delivered `Delta` events, in order.
    pub fn delivered(&self) -> Vec<u64> {
        self.events
            .iter()
            .filter_map(|e| match e {
                ClientEvent::Delta { offset, .. } => Some(*offset),
                _ => None,
            })
            .collect()
    }

    pub fn submit(&mut self, name: &str, payload: &'static [u8]) -> u64 {
        let seq = self
            .client
            .submit(self.now, &room(name), Bytes::from_static(payload));
        self.drain();
        seq.expect("submit")
    }
}

/// A hub that accepts everything: welcomes, joins at the resume position,
/// acknowledges every delta, answers pings. Used to drive a client to quiescence.
pub fn healthy_reply(frame: &Frame) -> Option<Frame> {
    match frame {
        Frame::Hello(_) => Some(welcome(0)),
        Frame::Join(j) => {
            let pos = j.resume.unwrap_or(Position {
                epoch: 1,
                offset: 0,
            });
            Some(Frame::Joined(Joined {
                room: j.room.clone(),
                crdt: j.crdt.clone(),
                epoch: pos.epoch,
                start: pos.offset,
                head: pos.offset,
                acked_seq: 0,
                writable: true,
                resync: false,
                snapshot: None,
            }))
        }
        Frame::ClientDelta(d) => Some(ack(d.room.as_str(), d.seq)),
        Frame::Ping { nonce } => Some(Frame::Pong { nonce: *nonce }),
        _ => None,
    }
}

/// A healthy hub that keeps the sequence rule (PROTOCOL.md §8.1): per room it
/// accepts only the next sequence number, re-acknowledges duplicates, refuses a gap
/// with `seq_gap`, and answers a join with the highest sequence it accepted.
/// Everything else is answered as [`healthy_reply`] does.
#[derive(Debug, Default)]
pub struct HealthyHub {
    accepted: std::collections::BTreeMap<RoomId, u64>,
}

impl HealthyHub {
    /// The hub's answer to `frame`, if it sends one.
    pub fn reply(&mut self, frame: &Frame) -> Option<Frame> {
        match frame {
            Frame::ClientDelta(d) => {
                let accepted = self.accepted.entry(d.room.clone()).or_default();
                if d.seq > accepted.saturating_add(1) {
                    return Some(Frame::Reject(Reject {
                        code: ErrorCode::SEQ_GAP,
                        room: Some(d.room.clone()),
                        seq: Some(d.seq),
                        message: "seq gap".into(),
                    }));
                }
                *accepted = (*accepted).max(d.seq);
                Some(ack(d.room.as_str(), d.seq))
            }
            Frame::Join(j) => {
                let mut reply = healthy_reply(frame)?;
                if let Frame::Joined(joined) = &mut reply {
                    joined.acked_seq = self.accepted.get(&j.room).copied().unwrap_or(0);
                }
                Some(reply)
            }
            _ => healthy_reply(frame),
        }
    }
}
