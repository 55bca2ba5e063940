//! Property tests over arbitrary sequences of driver inputs, hub frames (valid,
//! hostile and garbage) and application commands: no panics, invariants and the
//! deadline rule after every step, determinism, and outbox drain on a healthy hub.

use quickcheck::{QuickCheck, TestResult};
use std::collections::VecDeque;

use super::prop_ops::{Benign, Op};
use super::prop_run::Run;
use crate::client::{ClientState, RoomStatus, TransportCommand};
use crate::wire::*;

fn never_panics_and_invariants_hold(ops: Vec<Op>) -> TestResult {
    let mut run = Run::new(1);
    for op in &ops {
        run.apply(op);
        if let Err(e) = run.check() {
            return TestResult::error(format!("after {op:?}: {e}"));
        }
    }
    TestResult::passed()
}

fn same_seed_same_transcript(ops: Vec<Op>, seed: u64) -> bool {
    let mut a = Run::new(seed);
    let mut b = Run::new(seed);
    for op in &ops {
        a.apply(op);
        b.apply(op);
    }
    a.transcript == b.transcript
}

/// After any sequence, a healthy hub and an application that leaves rejected
/// rooms drain the outbox within a bounded number of steps.
fn outbox_drains_on_a_healthy_hub(ops: Vec<Op>) -> TestResult {
    let mut run = Run::new(3);
    for op in &ops {
        run.apply(op);
    }
    let rejected: Vec<RoomId> = run
        .client
        .rooms()
        .filter(|(_, r)| matches!(r.status, RoomStatus::Rejected(_)))
        .map(|(id, _)| id.clone())
        .collect();
    for id in rejected {
        let _ = run.client.leave(run.now, &id);
    }
    if run.client.state().is_stopped() || run.client.state() == ClientState::Disconnected {
        run.client.connect(run.now);
    }
    // Frames sent on a connection that is still up get their answers first.
    let unanswered = std::mem::take(&mut run.unanswered);
    let mut to_client: VecDeque<Frame> =
        unanswered.iter().filter_map(|f| run.hub.reply(f)).collect();
    for _ in 0..2_000 {
        while run.client.poll_event().is_some() {}
        while let Some(b) = run.client.poll_transmit() {
            let Ok(f) = Frame::decode(&b) else {
                return TestResult::error("client sent an undecodable frame");
            };
            to_client.extend(run.hub.reply(&f));
        }
        let mut busy = false;
        while let Some(t) = run.client.poll_transport() {
            busy = true;
            match t {
                TransportCommand::Open { conn } => {
                    to_client.clear();
                    run.conn = conn;
                    run.client.handle_transport_open(run.now, conn);
                }
                TransportCommand::Close { .. } => to_client.clear(),
            }
        }
        if busy {
            continue;
        }
        if let Some(f) = to_client.pop_front() {
            run.client.handle_frame(run.now, run.conn, &f.encode());
        } else if run.client.outbox_len() == 0 && run.client.state() == ClientState::Connected {
            return TestResult::passed();
        } else if let Some(t) = run.client.poll_timeout() {
            run.now = t;
            run.client.handle_timeout(t);
        } else {
            return TestResult::error(format!("stuck in {:?}", run.client.state()));
        }
    }
    TestResult::error(format!(
        "outbox did not drain: {} left in {:?}",
        run.client.outbox_len(),
        run.client.state()
    ))
}

#[test]
fn prop_never_panics_and_invariants_hold() {
    QuickCheck::new()
        .tests(400)
        .quickcheck(never_panics_and_invariants_hold as fn(Vec<Op>) -> TestResult);
}

#[test]
fn prop_benign_runs_hold_invariants_and_drain() {
    fn prop(ops: Benign) -> TestResult {
        let r = never_panics_and_invariants_hold(ops.0.clone());
        if r.is_error() || r.is_failure() {
            return r;
        }
        outbox_drains_on_a_healthy_hub(ops.0)
    }
    QuickCheck::new()
        .tests(300)
        .quickcheck(prop as fn(Benign) -> TestResult);
}

#[test]
fn prop_same_seed_same_transcript() {
    QuickCheck::new()
        .tests(200)
        .quickcheck(same_seed_same_transcript as fn(Vec<Op>, u64) -> bool);
}

#[test]
fn prop_outbox_drains_on_a_healthy_hub() {
    QuickCheck::new()
        .tests(300)
        .quickcheck(outbox_drains_on_a_healthy_hub as fn(Vec<Op>) -> TestResult);
}

/// Regression (found by `prop_outbox_drains_on_a_healthy_hub`): a final refusal of
/// seq 1 arrives from outside the healthy hub, which then acknowledges seq 1 and 2.
/// The client waited for a `seq_gap` refusal of the old seq 2 that never came, and
/// its outbox stalled while connected. An `Ack` at or above the refused seq now ends
/// the wait.
#[test]
fn an_ack_instead_of_the_awaited_refusals_does_not_stall_the_outbox() {
    let ops = vec![
        Op::Join(133, false),
        Op::Connect,
        Op::Open,
        Op::Submit(37, 28),
        Op::Submit(184, 34),
        Op::Reply,
        Op::Reply,
        Op::Hub(Frame::Reject(Reject {
            code: ErrorCode::MALFORMED,
            room: Some(RoomId::new("b")),
            seq: Some(1),
            message: String::new(),
        })),
    ];
    let r = outbox_drains_on_a_healthy_hub(ops);
    assert!(!r.is_failure() && !r.is_error(), "{r:?}");
}
