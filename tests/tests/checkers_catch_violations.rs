//! The checkers report fabricated violations: a lost ack, a duplicate delivery,
//! an order swap, a divergence, gap re-joins and deltas of misbehaving connections.

use bytes::Bytes;
use syncwire_proto::Instant;
use syncwire_proto::crdt::{Document, GCounter, GCounterOp, Registry};
use syncwire_proto::wire::{ReplicaId, RoomId};
use syncwire_tests::check::*;

fn delivery(seq: u64, offset: u64) -> Delivery {
    Delivery {
        at: Instant::from_millis(offset),
        replica: ReplicaId(1),
        room: RoomId::new("r"),
        generation: 1,
        origin: ReplicaId(2),
        seq,
        epoch: 7,
        offset,
    }
}

/// A room whose durable state is replica 2 having counted `n`, plus its delta.
fn counter(n: u64) -> (Bytes, Bytes) {
    let mut doc = Document::<GCounter>::new(ReplicaId(2));
    let delta = doc.apply_local(GCounterOp::Increment(n), 0).unwrap();
    (Bytes::from(doc.encode_state().unwrap()), Bytes::from(delta))
}

fn final_with(state: Bytes, seq: u64) -> FinalState {
    let mut fin = FinalState::default();
    fin.rooms.insert(
        RoomId::new("r"),
        HubRoom {
            crdt: "gcounter".into(),
            state,
            seqs: [(ReplicaId(2), seq)].into_iter().collect(),
        },
    );
    fin
}

#[test]
fn clean_history_passes() {
    let h = History {
        deliveries: vec![delivery(1, 0), delivery(2, 1)],
        acked: vec![],
    };
    assert!(check_deliveries(&h).is_empty());
}

#[test]
fn duplicate_delivery_is_reported() {
    let h = History {
        deliveries: vec![delivery(1, 0), delivery(1, 0)],
        acked: vec![],
    };
    let v = check_deliveries(&h);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].invariant, "duplicate_delivery");
}

#[test]
fn order_swap_is_reported() {
    let h = History {
        deliveries: vec![delivery(2, 1), delivery(1, 0)],
        acked: vec![],
    };
    let v = check_deliveries(&h);
    let kinds: Vec<_> = v.iter().map(|v| v.invariant).collect();
    assert!(kinds.contains(&"per_origin_order"), "{v:?}");
    assert!(kinds.contains(&"log_order"), "{v:?}");
}

fn acked(seq: u64, payload: Bytes) -> History {
    History {
        deliveries: vec![],
        acked: vec![Acked {
            at: Instant::from_millis(5),
            room: RoomId::new("r"),
            replica: ReplicaId(2),
            seq,
            ack_seq: seq,
            payload,
        }],
    }
}

#[test]
fn lost_ack_is_reported() {
    let registry = Registry::with_builtin();
    let (state, delta) = counter(3);
    // Durable and present: fine.
    assert!(check_acked(&registry, &acked(1, delta.clone()), &final_with(state, 1)).is_empty());
    // The storage's sequence table does not cover the ack.
    let (state, _) = counter(3);
    let v = check_acked(&registry, &acked(2, delta.clone()), &final_with(state, 1));
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].invariant, "acked_lost");
    // The table covers it but the effect is missing from the state.
    let empty = Bytes::from(registry.empty_state("gcounter").unwrap());
    let v = check_acked(&registry, &acked(1, delta), &final_with(empty, 1));
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].invariant, "acked_lost");
}

#[test]
fn divergence_is_reported() {
    let registry = Registry::with_builtin();
    let (state, _) = counter(3);
    let (other, _) = counter(4);
    let mut fin = final_with(state.clone(), 1);
    fin.replicas.push(ReplicaRoom {
        replica: ReplicaId(1),
        room: RoomId::new("r"),
        state,
    });
    assert!(check_convergence(&registry, &fin).is_empty());
    fin.replicas.push(ReplicaRoom {
        replica: ReplicaId(3),
        room: RoomId::new("r"),
        state: other,
    });
    let v = check_convergence(&registry, &fin);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].invariant, "divergence");
}

#[test]
fn gap_rejoins_without_faults_are_reported() {
    assert!(check_no_gap_rejoins(&[(ReplicaId(1), 0), (ReplicaId(2), 0)]).is_empty());
    let v = check_no_gap_rejoins(&[(ReplicaId(1), 0), (ReplicaId(2), 3)]);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].invariant, "gap_rejoin");
}

#[test]
fn rogue_deltas_logged_or_delivered_are_reported() {
    let (state, _) = counter(1);
    let clean = History {
        deliveries: vec![delivery(1, 0)],
        acked: vec![],
    };
    assert!(check_no_foreign_deltas(&clean, &final_with(state.clone(), 1), 9_000).is_empty());
    let mut fin = final_with(state, 1);
    if let Some(room) = fin.rooms.get_mut(&RoomId::new("r")) {
        room.seqs.insert(ReplicaId(9_001), 1);
    }
    let mut from_rogue = delivery(1, 1);
    from_rogue.origin = ReplicaId(9_001);
    let h = History {
        deliveries: vec![delivery(1, 0), from_rogue],
        acked: vec![],
    };
    let v = check_no_foreign_deltas(&h, &fin, 9_000);
    let names: Vec<_> = v.iter().map(|v| v.invariant).collect();
    assert_eq!(names, vec!["rogue_delta_logged", "rogue_delta_delivered"]);
}

#[test]
fn a_withdrawn_delta_found_in_storage_is_reported() {
    let (at, room) = (Instant::from_millis(5), RoomId::new("r"));
    assert!(check_withdrawn_not_logged(at, &room, ReplicaId(3), 4, 3).is_none());
    for durable in [4, 9] {
        let v = check_withdrawn_not_logged(at, &room, ReplicaId(3), 4, durable)
            .expect("storage holds the withdrawn seq 4");
        assert_eq!(v.invariant, "refused_logged");
    }
}

#[test]
fn an_internal_refusal_without_storage_faults_is_reported() {
    use syncwire_proto::wire::ErrorCode;
    let at = Instant::from_millis(5);
    let v = check_internal_refusal(at, 2, ErrorCode::INTERNAL, "boom", false);
    assert_eq!(
        v.expect("no failure explains it").invariant,
        "spurious_internal"
    );
    assert!(check_internal_refusal(at, 2, ErrorCode::INTERNAL, "boom", true).is_none());
    assert!(check_internal_refusal(at, 2, ErrorCode::FORBIDDEN, "no", false).is_none());
}
