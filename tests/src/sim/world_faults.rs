//! Applying the fault plan: dropped connections, partitions, hub crash and
//! restart (only durable storage survives), slow consumers, clock jumps,
//! reconnect storms and misbehaving connections sending malformed frames.

use core::time::Duration;
use syncwire_proto::wire::{Frame, Hello, ReplicaId};

use super::faults::{Fault, RogueKind};
use super::net::{ConnId, Peer};
use super::world::{Ev, Rogue, World};

/// A misbehaving connection must be closed by the hub within this.
pub const ROGUE_CLOSE_BOUND: Duration = Duration::from_secs(15);

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
        }
    }

    /// Breaks `conn`: both sides learn after a network delay; nothing in flight arrives.
    fn break_conn(&mut self, conn: ConnId) {
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

    fn crash_hub(&mut self, down: Duration) {
        if self.hub.is_none() {
            return;
        }
        self.hub = None;
        self.hub_wake = None;
        self.hub_incarnation += 1;
        self.stats.hub_restarts += 1;
        let lost = self.storage.lose_pending();
        self.transcript.note(self.now, "hub", || {
            format!("crash, {lost} storage writes lost")
        });
        self.sessions.clear();
        let live: Vec<ConnId> = self.net.live().map(|(id, _)| id).collect();
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
        self.schedule(self.now + down, Ev::HubUp);
    }

    fn rogue(&mut self, kind: RogueKind) {
        let Some(hub) = self.hub.as_mut() else { return };
        let index = self.rogues.len();
        let conn = self.net.open(Peer::Rogue(index), Default::default());
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
        let hello = Frame::Hello(Hello {
            versions: vec![1],
            replica: ReplicaId(9_000 + index as u64),
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
            RogueKind::HelloThenGarbage => vec![hello, garbage],
            RogueKind::HelloThenTruncated => {
                let mut cut = hello.clone();
                cut.truncate(cut.len() / 2);
                vec![hello, cut]
            }
        };
        for f in frames {
            let at = self.net.up(conn, self.now, &mut self.rng, None);
            self.schedule(at, Ev::ToHub(conn, f.into()));
        }
        self.drain_hub();
    }
}
