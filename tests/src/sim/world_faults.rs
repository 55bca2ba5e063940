//! Applying the fault plan: dropped connections, partitions, hub crash and
//! restart (only durable storage survives), slow consumers, clock jumps,
//! reconnect storms and misbehaving connections sending malformed frames (one kind
//! also joins a real room and submits a delta with an undecodable payload first).

use core::time::Duration;
use syncwire_proto::Instant;
use syncwire_proto::client::ClientConfig;
use syncwire_proto::replica::{Replica, ReplicaOrigin};
use syncwire_proto::wire::{ClientDelta, Frame, Hello, Join, ReplicaId, RoomId};

use super::faults::{Fault, RogueKind};
use super::net::{ConnId, Peer};
use super::world::{Ev, Rogue, World};

/// A misbehaving connection must be closed by the hub within this.
pub const ROGUE_CLOSE_BOUND: Duration = Duration::from_secs(15);
/// Misbehaving connection `i` speaks for replica `ROGUE_REPLICA_BASE + i`; nothing of
/// those replicas may ever be logged or delivered.
pub const ROGUE_REPLICA_BASE: u64 = 9_000;

impl World {
    pub(crate) fn apply_fault(&mut self, fault: Fault) {
        self.transcript
            .note(self.now, "fault", || format!("{fault:?}"));
        match fault {
            Fault::Drop(i) => {
                if let Some(conn) = self.clients[i].conn {
                    self.break_conn(conn);
                }
            }
            Fault::Partition(members, d) => {
                for i in members {
                    self.clients[i].held_until = Some(self.now + d);
                }
            }
            Fault::HubRestart(down) => self.crash_hub(down),
            Fault::SlowConsumer(i, bw, d) => self.clients[i].throttle = Some((bw, self.now + d)),
            Fault::ClockJump(i, jump) => {
                self.clients[i].clock_offset = self.clients[i].clock_offset.saturating_add(jump);
                self.wakes[i] = None;
                self.on_client_wake(i);
            }
            Fault::Storm => {
                let conns: Vec<ConnId> = self.clients.iter().filter_map(|c| c.conn).collect();
                for conn in conns {
                    self.break_conn(conn);
                }
            }
            Fault::Rogue(kind) => self.rogue(kind),
            Fault::Impostor(victim) => self.impostor(victim),
            Fault::Twin(victim) => self.twin(victim),
            Fault::Amnesia(i) => self.amnesia(i),
            Fault::Resend(i) => {
                self.resend_next.insert(i);
            }
            Fault::Restore(i) => self.restore_client(i),
            Fault::StorageTrouble(d) => self.storage_trouble_until = Some(self.now + d),
            Fault::Revoke(i) | Fault::Regrant(i) | Fault::Expire(i) | Fault::Renew(i) => {
                self.policy_fault(i, &fault)
            }
        }
    }

    /// Client `i`'s process dies: its connection is reset (the hub learns after a
    /// network delay; the dead process hears nothing more). Returns the configuration
    /// (with a fresh seed) and the local time its restarted process starts with.
    fn crash_process(&mut self, i: usize) -> (ClientConfig, Instant) {
        if let Some(conn) = self.clients[i].conn {
            self.break_conn(conn);
        }
        self.net.orphan_client(i);
        let mut cfg = self.clients[i].app.client().config().clone();
        cfg.seed = self.rng.next_u64();
        (cfg, self.clients[i].local(self.now))
    }

    /// Client `i`'s process crashes and restarts with nothing saved: its connection
    /// is reset (the hub learns after a network delay; the dead process hears
    /// nothing more), and a new client with the same configuration but a fresh
    /// session re-joins the rooms the old one was in, with no position.
    fn amnesia(&mut self, i: usize) {
        let (cfg, now) = self.crash_process(i);
        let Ok(app) = Replica::new(cfg, now, ReplicaOrigin::Chosen) else {
            self.violate("client_error", format!("c{i}: restart config refused"));
            return;
        };
        let rooms = self.clients[i].restart(app);
        self.transcript.note(self.now, &Self::who(i), || {
            format!("crashed; restarts empty and re-joins {rooms:?}")
        });
        self.stats.client_restarts += 1;
        for (room, crdt) in rooms {
            self.join(i, room.clone(), crdt);
            // The restarted program's first act, as in the README example: an
            // operation at once (held back by the gate until the room caught up).
            self.local_op(i, room);
        }
        self.wakes[i] = None;
        self.on_client_wake(i);
    }

    /// Client `i`'s process crashes and restarts from the state it last saved
    /// ([`Replica::export`], taken now and then by the workload): what changed after
    /// that save is gone — deltas submitted since (acknowledged or not), positions,
    /// acknowledgements. The restored rooms are attached again (each a new document
    /// generation for the checkers); rooms the process was in but had not saved are
    /// joined afresh. Without a save it restarts empty, as `amnesia` does.
    pub(crate) fn restore_client(&mut self, i: usize) {
        let Some(saved) = self.clients[i].saved.take() else {
            self.amnesia(i);
            return;
        };
        let (cfg, now) = self.crash_process(i);
        let restored: Vec<RoomId> = saved.client.rooms.iter().map(|r| r.room.clone()).collect();
        let app = match Replica::restore(cfg, now, saved.clone(), &self.registry) {
            Ok(app) => app,
            Err(e) => {
                self.violate("client_error", format!("c{i}: restore refused: {e}"));
                return;
            }
        };
        let before = self.clients[i].restart(app);
        self.clients[i].saved = Some(saved);
        self.transcript.note(self.now, &Self::who(i), || {
            format!("crashed; restores {restored:?}, was in {before:?}")
        });
        self.stats.coverage.client_restores += 1;
        for room in &restored {
            let Some(tag) = self.clients[i].app.document(room).map(|d| d.tag()) else {
                continue;
            };
            if let Err(e) = self.clients[i]
                .app
                .join_tag(now, room.clone(), tag, &self.registry)
            {
                self.violate("client_error", format!("c{i} attach {room:?}: {e}"));
            }
            self.clients[i].opened(room.clone());
        }
        for (room, crdt) in before {
            if !restored.contains(&room) {
                self.join(i, room, crdt);
            }
        }
        self.wakes[i] = None;
        self.on_client_wake(i);
    }

    /// Breaks `conn`: both sides learn after a network delay; nothing in flight arrives.
    pub(crate) fn break_conn(&mut self, conn: ConnId) {
        let Some(c) = self.net.get_mut(conn) else {
            return;
        };
        if c.broken {
            return;
        }
        c.broken = true;
        let a = self.now + self.net.delay(&mut self.rng);
        let b = self.now + self.net.delay(&mut self.rng);
        self.schedule(a, Ev::Broken(conn));
        self.schedule(b, Ev::BrokenAtHub(conn));
    }

    /// A hub node crashes (the only one, or one picked at random) and restarts
    /// after `down`: its queued storage writes are lost, its connections break.
    fn crash_hub(&mut self, down: Duration) {
        let nodes = self.node_count();
        if nodes > 1 {
            let k = self.rng.below_inclusive(nodes as u64 - 1) as usize;
            self.enter(k);
        }
        if self.hub.is_none() {
            return;
        }
        let (k, incarnation) = (self.node, self.hub_incarnation);
        self.hub = None;
        self.hub_wake = None;
        self.hub_incarnation += nodes as u64;
        self.stats.hub_restarts += 1;
        let lost = self.lose_node_writes(k, incarnation);
        self.transcript.note(self.now, "hub", || {
            format!("crash, {lost} storage writes lost")
        });
        self.sessions.clear();
        let live: Vec<ConnId> = self
            .net
            .live()
            .filter(|(_, c)| c.node == k)
            .map(|(id, _)| id)
            .collect();
        for conn in live {
            if let Some(c) = self.net.get_mut(conn) {
                c.hub_gone = true;
                c.broken = true;
                if let Peer::Rogue(r) = c.peer {
                    let now = self.now;
                    self.rogues[r].closed.get_or_insert(now);
                }
            }
            let at = self.now + self.net.delay(&mut self.rng);
            self.schedule(at, Ev::Broken(conn));
        }
        self.schedule(self.now + down, Ev::HubUp(k));
    }

    /// Opens a misbehaving connection to the hub; `None` while the hub is down.
    pub(crate) fn open_rogue(&mut self) -> Option<(usize, ConnId)> {
        self.hub.as_ref()?;
        let index = self.rogues.len();
        let conn = self.net.open(Peer::Rogue(index), Default::default());
        let node = self.node;
        if let Some(c) = self.net.get_mut(conn) {
            c.node = node;
        }
        let hub = self.hub.as_mut()?;
        let sid = hub.handle_session_opened(self.now);
        self.sessions.insert(sid, conn);
        if let Some(c) = self.net.get_mut(conn) {
            c.session = Some(sid);
            c.hub_incarnation = self.hub_incarnation;
        }
        self.rogues.push(Rogue {
            conn,
            opened: self.now,
            closed: None,
        });
        Some((index, conn))
    }

    fn rogue(&mut self, kind: RogueKind) {
        let Some((index, conn)) = self.open_rogue() else {
            return;
        };
        let hello = Frame::Hello(Hello {
            versions: syncwire_proto::wire::SUPPORTED_VERSIONS.to_vec(),
            replica: ReplicaId(ROGUE_REPLICA_BASE + index as u64),
            token: None,
            user_info: None,
        })
        .encode();
        let garbage: Vec<u8> = (0..1 + self.rng.below_inclusive(200))
            .map(|_| self.rng.next_u64() as u8 | 0x80)
            .collect();
        let frames = match kind {
            RogueKind::Garbage => vec![garbage],
            RogueKind::Oversized => vec![vec![0xBF; self.hub_config().max_frame_bytes + 1]],
            RogueKind::HelloThenGarbage => {
                let [join, bad] =
                    self.bad_delta(ReplicaId(ROGUE_REPLICA_BASE + index as u64), &garbage);
                vec![hello, join, bad, garbage]
            }
            RogueKind::HelloThenTruncated => {
                let mut cut = hello.clone();
                cut.truncate(cut.len() / 2);
                vec![hello, cut]
            }
        };
        // Frames after the second leave the hub a second to serve the join.
        let later = self.now + Duration::from_secs(1);
        for (i, f) in frames.into_iter().enumerate() {
            let held = (i >= 2).then_some(later);
            let at = self.net.up(conn, self.now, &mut self.rng, held);
            self.schedule(at, Ev::ToHub(conn, f.into()));
        }
        self.drain_hub();
    }

    /// A `Join` of a real room and a well-formed `ClientDelta` to it whose payload
    /// decodes as no CRDT type: the hub must refuse to log it (checked at the end).
    fn bad_delta(&mut self, replica: ReplicaId, garbage: &[u8]) -> [Vec<u8>; 2] {
        let last = self.scenario.rooms.len().saturating_sub(1) as u64;
        let pick = self.rng.below_inclusive(last) as usize;
        let (name, crdt) = self.scenario.rooms.get(pick).cloned().unwrap_or_default();
        let room = RoomId::new(&name);
        let join = Frame::Join(Join {
            room: room.clone(),
            crdt: crdt.into(),
            resume: None,
        });
        // 0xFF (a lone "break") is never valid CBOR, whatever follows.
        let mut payload = vec![0xFF];
        payload.extend_from_slice(garbage);
        let delta = Frame::ClientDelta(ClientDelta {
            room,
            crdt: crdt.into(),
            replica,
            seq: 1,
            payload: payload.into(),
        });
        [join.encode(), delta.encode()]
    }
}
