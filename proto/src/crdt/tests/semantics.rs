//! What users rely on from each type: values, conflict resolution, and that
//! metadata stays small.

use crate::crdt::*;
use crate::wire::ReplicaId;

fn at(replica: u64, now: u64) -> OpContext {
    OpContext::new(ReplicaId(replica), now)
}

fn joined<C: DeltaCrdt>(a: &C, b: &C) -> C {
    let mut x = a.clone();
    x.merge(b);
    x
}

#[test]
fn counters_add_up_across_replicas() {
    let (mut a, mut b) = (PnCounter::default(), PnCounter::default());
    a.apply(PnCounterOp::Increment(5), &at(1, 0)).unwrap();
    b.apply(PnCounterOp::Decrement(7), &at(2, 0)).unwrap();
    b.apply(PnCounterOp::Increment(1), &at(2, 0)).unwrap();
    assert_eq!(joined(&a, &b).value(), -1);
    let mut g = GCounter::default();
    g.apply(GCounterOp::Increment(2), &at(1, 0)).unwrap();
    let d = g.apply(GCounterOp::Increment(3), &at(2, 0)).unwrap();
    assert_eq!((g.value(), d.value(), g.replicas()), (5, 3, 2));
}

#[test]
fn counter_overflow_is_an_error_and_changes_nothing() {
    let mut g = GCounter::default();
    g.apply(GCounterOp::Increment(u64::MAX), &at(1, 0)).unwrap();
    let before = g.clone();
    assert_eq!(
        g.apply(GCounterOp::Increment(1), &at(1, 0)),
        Err(CrdtError::Overflow("counter"))
    );
    assert_eq!(g, before);
    // Sums over replicas saturate rather than overflow.
    g.apply(GCounterOp::Increment(1), &at(2, 0)).unwrap();
    assert_eq!(g.value(), u64::MAX);
}

#[test]
fn lww_later_timestamp_wins_and_replica_breaks_ties() {
    let mut a = LwwRegister::<String>::default();
    let mut b = LwwRegister::<String>::default();
    let da = a.apply(LwwOp::Set("a".into()), &at(1, 200)).unwrap();
    let db = b.apply(LwwOp::Set("b".into()), &at(2, 100)).unwrap();
    assert_eq!(joined(&da, &db).get().map(String::as_str), Some("a"));
    let mut c = LwwRegister::<String>::default();
    let dc = c.apply(LwwOp::Set("c".into()), &at(3, 200)).unwrap();
    assert_eq!(joined(&da, &dc).get().map(String::as_str), Some("c"));
}

#[test]
fn lww_write_beats_the_value_it_saw_even_with_a_slow_clock() {
    let mut a = LwwRegister::<u32>::default();
    let d1 = a.apply(LwwOp::Set(1), &at(9, 5_000)).unwrap();
    let mut b = LwwRegister::<u32>::default();
    b.merge(&d1);
    // Replica 1's clock is far behind and its id is lower: it still wins.
    b.apply(LwwOp::Set(2), &at(1, 10)).unwrap();
    assert_eq!(b.get(), Some(&2));
    assert_eq!(b.stamp(), Some((5_001, ReplicaId(1))));
    a.merge(&b);
    assert_eq!(a.get(), Some(&2));
}

#[test]
fn mvreg_keeps_concurrent_writes_until_overwritten() {
    let (mut a, mut b) = (MvRegister::<u32>::default(), MvRegister::<u32>::default());
    a.apply(MvOp::Set(1), &at(1, 0)).unwrap();
    b.apply(MvOp::Set(2), &at(2, 0)).unwrap();
    a.merge(&b);
    assert!(a.is_conflicted());
    assert_eq!(a.values().copied().collect::<Vec<_>>(), vec![1, 2]);
    let d = a.apply(MvOp::Set(3), &at(1, 0)).unwrap();
    b.merge(&d);
    assert_eq!(b.values().copied().collect::<Vec<_>>(), vec![3]);
    b.apply(MvOp::Clear, &at(2, 0)).unwrap();
    assert_eq!(b.values().count(), 0);
}

#[test]
fn orset_add_wins_over_concurrent_remove() {
    let (mut a, mut b) = (OrSet::<u32>::default(), OrSet::<u32>::default());
    let add = a.apply(OrSetOp::Add(7), &at(1, 0)).unwrap();
    b.merge(&add);
    let remove = b.apply(OrSetOp::Remove(7), &at(2, 0)).unwrap();
    let readd = a.apply(OrSetOp::Add(7), &at(1, 0)).unwrap();
    a.merge(&remove);
    b.merge(&readd);
    assert!(a.contains(&7) && b.contains(&7));
    assert_eq!(a, b);
    // A remove that has seen the add does remove it.
    let remove = a.apply(OrSetOp::Remove(7), &at(1, 0)).unwrap();
    b.merge(&remove);
    assert!(b.is_empty());
}

#[test]
fn orset_metadata_stays_one_counter_per_writer() {
    let (mut a, mut b) = (OrSet::<u32>::default(), OrSet::<u32>::default());
    for i in 0..500u32 {
        let (me, other, r) = if i % 2 == 0 {
            (&mut a, &mut b, 1)
        } else {
            (&mut b, &mut a, 2)
        };
        let op = if i % 3 == 0 {
            OrSetOp::Remove(i % 5)
        } else {
            OrSetOp::Add(i % 5)
        };
        let d = me.apply(op, &at(r, 0)).unwrap();
        other.merge(&d);
    }
    assert_eq!(a, b);
    assert!(a.len() <= 5);
    assert_eq!(a.context().stored_len(), 2, "no tombstones, no dot cloud");
}

#[test]
fn out_of_order_dots_wait_in_the_cloud_and_fold_in_when_the_gap_fills() {
    let mut a = OrSet::<u32>::default();
    let d1 = a.apply(OrSetOp::Add(1), &at(1, 0)).unwrap();
    let d2 = a.apply(OrSetOp::Add(2), &at(1, 0)).unwrap();
    let d3 = a.apply(OrSetOp::Add(3), &at(1, 0)).unwrap();
    let mut b = OrSet::<u32>::default();
    b.merge(&d3);
    b.merge(&d2);
    assert_eq!(b.context().stored_len(), 2, "dots 2 and 3 wait for dot 1");
    b.merge(&d1);
    assert_eq!(b.context().stored_len(), 1);
    assert_eq!(a, b);
}

fn todo_title(m: &OrMap, id: &str) -> Option<Value> {
    m.get(id)?.as_map()?.get("title")?.as_lww().cloned()
}

#[test]
fn map_models_a_todo_list() {
    let (mut a, mut b) = (OrMap::default(), OrMap::default());
    let d = a
        .apply(MapOp::nested("t1", MapOp::set("title", "milk")), &at(1, 10))
        .unwrap();
    b.merge(&d);
    let d = b
        .apply(MapOp::nested("t1", MapOp::set("done", true)), &at(2, 11))
        .unwrap();
    a.merge(&d);
    assert_eq!(todo_title(&a, "t1"), Some(Value::from("milk")));
    let view = a.to_value();
    let Value::Map(items) = view else {
        panic!("map")
    };
    let Some(Value::Map(t1)) = items.get("t1") else {
        panic!("item")
    };
    assert_eq!(t1.get("done"), Some(&Value::Bool(true)));
    assert_eq!(a, b);
}

#[test]
fn map_update_wins_over_concurrent_remove_and_removed_keys_leave_no_state() {
    let (mut a, mut b) = (OrMap::default(), OrMap::default());
    let d = a.apply(MapOp::set("x", 1), &at(1, 0)).unwrap();
    b.merge(&d);
    let remove = a.apply(MapOp::remove("x"), &at(1, 0)).unwrap();
    let update = b.apply(MapOp::set("x", 2), &at(2, 1)).unwrap();
    a.merge(&update);
    b.merge(&remove);
    assert_eq!(a, b);
    assert_eq!(
        a.get("x").and_then(|v| v.as_lww().cloned()),
        Some(Value::Int(2))
    );
    // Removing what is seen frees the nested state; only the context remains.
    let small = OrMap::default().encode().unwrap().len();
    let d = a.apply(MapOp::remove("x"), &at(1, 0)).unwrap();
    b.merge(&d);
    assert!(b.is_empty());
    assert!(b.encode().unwrap().len() <= small + 12);
}

#[test]
fn map_type_conflicts_resolve_to_the_same_kind_everywhere() {
    let (mut a, mut b) = (OrMap::default(), OrMap::default());
    let da = a
        .apply(
            MapOp::update("k", AnyOp::GCounter(GCounterOp::Increment(1))),
            &at(1, 0),
        )
        .unwrap();
    let db = b.apply(MapOp::set("k", "text"), &at(2, 0)).unwrap();
    a.merge(&db);
    b.merge(&da);
    assert_eq!(a, b);
    assert_eq!(a.get("k").map(|v| v.kind()), Some("lww"));
    // An operation of the wrong kind is a caller error.
    let err = a.apply(
        MapOp::update("k", AnyOp::GCounter(GCounterOp::Increment(1))),
        &at(1, 0),
    );
    assert_eq!(
        err,
        Err(CrdtError::TypeMismatch {
            op: "gcounter",
            found: "lww"
        })
    );
}

#[test]
fn map_nesting_is_bounded() {
    let mut op = MapOp::set("leaf", 1);
    for _ in 0..MAX_MAP_DEPTH - 1 {
        op = MapOp::nested("n", op);
    }
    let mut m = OrMap::default();
    let d = m.apply(op.clone(), &at(1, 0)).unwrap();
    assert_eq!(OrMap::decode(&d.encode().unwrap()).unwrap(), d);
    let too_deep = MapOp::nested("n", op);
    assert_eq!(
        m.apply(too_deep, &at(1, 0)),
        Err(CrdtError::TooDeep { max: MAX_MAP_DEPTH })
    );
}

fn set_items(m: &OrMap, key: &str) -> Vec<Value> {
    match m.get(key).map(|v| v.to_value()) {
        Some(Value::List(items)) => items,
        _ => Vec::new(),
    }
}

#[test]
fn recreated_key_does_not_resurrect_what_its_creator_removed() {
    let add = |v: &str| MapOp::update("s", AnyOp::OrSet(OrSetOp::Add(v.into())));
    let (mut a, mut b) = (OrMap::default(), OrMap::default());
    let d = a.apply(add("y"), &at(1, 0)).unwrap();
    b.merge(&d);
    let remove = a.apply(MapOp::remove("s"), &at(1, 0)).unwrap();
    let recreate = a.apply(add("z"), &at(1, 0)).unwrap();
    // B sees the re-creation before the remove, and edits in between.
    b.merge(&recreate);
    assert_eq!(set_items(&b, "s"), vec![Value::from("z")]);
    let edit = b.apply(add("w"), &at(2, 0)).unwrap();
    b.merge(&remove);
    a.merge(&edit);
    assert_eq!(a, b);
    assert_eq!(set_items(&a, "s"), vec![Value::from("w"), Value::from("z")]);
}
