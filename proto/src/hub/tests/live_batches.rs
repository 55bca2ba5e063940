//! Live delivery at the end of a turn: a turn's durable entries go to the members in
//! step as one `DeltaBatch` encoded once, origins get their acks in log order, and a
//! member whose backlog cannot take a batch still gets every entry exactly once.

use bytes::Bytes;

use super::harness::*;
use crate::hub::HubConfig;
use crate::wire::*;

/// Joins every session to "r", then completes `writes` (session, replica, seq) as one
/// turn: their appends are held and released together, nothing polled in between.
fn one_turn(h: &mut Harness, members: &[SessionId], writes: &[(SessionId, u64, u64)]) {
    for &m in members {
        h.join(m, "r", "sum", None);
    }
    for &m in members {
        h.take(m);
    }
    h.hold_storage = true;
    for &(sid, replica, seq) in writes {
        h.delta(sid, "r", replica, seq, sum(seq));
    }
    while let Some(done) = h.storage.release_next() {
        h.hub.handle_storage(h.now, done);
    }
    h.hold_storage = false;
}

/// Entries per delivered frame (a `DeltaBatch` holds a run, a `HubDelta` one).
fn run_sizes(frames: &[Frame]) -> Vec<usize> {
    frames
        .iter()
        .map(|f| match f {
            Frame::DeltaBatch(x) => x.entries.len(),
            Frame::HubDelta(_) => 1,
            other => panic!("{other:?}"),
        })
        .collect()
}

fn decode(frames: &[Bytes]) -> Vec<Frame> {
    frames.iter().map(|b| Frame::decode(b).unwrap()).collect()
}

#[test]
fn a_turns_entries_reach_every_member_in_step_as_one_batch_encoded_once() {
    let mut h = Harness::new();
    let (a, b, c) = (h.connect(1), h.connect(2), h.connect(3));
    one_turn(&mut h, &[a, b, c], &[(a, 1, 1), (a, 1, 2), (a, 1, 3)]);
    let mut out = std::collections::BTreeMap::new();
    while let Some((sid, frames)) = h.hub.poll_transmit_batch() {
        out.insert(sid, frames.into_iter().collect::<Vec<Bytes>>());
    }
    assert_eq!(acks(&decode(&out[&a])), [1, 2, 3], "the origin: its acks");
    let (fb, fc) = (&out[&b], &out[&c]);
    assert_eq!(fb.len(), 1, "one frame for the turn");
    assert_eq!(fb[0].as_ptr(), fc[0].as_ptr(), "one encoding, shared");
    let entries = deltas(&decode(fb));
    assert_eq!(entries, [(0, 1, 1), (1, 1, 2), (2, 1, 3)]);
    h.hub.check_invariants().unwrap();
}

#[test]
fn an_origin_inside_a_run_gets_its_acks_and_the_other_entries_in_log_order() {
    let mut h = Harness::new();
    let (a, b, c) = (h.connect(1), h.connect(2), h.connect(3));
    one_turn(&mut h, &[a, b, c], &[(a, 1, 1), (b, 2, 1), (a, 1, 2)]);
    h.settle();
    let fa = h.take(a);
    let fb = h.take(b);
    let fc = h.take(c);
    // a: Ack 1, HubDelta (b,1), Ack 2 — in log order, nothing of its own back.
    assert!(
        matches!(fa.as_slice(), [Frame::Ack(x), Frame::HubDelta(d), Frame::Ack(y)]
            if x.offset == Some(0) && d.offset == 1 && y.offset == Some(2)),
        "{fa:?}"
    );
    assert!(
        matches!(fb.as_slice(), [Frame::HubDelta(x), Frame::Ack(y), Frame::HubDelta(z)]
            if x.offset == 0 && y.offset == Some(1) && z.offset == 2),
        "{fb:?}"
    );
    assert!(matches!(fc.as_slice(), [Frame::DeltaBatch(_)]), "{fc:?}");
    assert_eq!(deltas(&fc), [(0, 1, 1), (1, 2, 1), (2, 1, 2)]);
}

#[test]
fn runs_respect_the_batch_bounds() {
    let config = HubConfig {
        batch_max_entries: 2,
        ..config()
    };
    let mut h = Harness::with(config);
    let (a, b) = (h.connect(1), h.connect(2));
    let writes: Vec<_> = (1..=5).map(|seq| (a, 1, seq)).collect();
    one_turn(&mut h, &[a, b], &writes);
    h.settle();
    let fb = h.take(b);
    assert_eq!(
        run_sizes(&fb),
        [2, 2, 1],
        "runs of at most batch_max_entries"
    );
    let offsets: Vec<u64> = deltas(&fb).iter().map(|d| d.0).collect();
    assert_eq!(offsets, [0, 1, 2, 3, 4]);
}

#[test]
fn a_member_whose_backlog_cannot_take_the_batch_still_gets_every_entry_once() {
    let config = HubConfig {
        max_backlog_bytes: 64,
        ..config()
    };
    let mut h = Harness::with(config);
    let (a, b) = (h.connect(1), h.connect(2));
    // b's output is not flushed: its backlog fills up.
    h.join(a, "r", "sum", None);
    h.join(b, "r", "sum", None);
    h.take(a);
    h.take(b);
    h.stalled.push(b);
    h.delta(a, "r", 1, 1, sum(1)); // one HubDelta sits in b's backlog
    let writes: Vec<_> = (2..=6).map(|seq| (a, 1, seq)).collect();
    one_turn(&mut h, &[], &writes);
    h.settle();
    let before = deltas(&h.take(b));
    assert!(before.len() < 6, "the backlog held b back: {before:?}");
    // The driver flushes b's output: b catches up from the log.
    h.stalled.clear();
    let backlog = h.hub.backlog(b).expect("b is open");
    h.hub.handle_flushed(b, backlog);
    h.settle();
    let mut all = before;
    all.extend(deltas(&h.take(b)));
    let offsets: Vec<u64> = all.iter().map(|d| d.0).collect();
    assert_eq!(offsets, [0, 1, 2, 3, 4, 5], "every entry once, in order");
    assert_eq!(acks(&h.take(a)), [1, 2, 3, 4, 5, 6]);
}

#[test]
fn an_entry_larger_than_the_batch_bound_goes_alone() {
    let config = HubConfig {
        batch_max_bytes: 8,
        ..config()
    };
    let mut h = Harness::with(config);
    let (a, b) = (h.connect(1), h.connect(2));
    one_turn(&mut h, &[a, b], &[(a, 1, 1), (a, 1, 2), (a, 1, 3)]);
    h.settle();
    let fb = h.take(b);
    // Each payload is above 8 bytes: three runs of one, each a `HubDelta`.
    assert!(fb.iter().all(|f| matches!(f, Frame::HubDelta(_))), "{fb:?}");
    assert_eq!(deltas(&fb).len(), 3);
}

#[test]
fn a_run_may_fill_the_byte_bound_exactly() {
    let payload = sum(1).len();
    let config = HubConfig {
        batch_max_bytes: 2 * payload,
        ..config()
    };
    let mut h = Harness::with(config);
    let (a, b) = (h.connect(1), h.connect(2));
    // Three payloads of the same size (sum(1), sum(2), sum(3) encode alike).
    one_turn(&mut h, &[a, b], &[(a, 1, 1), (a, 1, 2), (a, 1, 3)]);
    h.settle();
    let fb = h.take(b);
    assert_eq!(
        run_sizes(&fb),
        [2, 1],
        "two payloads fill the bound exactly"
    );
}

#[test]
fn live_deliveries_are_counted_for_the_other_members_only() {
    let mut h = Harness::new();
    let (a, b, c) = (h.connect(1), h.connect(2), h.connect(3));
    one_turn(&mut h, &[a, b, c], &[(a, 1, 1), (a, 1, 2), (a, 1, 3)]);
    let before = h.hub.metrics().deltas_out;
    h.settle();
    // b and c get the three entries each; a's three acks are not deliveries.
    assert_eq!(h.hub.metrics().deltas_out - before, 6);
    let (d, e) = (h.connect(4), h.connect(5));
    one_turn(&mut h, &[d, e], &[(d, 4, 1), (e, 5, 1)]);
    let before = h.hub.metrics().deltas_out;
    h.settle();
    // Origins of the run, entry by entry: a, b and c get both (6), d and e the
    // other's one each (2).
    assert_eq!(h.hub.metrics().deltas_out - before, 8);
}

#[test]
fn a_replica_back_in_the_turn_its_entry_became_durable_gets_no_ack_behind_its_replay() {
    let mut h = Harness::new();
    let (a, b) = (h.connect(1), h.connect(2));
    h.join(a, "r", "sum", None);
    h.join(b, "r", "sum", None);
    h.hold_storage = true;
    h.delta(a, "r", 1, 1, sum(1));
    // Replica 1 comes back on a new session (the old one is replaced) and joins
    // while its delta is being stored: the join waits for the append.
    let a2 = h.connect(1);
    h.send(a2, join("r", "sum", None));
    while let Some(done) = h.storage.release_next() {
        h.hub.handle_storage(h.now, done);
    }
    h.hold_storage = false;
    h.settle();
    let frames = h.take(a2);
    let j = joined(&frames);
    assert_eq!(j.acked_seq, 1);
    assert_eq!(
        deltas(&frames),
        [(0, 1, 1)],
        "the replay holds its own entry"
    );
    assert!(
        acks(&frames).is_empty(),
        "no ack behind the replay: {frames:?}"
    );
    assert_eq!(deltas(&h.take(b)).len(), 1);
}
