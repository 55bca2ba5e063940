//! Random operation scripts over three replicas, shared by the law tests.
//!
//! A [`Script`] is a sequence of local operations, delta deliveries (in any
//! order, with duplicates) and full-state syncs between three replicas. Running
//! it yields the replica states and every delta produced, a pool of values that
//! are reachable, which is what the merge laws quantify over.

use quickcheck::{Arbitrary, Gen};

use crate::crdt::{
    AnyCrdt, AnyOp, DeltaCrdt, GCounter, GCounterOp, LwwOp, LwwRegister, MapOp, MvOp, MvRegister,
    OpContext, OrMap, OrSet, OrSetOp, PnCounter, PnCounterOp, Value,
};
use crate::wire::ReplicaId;

/// A CRDT type the law tests can drive.
pub(super) trait Subject: DeltaCrdt {
    /// A random operation from a small domain (so operations collide).
    fn arb_op(g: &mut Gen) -> Self::Op;
}

/// One step of a script.
#[derive(Clone, Debug)]
pub(super) enum Step<Op> {
    Local { replica: usize, op: Op, now: u64 },
    Deliver { to: usize, delta: usize },
    Sync { from: usize, to: usize },
}

/// A random script over three replicas.
#[derive(Clone, Debug)]
pub(super) struct Script<C: Subject> {
    pub steps: Vec<Step<C::Op>>,
}

fn below(g: &mut Gen, n: usize) -> usize {
    usize::arbitrary(g) % n
}

impl<C: Subject> Arbitrary for Script<C> {
    fn arbitrary(g: &mut Gen) -> Self {
        let len = below(g, 24);
        let steps = (0..len)
            .map(|_| match below(g, 20) {
                0..=11 => Step::Local {
                    replica: below(g, 3),
                    op: C::arb_op(g),
                    now: below(g, 4) as u64,
                },
                12..=16 => Step::Deliver {
                    to: below(g, 3),
                    delta: usize::arbitrary(g),
                },
                _ => Step::Sync {
                    from: below(g, 3),
                    to: below(g, 3),
                },
            })
            .collect();
        Script { steps }
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        let steps = self.steps.clone();
        Box::new((0..steps.len()).rev().map(move |i| {
            let mut s = steps.clone();
            s.remove(i);
            Script { steps: s }
        }))
    }
}

/// The outcome of a script: replica states and all deltas, in creation order.
pub(super) struct Run<C> {
    pub replicas: Vec<C>,
    pub deltas: Vec<C>,
}

impl<C> Run<C> {
    /// Every state and delta: the values laws quantify over.
    pub fn pool(&self) -> Vec<&C> {
        self.replicas.iter().chain(self.deltas.iter()).collect()
    }
}

/// Runs a script; operations that fail (type mismatches) are skipped.
pub(super) fn run<C: Subject>(script: &Script<C>) -> Run<C> {
    let mut replicas = vec![C::default(), C::default(), C::default()];
    let mut deltas: Vec<C> = Vec::new();
    for step in &script.steps {
        match step {
            Step::Local { replica, op, now } => {
                let ctx = OpContext::new(ReplicaId(*replica as u64 + 1), *now);
                if let Some(r) = replicas.get_mut(*replica) {
                    if let Ok(delta) = r.apply(op.clone(), &ctx) {
                        deltas.push(delta);
                    }
                }
            }
            Step::Deliver { to, delta } => {
                if !deltas.is_empty() {
                    let d = deltas[delta % deltas.len()].clone();
                    replicas[*to].merge(&d);
                }
            }
            Step::Sync { from, to } => {
                let s = replicas[*from].clone();
                replicas[*to].merge(&s);
            }
        }
    }
    Run { replicas, deltas }
}

/// `a ⊔ b`, by value.
pub(super) fn join<C: DeltaCrdt>(a: &C, b: &C) -> C {
    let mut x = a.clone();
    x.merge(b);
    x
}

fn small_u8(g: &mut Gen) -> u8 {
    below(g, 4) as u8
}

pub(super) fn arb_value(g: &mut Gen) -> Value {
    match below(g, 10) {
        0 => Value::Null,
        1 => Value::Bool(bool::arbitrary(g)),
        2 | 3 => Value::Int(below(g, 3) as i64 - 1),
        4 => Value::Float(
            *g.choose(&[0.5, -0.0, f64::NAN, f64::INFINITY])
                .unwrap_or(&0.0),
        ),
        5 | 6 => Value::Text(g.choose(&["a", "b", ""]).unwrap_or(&"a").to_string()),
        7 => Value::Bytes(vec![small_u8(g)]),
        8 => Value::List(vec![Value::Int(1), Value::Text("x".into())]),
        _ => Value::Map([("k".to_string(), Value::Int(below(g, 2) as i64))].into()),
    }
}

impl Subject for GCounter {
    fn arb_op(g: &mut Gen) -> GCounterOp {
        GCounterOp::Increment(below(g, 5) as u64)
    }
}

impl Subject for PnCounter {
    fn arb_op(g: &mut Gen) -> PnCounterOp {
        if bool::arbitrary(g) {
            PnCounterOp::Increment(below(g, 5) as u64)
        } else {
            PnCounterOp::Decrement(below(g, 5) as u64)
        }
    }
}

impl Subject for LwwRegister<Value> {
    fn arb_op(g: &mut Gen) -> LwwOp<Value> {
        LwwOp::Set(arb_value(g))
    }
}

impl Subject for LwwRegister<u8> {
    fn arb_op(g: &mut Gen) -> LwwOp<u8> {
        LwwOp::Set(small_u8(g))
    }
}

impl Subject for MvRegister<Value> {
    fn arb_op(g: &mut Gen) -> MvOp<Value> {
        if below(g, 5) == 0 {
            MvOp::Clear
        } else {
            MvOp::Set(arb_value(g))
        }
    }
}

impl Subject for OrSet<u8> {
    fn arb_op(g: &mut Gen) -> OrSetOp<u8> {
        match below(g, 9) {
            0..=4 => OrSetOp::Add(small_u8(g)),
            5..=7 => OrSetOp::Remove(small_u8(g)),
            _ => OrSetOp::Clear,
        }
    }
}

impl Subject for OrSet<Value> {
    fn arb_op(g: &mut Gen) -> OrSetOp<Value> {
        match below(g, 9) {
            0..=4 => OrSetOp::Add(arb_value(g)),
            5..=7 => OrSetOp::Remove(arb_value(g)),
            _ => OrSetOp::Clear,
        }
    }
}

fn arb_any_op(g: &mut Gen, depth: usize) -> AnyOp {
    match below(g, if depth < 2 { 6 } else { 5 }) {
        0 => AnyOp::GCounter(GCounter::arb_op(g)),
        1 => AnyOp::PnCounter(PnCounter::arb_op(g)),
        2 => AnyOp::Lww(LwwRegister::<Value>::arb_op(g)),
        3 => AnyOp::MvReg(MvRegister::<Value>::arb_op(g)),
        4 => AnyOp::OrSet(OrSet::<Value>::arb_op(g)),
        _ => AnyOp::Map(arb_map_op(g, depth + 1)),
    }
}

fn arb_map_op(g: &mut Gen, depth: usize) -> MapOp {
    let key = *g.choose(&["a", "b", "c", "d"]).unwrap_or(&"a");
    match below(g, 12) {
        0..=2 => MapOp::remove(key),
        3 => MapOp::Clear,
        // Stable kinds per key, plus "d" which takes any kind (type conflicts).
        _ => match key {
            "a" => MapOp::update(key, AnyOp::PnCounter(PnCounter::arb_op(g))),
            "b" => MapOp::set(key, arb_value(g)),
            "c" if depth < 2 => MapOp::nested(key, arb_map_op(g, depth + 1)),
            "c" => MapOp::update(key, AnyOp::OrSet(OrSet::<Value>::arb_op(g))),
            _ => MapOp::update(key, arb_any_op(g, depth)),
        },
    }
}

impl Subject for OrMap {
    fn arb_op(g: &mut Gen) -> MapOp {
        arb_map_op(g, 0)
    }
}

impl Subject for AnyCrdt {
    fn arb_op(g: &mut Gen) -> AnyOp {
        arb_any_op(g, 0)
    }
}

#[cfg(feature = "ydoc")]
impl Subject for crate::crdt::YDoc {
    fn arb_op(g: &mut Gen) -> crate::crdt::YOp {
        use crate::crdt::YOp;
        let text = *g.choose(&["t", "u"]).unwrap_or(&"t");
        match below(g, 10) {
            0..=5 => YOp::insert_text(
                text,
                below(g, 3),
                g.choose(&["a", "bc", "é", "😀"]).unwrap_or(&"a"),
            ),
            6..=7 => YOp::delete_text(text, below(g, 2), below(g, 3)),
            _ => {
                let (key, value) = (below(g, 2).to_string(), below(g, 3) as i64);
                YOp::transact(move |txn| {
                    use yrs::{Map, WriteTxn};
                    let m = txn.get_or_insert_map("m");
                    m.insert(txn, key.as_str(), value);
                })
            }
        }
    }
}
