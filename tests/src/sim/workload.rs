//! Random local operations on proto CRDT documents, by type tag: counters,
//! OR-set, map (with nested counters and sets), LWW register, MV register.

use syncwire_proto::crdt::{
    AnyOp, CrdtError, DynDocument, GCounter, GCounterOp, LwwOp, LwwRegister, MapOp, MvOp,
    MvRegister, OrMap, OrSet, OrSetOp, PnCounter, PnCounterOp, Value,
};
use syncwire_proto::rng::Rng;
use syncwire_proto::time::WallClockMillis;

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

/// Applies one random local operation to `doc` (of type `tag`) at wall-clock
/// `wall` and returns the encoded delta. `Ok(None)` for an unknown type.
pub fn random_op(
    tag: &str,
    doc: &mut (dyn DynDocument + 'static),
    rng: &mut Rng,
    wall: WallClockMillis,
) -> Result<Option<Vec<u8>>, CrdtError> {
    let delta = match tag {
        "gcounter" => doc
            .downcast_mut::<GCounter>()
            .map(|d| d.apply_local(GCounterOp::Increment(1 + small(rng, 9)), wall)),
        "pncounter" => doc.downcast_mut::<PnCounter>().map(|d| {
            let by = 1 + small(rng, 9);
            let op = if small(rng, 2) == 0 {
                PnCounterOp::Decrement(by)
            } else {
                PnCounterOp::Increment(by)
            };
            d.apply_local(op, wall)
        }),
        "orset" => doc
            .downcast_mut::<OrSet<Value>>()
            .map(|d| d.apply_local(set_op(rng), wall)),
        "map" => doc
            .downcast_mut::<OrMap>()
            .map(|d| d.apply_local(map_op(rng), wall)),
        "lww" => doc
            .downcast_mut::<LwwRegister<Value>>()
            .map(|d| d.apply_local(LwwOp::Set(value(rng)), wall)),
        "mvreg" => doc
            .downcast_mut::<MvRegister<Value>>()
            .map(|d| d.apply_local(MvOp::Set(value(rng)), wall)),
        _ => None,
    };
    delta.transpose()
}
