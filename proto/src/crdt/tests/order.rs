//! Input order does not matter, and costs no more than a sort: the CRDTs' inner
//! collections are sorted vectors (`vecmap`), built from decoded input by one sort.
//!
//! * A causal context built from version-vector entries and cloud dots in any order
//!   (repeated, covered, out of order) holds exactly the dots of a `BTreeSet` model,
//!   compacted; `union` and `extend` agree with the model and report a change
//!   exactly when the model changes.
//! * Large payloads — a multi-value register, an OR-set element, a map key with tens
//!   of thousands of entries, a set and a map of tens of thousands of elements or
//!   keys, a counter and a context — decode to the same value
//!   whether their lists come ascending (the canonical encoding), descending or
//!   shuffled, with repeated dots and repeated keys resolved as the B-tree decoder
//!   did (largest register value, merged map values, united set dots, largest
//!   count). A quadratic construction would show as a slow test, not a failure:
//!   nothing here is timed.

use std::collections::BTreeSet;

use quickcheck::QuickCheck;
use serde::Serialize;

use crate::crdt::codec;
use crate::crdt::*;
use crate::wire::ReplicaId;

/// Entries per large payload: enough that an O(n²) build would be obvious (~10⁹
/// moves), small enough for a debug build.
const N: u64 = 30_000;

type Pairs = Vec<(u64, u64)>;
/// Raw version-vector entries and cloud dots of one context.
type RawContext = (Vec<(u8, u8)>, Vec<(u8, u8)>);

fn qc() -> QuickCheck {
    QuickCheck::new().tests(500)
}

/// The dots a context of `vv` and `cloud` stands for.
fn dots_of(vv: &Pairs, cloud: &Pairs) -> BTreeSet<(u64, u64)> {
    let mut set = BTreeSet::new();
    for &(r, m) in vv {
        set.extend((1..=m).map(|c| (r, c)));
    }
    set.extend(cloud.iter().copied().filter(|&(_, c)| c > 0));
    set
}

/// Small replicas and counters, so entries repeat, overlap and continue each other.
fn small(raw: &[(u8, u8)]) -> Pairs {
    raw.iter()
        .map(|&(r, c)| (u64::from(r % 4), u64::from(c % 10)))
        .collect()
}

fn context(vv: &Pairs, cloud: &Pairs) -> CausalContext {
    let cloud: Vec<Dot> = cloud
        .iter()
        .filter(|&&(_, c)| c > 0)
        .map(|&(r, c)| Dot {
            replica: ReplicaId(r),
            counter: c,
        })
        .collect();
    CausalContext::from((vv.clone(), cloud))
}

/// `cc` holds exactly `model`, and is compacted: every cloud dot is above its
/// replica's counter + 1, both lists strictly ascending.
fn holds(cc: &CausalContext, model: &BTreeSet<(u64, u64)>) -> bool {
    let all = (0..5).all(|r| {
        let replica = ReplicaId(r);
        let max = model
            .range((r, 0)..=(r, u64::MAX))
            .next_back()
            .map_or(0, |d| d.1);
        cc.max(replica) == max
            && (1..25).all(|c| {
                let dot = Dot {
                    replica,
                    counter: c,
                };
                cc.contains(dot) == model.contains(&(r, c))
            })
    });
    let vv: Vec<(ReplicaId, u64)> = cc.vv_iter().collect();
    let cloud: Vec<Dot> = cc.cloud_iter().copied().collect();
    let compact = cloud.iter().all(|d| {
        let max = vv.iter().find(|(r, _)| *r == d.replica).map_or(0, |e| e.1);
        d.counter > max + 1
    });
    all && compact
        && vv.windows(2).all(|w| w[0].0 < w[1].0)
        && vv.iter().all(|e| e.1 > 0)
        && cloud.windows(2).all(|w| w[0] < w[1])
        && cc.stored_len() == vv.len() + cloud.len()
}

#[test]
fn a_context_in_any_order_is_its_dot_set() {
    fn prop(vv: Vec<(u8, u8)>, cloud: Vec<(u8, u8)>, more: Vec<(u8, u8)>) -> bool {
        let (vv, cloud, more) = (small(&vv), small(&cloud), small(&more));
        let mut model = dots_of(&vv, &cloud);
        let mut cc = context(&vv, &cloud);
        let mut reversed = vv.clone();
        reversed.reverse();
        let mut cloud_reversed = cloud.clone();
        cloud_reversed.reverse();
        let same_reversed = context(&reversed, &cloud_reversed) == cc;
        let built = holds(&cc, &model);
        cc.extend(more.iter().filter(|d| d.1 > 0).map(|&(r, c)| Dot {
            replica: ReplicaId(r),
            counter: c,
        }));
        model.extend(more.iter().copied().filter(|d| d.1 > 0));
        same_reversed && built && holds(&cc, &model)
    }
    qc().quickcheck(prop as fn(Vec<(u8, u8)>, Vec<(u8, u8)>, Vec<(u8, u8)>) -> bool);
}

#[test]
fn union_is_the_union_of_dot_sets() {
    fn prop(a: RawContext, b: RawContext) -> bool {
        let (va, ca, vb, cb) = (small(&a.0), small(&a.1), small(&b.0), small(&b.1));
        let (mut x, y) = (context(&va, &ca), context(&vb, &cb));
        let (mut model, other) = (dots_of(&va, &ca), dots_of(&vb, &cb));
        let before = model.len();
        model.extend(other);
        let changed = x.union(&y);
        changed == (model.len() != before) && holds(&x, &model)
    }
    qc().quickcheck(
        prop as fn((Vec<(u8, u8)>, Vec<(u8, u8)>), (Vec<(u8, u8)>, Vec<(u8, u8)>)) -> bool,
    );
}

/// A deterministic shuffle (xorshift), so a failure reproduces.
fn shuffled<T>(mut v: Vec<T>) -> Vec<T> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in (1..v.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let j = usize::try_from(x % (i as u64 + 1)).unwrap_or(0);
        v.swap(i, j);
    }
    v
}

/// The orders a payload's list may come in besides ascending.
fn orders<T: Clone>(ascending: &[T]) -> [Vec<T>; 2] {
    let mut descending = ascending.to_vec();
    descending.reverse();
    [descending, shuffled(ascending.to_vec())]
}

fn bytes<T: Serialize>(v: &T) -> Vec<u8> {
    codec::encode("test", v).expect("encodes")
}

/// Decodes `payload` as `C`, checks it against `want` and that its encoding is
/// canonical (decodes to itself).
fn decodes_to<C: DeltaCrdt>(payload: &[u8], want: &C) {
    let got = C::decode(payload).expect("decodes");
    assert!(got == *want, "{} decodes differently", C::TAG);
    let again = got.encode().expect("encodes");
    assert_eq!(C::decode(&again).expect("decodes"), *want);
}

/// Dot `i` of a large payload: three per replica, counters 1, 3 and 5, so the
/// context gains vector entries (1) and cloud dots (3 and 5).
fn dot(i: u64) -> (u64, u64) {
    (i / 3 + 1, (i % 3) * 2 + 1)
}

#[test]
fn a_large_multi_value_register_decodes_the_same_in_any_order() {
    type Entries = Vec<(u64, u64, Value)>;
    let cc: (Pairs, Pairs) = (vec![], vec![]);
    let asc: Entries = (0..N)
        .map(|i| {
            let (r, c) = dot(i);
            (r, c, Value::Int(i as i64))
        })
        .collect();
    let want = MvRegister::<Value>::decode(&bytes(&(&asc, &cc))).expect("decodes");
    assert_eq!(want.values().count() as u64, N);
    assert_eq!(want.context().stored_len() as u64, N / 3 + 2 * N / 3);
    for list in orders(&asc) {
        decodes_to(&bytes(&(&list, &cc)), &want);
    }
    // Every dot twice, the second time with a smaller or a larger value: the
    // largest is kept, whatever the order.
    let mut twice = asc.clone();
    for (i, e) in asc.iter().enumerate() {
        let delta = if i % 2 == 0 { -1 } else { 1 };
        twice.push((e.0, e.1, Value::Int(i as i64 + delta)));
    }
    let larger: Entries = (0..N)
        .map(|i| {
            let (r, c) = dot(i);
            (r, c, Value::Int(i as i64 + i64::from(i % 2 == 1)))
        })
        .collect();
    let want = MvRegister::<Value>::decode(&bytes(&(&larger, &cc))).expect("decodes");
    for list in orders(&twice) {
        decodes_to(&bytes(&(&list, &cc)), &want);
    }
}

#[test]
fn a_large_context_and_counter_decode_the_same_in_any_order() {
    // A version vector of N replicas, a cloud of N dots (every replica's 3rd and
    // 5th), and the same repeated with smaller counters (the largest is kept).
    let vv: Pairs = (1..=N).map(|r| (r, 1)).collect();
    let cloud: Pairs = (1..=N).flat_map(|r| [(r, 3), (r, 5)]).collect();
    let no_entries: Vec<(u64, u64, Value)> = vec![];
    let want = MvRegister::<Value>::decode(&bytes(&(&no_entries, (&vv, &cloud)))).expect("decodes");
    assert_eq!(want.context().stored_len() as u64, 3 * N);
    let mut vv_more = vv.clone();
    vv_more.extend((1..=N).map(|r| (r, 0)));
    vv_more.extend(vv.iter().copied());
    for (vv, cloud) in orders(&vv_more).into_iter().zip(orders(&cloud)) {
        decodes_to(&bytes(&(&no_entries, (vv, cloud))), &want);
    }

    let counts: Pairs = (1..=N).map(|r| (r, r)).collect();
    let want = GCounter::decode(&bytes(&counts)).expect("decodes");
    assert_eq!(want.replicas() as u64, N);
    let mut more = counts.clone();
    more.extend(counts.iter().map(|&(r, c)| (r, c - 1)));
    for list in orders(&more) {
        decodes_to(&bytes(&list), &want);
    }
}

#[test]
fn a_large_set_element_decodes_the_same_in_any_order() {
    let cc: (Pairs, Pairs) = (vec![], vec![]);
    let dots: Pairs = (0..N).map(dot).collect();
    let one = |dots: &Pairs| bytes(&(vec![(Value::Int(7), dots)], &cc));
    let want = OrSet::<Value>::decode(&one(&dots)).expect("decodes");
    assert_eq!(want.len(), 1);
    let mut twice = dots.clone();
    twice.extend(dots.iter().copied());
    for list in orders(&twice) {
        decodes_to(&one(&list), &want);
    }
    // The element repeated once per dot: its dots united.
    let each: Vec<(Value, Pairs)> = dots.iter().map(|d| (Value::Int(7), vec![*d])).collect();
    for list in orders(&each) {
        decodes_to(&bytes(&(list, &cc)), &want);
    }
    // N elements of one dot each, in any order.
    let many: Vec<(Value, Pairs)> = (0..N)
        .map(|i| (Value::Int(i as i64), vec![dot(i)]))
        .collect();
    let want = OrSet::<Value>::decode(&bytes(&(&many, &cc))).expect("decodes");
    assert_eq!(want.len() as u64, N);
    for list in orders(&many) {
        decodes_to(&bytes(&(list, &cc)), &want);
    }
}

#[test]
fn a_large_map_key_decodes_the_same_in_any_order() {
    type Entries = Vec<(u64, u64, AnyCrdt)>;
    let cc: (Pairs, Pairs) = (vec![], vec![]);
    let counter = |r: u64, n: u64| AnyCrdt::GCounter(GCounter::from_pairs([(r, n)]));
    let asc: Entries = (0..N)
        .map(|i| {
            let (r, c) = dot(i);
            (r, c, counter(r, c))
        })
        .collect();
    let one = |entries: &Entries| bytes(&(vec![("k", entries)], &cc));
    let want = OrMap::decode(&one(&asc)).expect("decodes");
    assert_eq!(want.len(), 1);
    assert_eq!(
        want.get("k").and_then(|v| v.to_value().as_i64()),
        Some((N / 3 * 5) as i64)
    );
    for list in orders(&asc) {
        decodes_to(&one(&list), &want);
    }
    // N keys of one entry each, in any order.
    let keys: Vec<String> = (0..N).map(|i| format!("k{i}")).collect();
    let many: Vec<(&str, Entries)> = keys
        .iter()
        .zip(&asc)
        .map(|(k, e)| (k.as_str(), vec![e.clone()]))
        .collect();
    let want_many = OrMap::decode(&bytes(&(&many, &cc))).expect("decodes");
    assert_eq!(want_many.len() as u64, N);
    for list in orders(&many) {
        decodes_to(&bytes(&(list, &cc)), &want_many);
    }
    // The key repeated once per entry: its entries united.
    let each: Vec<(&str, Entries)> = asc.iter().map(|e| ("k", vec![e.clone()])).collect();
    for list in orders(&each) {
        decodes_to(&bytes(&(list, &cc)), &want);
    }
    // Every dot twice, the second time with another replica's count: the two
    // values merged (the B-tree decoder's rule), whatever the order.
    let mut twice = asc.clone();
    twice.extend(asc.iter().map(|&(r, c, _)| (r, c, counter(0, c))));
    let merged: Entries = asc
        .iter()
        .map(|&(r, c, ref v)| {
            let mut v = v.clone();
            v.merge(&counter(0, c));
            (r, c, v)
        })
        .collect();
    let want = OrMap::decode(&one(&merged)).expect("decodes");
    for list in orders(&twice) {
        decodes_to(&one(&list), &want);
    }
}

/// A `Value::Map` (`ValueMap`, a sorted vector) is what a `BTreeMap` of the same
/// entries is: collected or decoded — hand-written CBOR and serde — from entries in
/// any order with repeated keys (the last value kept), compared, printed.
#[test]
fn a_value_map_is_the_btree_of_its_entries() {
    use std::collections::BTreeMap;

    fn entries(raw: &[(u8, i8)]) -> Vec<(String, Value)> {
        raw.iter()
            .map(|&(k, x)| (format!("k{}", k % 8), Value::Int(x.into())))
            .collect()
    }
    fn cbor(entries: &[(String, Value)]) -> ciborium::Value {
        ciborium::Value::Map(
            entries
                .iter()
                .map(|(k, v)| {
                    let x = v.as_i64().unwrap_or(0);
                    (
                        ciborium::Value::Text(k.clone()),
                        ciborium::Value::Integer(x.into()),
                    )
                })
                .collect(),
        )
    }
    fn prop(a: Vec<(u8, i8)>, b: Vec<(u8, i8)>) -> bool {
        let (ea, eb) = (entries(&a), entries(&b));
        let (va, vb): (ValueMap, ValueMap) =
            (ea.iter().cloned().collect(), eb.iter().cloned().collect());
        let (ba, bb): (BTreeMap<String, Value>, BTreeMap<String, Value>) =
            (ea.iter().cloned().collect(), eb.iter().cloned().collect());
        let lww = bytes(&(1u64, 2u64, cbor(&ea)));
        let by_hand = LwwRegister::<Value>::decode(&lww).expect("decodes");
        let by_serde: Value = codec::decode("value", &bytes(&cbor(&ea))).expect("decodes");
        let want = Value::Map(va.clone());
        va.iter().eq(ba.iter())
            && va.cmp(&vb) == ba.cmp(&bb)
            && (va == vb) == (ba == bb)
            && format!("{va:?}") == format!("{ba:?}")
            && BTreeMap::from(va.clone()) == ba
            && ValueMap::from(ba) == va
            && by_hand.get() == Some(&want)
            && by_serde == want
            && bytes(&want)
                == bytes(&cbor(
                    &va.iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect::<Vec<_>>(),
                ))
    }
    qc().quickcheck(prop as fn(Vec<(u8, i8)>, Vec<(u8, i8)>) -> bool);
}
