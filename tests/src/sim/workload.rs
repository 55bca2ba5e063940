//! Random local operations ([`AnyOp`]) for rooms, by CRDT type tag: counters,
//! OR-set, map (with nested counters and sets), LWW register, MV register.

use syncwire_proto::crdt::{AnyOp, GCounterOp, LwwOp, MapOp, MvOp, OrSetOp, PnCounterOp, Value};
use syncwire_proto::rng::Rng;

fn small(rng: &mut Rng, max: u64) -> u64 {
    rng.below_inclusive(max)
}

fn value(rng: &mut Rng) -> Value {
    match small(rng, 2) {
        0 => Value::Int(small(rng, 20) as i64),
        1 => Value::Text(format!("v{}", small(rng, 20))),
        _ => Value::Bool(small(rng, 1) == 0),
    }
}

fn set_op(rng: &mut Rng) -> OrSetOp<Value> {
    match small(rng, 9) {
        0..=5 => OrSetOp::Add(Value::Int(small(rng, 15) as i64)),
        6..=8 => OrSetOp::Remove(Value::Int(small(rng, 15) as i64)),
        _ => OrSetOp::Clear,
    }
}

fn map_op(rng: &mut Rng) -> MapOp {
    // Each key keeps one value kind: k0-k2 registers, k3-k4 counters, k5 a set,
    // k6 a nested map.
    let k = small(rng, 6);
    let key = format!("k{k}");
    match small(rng, 11) {
        0 => return MapOp::remove(key),
        1 => return MapOp::Clear,
        _ => {}
    }
    match k {
        0..=2 => MapOp::set(key, value(rng)),
        3..=4 => MapOp::update(
            key,
            AnyOp::PnCounter(PnCounterOp::Increment(1 + small(rng, 4))),
        ),
        5 => MapOp::update(key, AnyOp::OrSet(set_op(rng))),
        _ => MapOp::nested(key, MapOp::set(format!("n{}", small(rng, 3)), value(rng))),
    }
}

/// One random local operation for a room of type `tag`; `None` for an unknown type.
pub fn random_op(tag: &str, rng: &mut Rng) -> Option<AnyOp> {
    let op = match tag {
        "gcounter" => AnyOp::GCounter(GCounterOp::Increment(1 + small(rng, 9))),
        "pncounter" => {
            let by = 1 + small(rng, 9);
            AnyOp::PnCounter(if small(rng, 2) == 0 {
                PnCounterOp::Decrement(by)
            } else {
                PnCounterOp::Increment(by)
            })
        }
        "orset" => AnyOp::OrSet(set_op(rng)),
        "map" => AnyOp::Map(map_op(rng)),
        "lww" => AnyOp::Lww(LwwOp::Set(value(rng))),
        "mvreg" => AnyOp::MvReg(MvOp::Set(value(rng))),
        _ => return None,
    };
    Some(op)
}
