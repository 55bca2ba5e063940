//! The model behind the property tests: arbitrary operations of up to four clients on
//! two rooms, played through the harness, and what each client observed.

use std::collections::BTreeMap;
use std::time::Duration;

use quickcheck::{Arbitrary, Gen};

use super::harness::*;
use crate::wire::*;

pub const CLIENTS: u8 = 4;
pub const ROOMS: [&str; 2] = ["a", "b"];

#[derive(Clone, Debug)]
pub enum Op {
    Connect(u8),
    Join(u8, u8, bool),
    Leave(u8, u8),
    Delta(u8, u8, bool),
    Presence(u8, u8),
    Release(u8),
    Stall(u8),
    Advance(u16),
    Close(u8),
    Garbage(u8, Vec<u8>),
}

impl Arbitrary for Op {
    fn arbitrary(g: &mut Gen) -> Op {
        let c = u8::arbitrary(g) % CLIENTS;
        let r = u8::arbitrary(g) % 2;
        match u8::arbitrary(g) % 40 {
            0..=3 => Op::Connect(c),
            4..=9 => Op::Join(c, r, bool::arbitrary(g)),
            10 => Op::Leave(c, r),
            11..=21 => Op::Delta(c, r, u8::arbitrary(g) % 4 == 0),
            22..=23 => Op::Presence(c, r),
            24..=33 => Op::Release(u8::arbitrary(g) % 16),
            34 => Op::Stall(c),
            35..=36 => Op::Advance(u16::arbitrary(g) % 20_000),
            37 => Op::Close(c),
            _ => Op::Garbage(c, Vec::arbitrary(g)),
        }
    }
}

/// What one client knows about one room it joined.
#[derive(Default, Clone)]
pub struct View {
    pub epoch: u64,
    pub next: u64,
    pub skipped: Vec<u64>,
}

pub struct World {
    pub h: Harness,
    pub sessions: BTreeMap<u8, SessionId>,
    pub seqs: BTreeMap<(u8, u8), u64>,
    pub views: BTreeMap<(SessionId, RoomId), View>,
    pub acked: Vec<(RoomId, u64, u64)>,
    pub positions: BTreeMap<(u8, u8), Position>,
}

impl World {
    pub fn absorb(&mut self) -> Result<(), String> {
        let inbox = std::mem::take(&mut self.h.inbox);
        for (sid, frames) in inbox {
            let replica = self
                .sessions
                .iter()
                .find(|(_, s)| **s == sid)
                .map(|(c, _)| u64::from(*c) + 1);
            for f in frames {
                match &f {
                    Frame::Joined(j) => {
                        let v = View {
                            epoch: j.epoch,
                            next: j.start,
                            skipped: vec![],
                        };
                        self.views.insert((sid, j.room.clone()), v);
                    }
                    Frame::Ack(a) => {
                        if let Some(r) = replica {
                            self.acked.push((a.room.clone(), r, a.seq));
                        }
                    }
                    Frame::HubDelta(d) => self.receive(sid, &d.room, d.epoch, d.offset)?,
                    Frame::DeltaBatch(b) => {
                        for i in 0..b.entries.len() as u64 {
                            self.receive(sid, &b.room, b.epoch, b.first_offset + i)?;
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    fn receive(
        &mut self,
        sid: SessionId,
        room: &RoomId,
        epoch: u64,
        offset: u64,
    ) -> Result<(), String> {
        let v = self
            .views
            .get_mut(&(sid, room.clone()))
            .ok_or("delta before Joined")?;
        if v.epoch != epoch || offset < v.next {
            return Err(format!(
                "{sid:?} {room}: offset {offset} after {} (dup/reorder)",
                v.next
            ));
        }
        v.skipped.extend(v.next..offset);
        v.next = offset + 1;
        Ok(())
    }

    pub fn step(&mut self, op: Op) {
        let h = &mut self.h;
        let sid = |c: &u8| self.sessions.get(c).copied();
        match op {
            Op::Connect(c) => {
                if sid(&c).is_none() {
                    let s = h.open();
                    h.send(s, hello(u64::from(c) + 1));
                    self.sessions.insert(c, s);
                }
            }
            Op::Join(c, r, resume) => {
                if let Some(s) = sid(&c) {
                    let pos = self.positions.get(&(c, r)).copied().filter(|_| resume);
                    h.send(s, join(ROOMS[r as usize], "sum", pos));
                }
            }
            Op::Leave(c, r) => {
                if let Some(s) = sid(&c) {
                    h.send(
                        s,
                        Frame::Leave(Leave {
                            room: RoomId::new(ROOMS[r as usize]),
                        }),
                    );
                    self.views.remove(&(s, RoomId::new(ROOMS[r as usize])));
                }
            }
            Op::Delta(c, r, dup) => {
                if let Some(s) = sid(&c) {
                    let seq = self.seqs.entry((c, r)).or_insert(0);
                    if !dup || *seq == 0 {
                        *seq += 1;
                    }
                    let seq = *seq;
                    h.send(
                        s,
                        delta(ROOMS[r as usize], "sum", u64::from(c) + 1, seq, sum(seq)),
                    );
                }
            }
            Op::Presence(c, r) => {
                if let Some(s) = sid(&c) {
                    let state = bytes::Bytes::from_static(b"here");
                    h.send(
                        s,
                        Frame::SetPresence(SetPresence {
                            room: RoomId::new(ROOMS[r as usize]),
                            state,
                        }),
                    );
                }
            }
            Op::Release(n) => {
                for _ in 0..n {
                    if let Some(done) = h.storage.release_next() {
                        h.hub.handle_storage(h.now, done);
                        h.settle();
                    }
                }
            }
            Op::Stall(c) => {
                if let Some(s) = sid(&c) {
                    if let Some(i) = h.stalled.iter().position(|x| *x == s) {
                        h.stalled.remove(i);
                        let b = h.hub.backlog(s).unwrap_or(0);
                        h.hub.handle_flushed(s, b);
                        h.settle();
                    } else {
                        h.stalled.push(s);
                    }
                }
            }
            Op::Advance(ms) => h.advance(Duration::from_millis(u64::from(ms))),
            Op::Close(c) => {
                if let Some(s) = self.sessions.remove(&c) {
                    h.hub.handle_session_closed(h.now, s);
                    h.settle();
                }
            }
            Op::Garbage(c, bytes) => {
                if let Some(s) = sid(&c) {
                    h.send_raw(s, &bytes);
                }
            }
        }
        // Sessions the hub closed are gone; remember where their views ended for resumes.
        let closed: Vec<u8> = self
            .sessions
            .iter()
            .filter(|(_, s)| self.h.closed.contains_key(s))
            .map(|(c, _)| *c)
            .collect();
        for c in closed {
            self.sessions.remove(&c);
        }
        for ((s, room), v) in &self.views {
            if let Some((c, _)) = self.sessions.iter().find(|(_, x)| *x == s) {
                let r = u8::from(room.as_str() == "b");
                self.positions.insert(
                    (*c, r),
                    Position {
                        epoch: v.epoch,
                        offset: v.next,
                    },
                );
            }
        }
    }
}
