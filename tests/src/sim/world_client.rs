//! Client-side handlers of the world: draining a client's one output queue,
//! transport results, frames and closes reaching the client, timers, and the
//! workload (local operations, presence, leaves and joins).

use bytes::Bytes;
use syncwire_proto::client::{
    ClientError, ClientEvent, ClientState, ConnectionId, SessionError, TransportClosed,
    TransportCommand,
};
use syncwire_proto::replica::{Applied, Output, ReplicaError};
use syncwire_proto::wire::{CloseCode, RoomId};

use super::net::{ConnId, Peer};
use super::workload::random_op;
use super::world::{Ev, World};
use crate::check;
use crate::transcript::describe;

/// How much later a re-sent delta reaches the hub after its first copy.
const RESEND_AFTER: core::time::Duration = core::time::Duration::from_millis(300);

impl World {
    pub(crate) fn who(i: usize) -> String {
        format!("c{i}")
    }

    /// Joins `room` on client `i`.
    pub(crate) fn join(&mut self, i: usize, room: RoomId, crdt: &'static str) {
        let now = self.clients[i].local(self.now);
        let c = &mut self.clients[i];
        if c.app.document(&room).is_some() {
            return;
        }
        match c.app.join_tag(now, room.clone(), crdt, &self.registry) {
            Ok(()) => {
                c.opened(room.clone());
                self.transcript
                    .note(self.now, &Self::who(i), || format!("join {room:?}"));
            }
            Err(e) => self.violate("client_error", format!("c{i} join {room:?}: {e}")),
        }
    }

    /// Drains client `i` (its one output queue, until quiet; events are recorded
    /// for the checkers), checks its invariants and re-arms its wake-up.
    pub(crate) fn drain_client(&mut self, i: usize) {
        loop {
            while let Some(output) = self.clients[i].app.poll_output() {
                match output {
                    Output::Transmit(frame) => self.client_send(i, frame),
                    Output::Transport(cmd) => self.client_transport(i, cmd),
                    Output::Event(ev) => self.client_event(i, ev),
                }
            }
            if !self.take_over_if_replaced(i) {
                break;
            }
        }
        self.clients[i].drained();
        if let Err(e) = self.clients[i].app.client().check_invariants() {
            self.violate("client_invariant", format!("c{i}: {e}"));
        }
        let max = self.clients[i].app.client().config().outbox_max_deltas;
        let n = self.clients[i].app.client().outbox_len();
        let waiting = self.clients[i].app.waiting_ops();
        if n > max || waiting > max {
            let detail = format!("c{i} outbox {n}, waiting {waiting} > {max}");
            self.violate("queue_bound", detail);
        }
        let c = &self.clients[i];
        if let Some(deadline) = c.app.poll_timeout() {
            let at = c.global(deadline).max(self.now);
            if self.wakes[i].is_none_or(|w| w > at || w < self.now) {
                self.wakes[i] = Some(at);
                self.schedule(at, Ev::ClientWake(i));
            }
        }
    }

    fn client_event(&mut self, i: usize, ev: ClientEvent) {
        self.transcript
            .note(self.now, &Self::who(i), || format!("event {ev:?}"));
        if let ClientEvent::Error(SessionError::Rejected { seq: Some(_), .. }) = &ev {
            self.stats.delta_refusals += 1;
        }
        let cov = &mut self.stats.coverage;
        match &ev {
            ClientEvent::DeltaAcked { .. } => cov.acks += 1,
            ClientEvent::Delta { .. } => cov.deliveries += 1,
            ClientEvent::Resync { .. } => cov.resyncs += 1,
            ClientEvent::CaughtUp { .. } => cov.caught_up += 1,
            ClientEvent::Error(SessionError::Rejected { code, .. })
            | ClientEvent::DeltaRejected { code, .. }
            | ClientEvent::JoinRejected { code, .. } => {
                *cov.refusals
                    .entry(code.name().unwrap_or("unknown"))
                    .or_default() += 1;
            }
            _ => {}
        }
        if let ClientEvent::Error(SessionError::Rejected { code, message, .. }) = &ev {
            let storage_faults = self.scenario.faults.storage_faults > 0;
            let v = check::check_internal_refusal(self.now, i, *code, message, storage_faults);
            self.report(v);
        }
        if matches!(ev, ClientEvent::DeltaRejected { .. }) {
            self.stats.coverage.withdrawn += 1;
        }
        let expected = self.refusal_expected(i, &ev);
        let c = &mut self.clients[i];
        c.record(
            self.now,
            &ev,
            expected,
            &mut self.history,
            &mut self.violations,
        );
    }

    fn client_send(&mut self, i: usize, frame: Bytes) {
        let Some(conn) = self.clients[i].conn else {
            self.violate(
                "client_protocol",
                format!("c{i} transmits without a connection"),
            );
            return;
        };
        self.transcript.note(self.now, &Self::who(i), || {
            format!("-> {}", describe(&frame))
        });
        let held = self.clients[i].held(self.now);
        let at = self.net.up(conn, self.now, &mut self.rng, held);
        // `[7, ...]` of six elements: a `ClientDelta` (PROTOCOL.md §3.7).
        if frame.starts_with(&[0x86, 0x07]) && self.resend_next.remove(&i) {
            self.schedule(at + RESEND_AFTER, Ev::ToHub(conn, frame.clone()));
        }
        self.schedule(at, Ev::ToHub(conn, frame));
    }

    fn client_transport(&mut self, i: usize, cmd: TransportCommand) {
        self.transcript
            .note(self.now, &Self::who(i), || format!("transport {cmd:?}"));
        match cmd {
            TransportCommand::Open { conn: id } => {
                let conn = self.net.open(Peer::Client(i), id);
                let node = self.dial_node(i);
                if let Some(c) = self.net.get_mut(conn) {
                    c.node = node;
                }
                self.stats.connections += 1;
                self.clients[i].conn = Some(conn);
                let at = self.now + self.net.delay(&mut self.rng) * 2;
                self.schedule(at, Ev::ConnectDone(conn));
            }
            TransportCommand::Close { .. } => {
                if let Some(conn) = self.clients[i].conn.take() {
                    let held = self.clients[i].held(self.now);
                    let at = self.net.up(conn, self.now, &mut self.rng, held);
                    self.schedule(at, Ev::ClientClosed(conn));
                }
            }
        }
    }

    /// Client `i` owns `conn` as its current connection.
    pub(crate) fn owner(&self, conn: ConnId) -> Option<usize> {
        self.dialler(conn)
            .filter(|&(i, _)| self.clients[i].conn == Some(conn))
            .map(|(i, _)| i)
    }

    /// The client that dialled `conn` (current or not) and its id for it. Reports
    /// about old connections still reach the client, which must ignore them.
    pub(crate) fn dialler(&self, conn: ConnId) -> Option<(usize, ConnectionId)> {
        let c = self.net.get(conn)?;
        match c.peer {
            Peer::Client(i) => Some((i, c.client_conn)),
            Peer::Rogue(_) | Peer::Gone => None,
        }
    }

    pub(crate) fn on_broken(&mut self, conn: ConnId) {
        let Some((i, id)) = self.dialler(conn) else {
            return;
        };
        if self.clients[i].conn == Some(conn) {
            self.clients[i].conn = None;
        }
        let now = self.clients[i].local(self.now);
        self.transcript
            .note(self.now, &Self::who(i), || "transport broken".into());
        let closed = TransportClosed::failed("connection reset");
        self.clients[i].app.handle_transport_closed(now, id, closed);
        self.drain_client(i);
    }

    pub(crate) fn on_hub_closed(&mut self, conn: ConnId, code: CloseCode) {
        if let Some(Peer::Rogue(r)) = self.net.get(conn).map(|c| c.peer) {
            let now = self.now;
            self.rogues[r].closed.get_or_insert(now);
            return;
        }
        let Some((i, id)) = self.dialler(conn) else {
            return;
        };
        if self.clients[i].conn == Some(conn) {
            self.clients[i].conn = None;
        }
        let now = self.clients[i].local(self.now);
        self.transcript
            .note(self.now, &Self::who(i), || format!("closed by hub {code}"));
        let closed = TransportClosed::closed(code, "");
        self.clients[i].app.handle_transport_closed(now, id, closed);
        self.drain_client(i);
    }

    pub(crate) fn client_frame(&mut self, i: usize, id: ConnectionId, bytes: &[u8]) {
        let now = self.clients[i].local(self.now);
        self.transcript.note(self.now, &Self::who(i), || {
            format!("<- {}", describe(bytes))
        });
        self.clients[i].app.handle_frame(now, id, bytes);
        self.drain_client(i);
    }

    pub(crate) fn on_client_wake(&mut self, i: usize) {
        let now = self.clients[i].local(self.now);
        if self.wakes[i].is_some_and(|w| w <= self.now) {
            self.wakes[i] = None;
        }
        if self.clients[i].app.poll_timeout().is_some_and(|d| d <= now) {
            self.clients[i].app.handle_timeout(now);
        }
        self.drain_client(i);
    }

    /// One workload step of client `i`, and the next one while the workload runs.
    pub(crate) fn on_work(&mut self, i: usize) {
        if self.now >= self.plan.heal_at {
            return;
        }
        let now = self.clients[i].local(self.now);
        if self.scenario.faults.restores > 0 && self.rng.below_inclusive(2) == 0 {
            // The application saves its state now and then (not after every change):
            // a restart from it loses what came after.
            self.clients[i].saved = Some(self.clients[i].app.export());
        }
        if self.clients[i].app.client().state() == ClientState::Disconnected {
            self.clients[i].app.connect(now);
        } else {
            self.work_step(i);
        }
        self.drain_client(i);
        let mean = u64::try_from(self.scenario.op_interval.as_micros()).unwrap_or(1);
        let gap = core::time::Duration::from_micros(1 + self.rng.below_inclusive(2 * mean));
        self.schedule(self.now + gap, Ev::Work(i));
    }

    fn work_step(&mut self, i: usize) {
        let now = self.clients[i].local(self.now);
        let roll = self.rng.below_inclusive(99);
        let docs = self.clients[i].app.documents();
        let joined: Vec<RoomId> = docs.map(|(r, _)| r.clone()).collect();
        if joined.is_empty() || roll >= 94 {
            let rooms = &self.scenario.rooms;
            let (name, crdt) =
                rooms[self.rng.below_inclusive(rooms.len() as u64 - 1) as usize].clone();
            if joined.len() <= self.scenario.rooms_per_client {
                self.join(i, RoomId::new(&name), crdt);
            }
            return;
        }
        let room = joined[self.rng.below_inclusive(joined.len() as u64 - 1) as usize].clone();
        if roll < 82 {
            self.local_op(i, room);
        } else if roll < 90 {
            let state = Bytes::from(format!("cursor {}", self.rng.below_inclusive(999)));
            if let Err(e) = self.clients[i].app.set_presence(now, &room, state) {
                self.violate("client_error", format!("c{i} presence {room:?}: {e}"));
            }
        } else if self.scenario.leave_rejoin
            && joined.len() > 1
            && self.clients[i].app.client().room_outbox_len(&room) == 0
        {
            // Leaving discards unacknowledged deltas: the application leaves
            // only once its deltas are acknowledged, so none is in flight.
            // (Operations still waiting for the room are dropped: never submitted,
            // they are in no history.)
            self.transcript
                .note(self.now, &Self::who(i), || format!("leave {room:?}"));
            if let Err(e) = self.clients[i].app.leave(now, &room) {
                self.violate("client_error", format!("c{i} leave {room:?}: {e}"));
            }
        }
    }

    /// One random local operation on `room` of client `i`, through the replica's
    /// one local path (held back by its join gate until the room caught up).
    pub(crate) fn local_op(&mut self, i: usize, room: RoomId) {
        let now = self.clients[i].local(self.now);
        // Wall clock for LWW stamps: the client's own (jumping) clock.
        let wall = 1_700_000_000_000 + now.as_micros() / 1000;
        let c = &mut self.clients[i];
        let Some(tag) = c.app.document(&room).map(|d| d.tag()) else {
            return;
        };
        let Some(op) = random_op(tag, &mut self.rng) else {
            return;
        };
        match c.app.apply_any(now, wall, &room, op) {
            Ok(Applied::Submitted { seq }) => {
                self.stats.submitted += 1;
                self.transcript.note(self.now, &Self::who(i), || {
                    format!("submit {room:?} seq {seq}")
                });
            }
            Ok(Applied::Waiting) => {
                self.stats.submitted += 1;
                self.transcript
                    .note(self.now, &Self::who(i), || format!("op waits on {room:?}"));
            }
            // The bound on waiting operations: the application is told, nothing changed.
            Err(ReplicaError::TooManyWaiting { .. }) => {}
            // A read-only room (the policy allows it): refused locally, nothing changed.
            Err(ReplicaError::Client(ClientError::ReadOnly(_)))
                if self.policy.may_refuse_write(c.replica.0, &room) => {}
            Err(e) => self.violate("client_error", format!("c{i} op on {room:?}: {e}")),
        }
    }
}
