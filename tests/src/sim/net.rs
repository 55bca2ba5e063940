//! Virtual connections: latency with jitter, per-direction FIFO order (as a
//! WebSocket over TCP keeps it), held traffic during partitions, throttled
//! downstream for slow consumers, and breaking.
//!
//! The network only computes *when* a message arrives; the world schedules the
//! arrival and decides, on arrival, whether the receiving side still owns the
//! connection.

use std::collections::BTreeMap;

use core::time::Duration;
use syncwire_proto::Instant;
use syncwire_proto::client::ConnectionId;
use syncwire_proto::rng::Rng;
use syncwire_proto::wire::SessionId;

/// Names one virtual connection.
pub type ConnId = u64;

/// Who dialled a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peer {
    /// A simulated client, by index.
    Client(usize),
    /// A misbehaving connection, by index.
    Rogue(usize),
    /// A connection of a client process that crashed: nobody reads its end.
    Gone,
}

/// One connection's state.
#[derive(Clone, Debug)]
pub struct Conn {
    /// The dialling side.
    pub peer: Peer,
    /// The client session's id for it (unused for rogues).
    pub client_conn: ConnectionId,
    /// The hub's session id, once the hub accepted it.
    pub session: Option<SessionId>,
    /// The hub incarnation that accepted it.
    pub hub_incarnation: u64,
    /// The hub node it dialled (always 0 with one node).
    pub node: usize,
    /// Whether the hub side is gone (closed by the hub, reported closed, or broken).
    pub hub_gone: bool,
    /// Broken by a fault: nothing in flight on it arrives any more.
    pub broken: bool,
    /// Latest scheduled arrival towards the hub (FIFO).
    last_up: Instant,
    /// Latest scheduled arrival towards the client (FIFO).
    last_down: Instant,
}

/// Every connection ever opened (bounded by the run's length) and the latency model.
#[derive(Debug)]
pub struct Net {
    conns: BTreeMap<ConnId, Conn>,
    next: ConnId,
    latency: Duration,
    jitter: Duration,
}

impl Net {
    /// A network with this one-way latency and maximum jitter.
    pub fn new(latency: Duration, jitter: Duration) -> Net {
        Net {
            conns: BTreeMap::new(),
            next: 1,
            latency,
            jitter,
        }
    }

    /// A new connection dialled by `peer`.
    pub fn open(&mut self, peer: Peer, client_conn: ConnectionId) -> ConnId {
        let id = self.next;
        self.next += 1;
        let conn = Conn {
            peer,
            client_conn,
            session: None,
            hub_incarnation: 0,
            node: 0,
            hub_gone: false,
            broken: false,
            last_up: Instant::ZERO,
            last_down: Instant::ZERO,
        };
        self.conns.insert(id, conn);
        id
    }

    /// The connection, if known.
    pub fn get(&self, id: ConnId) -> Option<&Conn> {
        self.conns.get(&id)
    }

    /// The connection, if known.
    pub fn get_mut(&mut self, id: ConnId) -> Option<&mut Conn> {
        self.conns.get_mut(&id)
    }

    /// Client `i`'s process died: its connections no longer reach it (or its successor).
    pub fn orphan_client(&mut self, i: usize) {
        for c in self.conns.values_mut() {
            if c.peer == Peer::Client(i) {
                c.peer = Peer::Gone;
            }
        }
    }

    /// Forgets a connection neither side uses any more.
    pub fn forget(&mut self, id: ConnId) {
        self.conns.remove(&id);
    }

    /// Connections whose hub side is still up.
    pub fn live(&self) -> impl Iterator<Item = (ConnId, &Conn)> {
        self.conns
            .iter()
            .filter(|(_, c)| !c.hub_gone)
            .map(|(i, c)| (*i, c))
    }

    /// One latency sample.
    pub fn delay(&self, rng: &mut Rng) -> Duration {
        let j = u64::try_from(self.jitter.as_micros()).unwrap_or(0);
        self.latency + Duration::from_micros(rng.below_inclusive(j))
    }

    /// Arrival time at the hub of a message sent now; `held` delays it past a partition.
    pub fn up(
        &mut self,
        id: ConnId,
        now: Instant,
        rng: &mut Rng,
        held: Option<Instant>,
    ) -> Instant {
        let base = held.map_or(now, |h| h.max(now));
        let t = base + self.delay(rng);
        let Some(c) = self.conns.get_mut(&id) else {
            return t;
        };
        c.last_up = c.last_up.max(t);
        c.last_up
    }

    /// Arrival time at the client of `size` bytes sent now, behind earlier messages;
    /// `held` delays past a partition, `bandwidth` (bytes/s) throttles.
    pub fn down(
        &mut self,
        id: ConnId,
        now: Instant,
        rng: &mut Rng,
        held: Option<Instant>,
        size: usize,
        bandwidth: Option<u64>,
    ) -> Instant {
        let base = held.map_or(now, |h| h.max(now));
        let mut t = base + self.delay(rng);
        let Some(c) = self.conns.get_mut(&id) else {
            return t;
        };
        if let Some(bw) = bandwidth {
            let transfer = Duration::from_micros(size as u64 * 1_000_000 / bw.max(1));
            t = t.max(c.last_down + transfer);
        }
        c.last_down = c.last_down.max(t);
        c.last_down
    }
}
