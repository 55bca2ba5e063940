//! Property tests over arbitrary multi-session input sequences: no panic, invariants
//! after every step, every acked delta in the log exactly once, every member receives
//! the log in order without gaps (other than its own live deltas) or duplicates.

use std::collections::BTreeMap;
use std::time::Duration;

use quickcheck::{Arbitrary, Gen, QuickCheck, TestResult};

use super::harness::*;
use crate::hub::*;
use crate::wire::*;

const CLIENTS: u8 = 4;
const ROOMS: [&str; 2] = ["a", "b"];

#[derive(Clone, Debug)]
enum Op {
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
        match u8::arbitrary(g) % 20 {
            0..=1 => Op::Connect(c),
            2..=4 => Op::Join(c, r, bool::arbitrary(g)),
            5 => Op::Leave(c, r),
            6..=11 => Op::Delta(c, r, bool::arbitrary(g)),
            12 => Op::Presence(c, r),
            13..=15 => Op::Release(u8::arbitrary(g) % 8),
            16 => Op::Stall(c),
            17 => Op::Advance(u16::arbitrary(g) % 20_000),
            18 => Op::Close(c),
            _ => Op::Garbage(c, Vec::arbitrary(g)),
        }
    }
}

/// What one client knows about one room it joined.
#[derive(Default, Clone)]
struct View {
    epoch: u64,
    next: u64,
    skipped: Vec<u64>,
}

struct World {
    h: Harness,
    sessions: BTreeMap<u8, SessionId>,
    seqs: BTreeMap<(u8, u8), u64>,
    views: BTreeMap<(SessionId, RoomId), View>,
    acked: Vec<(RoomId, u64, u64)>,
    positions: BTreeMap<(u8, u8), Position>,
}

impl World {
    fn absorb(&mut self) -> Result<(), String> {
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

    fn step(&mut self, op: Op) {
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

fn run(ops: Vec<Op>) -> TestResult {
    let cfg = HubConfig {
        max_backlog_bytes: 600,
        max_tail_entries: 4,
        batch_max_entries: 3,
        max_pending_appends: 6,
        max_rooms_per_session: 2,
        ..config()
    };
    let mut h = Harness::with(cfg);
    h.hold_storage = true;
    let mut w = World {
        h,
        sessions: BTreeMap::new(),
        seqs: BTreeMap::new(),
        views: BTreeMap::new(),
        acked: vec![],
        positions: BTreeMap::new(),
    };
    for op in ops {
        w.step(op);
        if let Err(e) = w.absorb() {
            return TestResult::error(e);
        }
    }
    w.h.stalled.clear();
    w.h.release_storage();
    if let Err(e) = w.absorb() {
        return TestResult::error(e);
    }
    // Every acked delta is in the log exactly once; no (replica, seq) is logged twice.
    for room in ROOMS {
        let room = RoomId::new(room);
        let action = StorageAction::Load {
            op: OpId(0),
            room: room.clone(),
            tail_limit: usize::MAX,
        };
        let StorageCompletion::Loaded {
            result: Ok(rec), ..
        } = w.h.storage.execute(action)
        else {
            return TestResult::error("load failed");
        };
        let entries = rec.map(|r| r.tail).unwrap_or_default();
        let mut seen = BTreeMap::new();
        for e in &entries {
            if seen.insert((e.replica.0, e.seq), e.offset).is_some() {
                return TestResult::error(format!(
                    "{room}: {:?}/{} logged twice",
                    e.replica, e.seq
                ));
            }
        }
        for (r, replica, seq) in &w.acked {
            if *r == room && *seq > 0 && !seen.contains_key(&(*replica, *seq)) {
                return TestResult::error(format!("{room}: ack {replica}/{seq} not in the log"));
            }
        }
        // Gaps a member saw are only its own deltas.
        for ((s, vr), v) in &w.views {
            if *vr != room {
                continue;
            }
            let Some(replica) = w
                .sessions
                .iter()
                .find(|(_, x)| *x == s)
                .map(|(c, _)| u64::from(*c) + 1)
            else {
                continue;
            };
            for off in &v.skipped {
                let own = entries
                    .iter()
                    .any(|e| e.offset == *off && e.replica.0 == replica);
                if !own {
                    return TestResult::error(format!("{s:?} {room}: gap at {off}"));
                }
            }
        }
    }
    TestResult::passed()
}

#[test]
fn arbitrary_multi_session_sequences_keep_the_log_promises() {
    QuickCheck::new()
        .tests(300)
        .max_tests(600)
        .rng(Gen::new(60))
        .quickcheck(run as fn(Vec<Op>) -> TestResult);
}

#[test]
fn regression_resume_after_stall_and_close() {
    use Op::*;
    let ops = vec![
        Connect(0),
        Connect(1),
        Release(5),
        Join(0, 0, false),
        Join(1, 0, false),
        Release(5),
        Stall(1),
        Delta(0, 0, false),
        Delta(0, 0, false),
        Release(7),
        Delta(0, 0, true),
        Release(7),
        Stall(1),
        Close(1),
        Connect(1),
        Join(1, 0, true),
        Release(7),
    ];
    assert!(!run(ops).is_failure());
}
