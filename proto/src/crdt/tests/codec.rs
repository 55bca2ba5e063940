//! The documented encodings (docs/CRDTS.md) and the bounds of decoding.

use crate::crdt::codec::check_cbor;
use crate::crdt::*;
use crate::wire::ReplicaId;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn at(replica: u64, now: u64) -> OpContext {
    OpContext::new(ReplicaId(replica), now)
}

fn encodes_as<C: DeltaCrdt>(value: &C, expected: &str) {
    assert_eq!(value.encode().unwrap(), hex(expected), "{value:?}");
    assert_eq!(&C::decode(&hex(expected)).unwrap(), value);
}

#[test]
fn documented_examples_encode_and_decode() {
    let d = GCounter::default()
        .prepare(GCounterOp::Increment(3), &at(1, 0))
        .unwrap();
    encodes_as(&d, "81820103");
    let mut p = PnCounter::default();
    p.apply(PnCounterOp::Increment(5), &at(1, 0)).unwrap();
    p.apply(PnCounterOp::Decrement(2), &at(2, 0)).unwrap();
    encodes_as(&p, "828182010581820202");
    let d = LwwRegister::<Value>::default()
        .prepare(LwwOp::Set("hi".into()), &at(1, 1000))
        .unwrap();
    encodes_as(&d, "831903e801626869");
    encodes_as(&LwwRegister::<Value>::default(), "f6");
    let d = MvRegister::<Value>::default()
        .prepare(MvOp::Set(Value::Int(7)), &at(1, 0))
        .unwrap();
    encodes_as(&d, "828183010107828182010180");
    let mut s = OrSet::<Value>::default();
    let add = s.apply(OrSetOp::Add("x".into()), &at(1, 0)).unwrap();
    encodes_as(&add, "828182617881820101828182010180");
    let remove = s.apply(OrSetOp::Remove("x".into()), &at(1, 0)).unwrap();
    encodes_as(&remove, "8280828182010180");
    let d = OrMap::default()
        .prepare(MapOp::set("title", "milk"), &at(1, 1000))
        .unwrap();
    encodes_as(
        &d,
        "828182657469746c658183010182636c7777831903e801646d696c6b828182010180",
    );
    encodes_as(&AnyCrdt::Empty, "8265656d707479f6");
}

#[test]
fn typed_values_decode_as_dynamic_values() {
    let d = LwwRegister::<String>::default()
        .prepare(LwwOp::Set("hi".into()), &at(1, 1000))
        .unwrap();
    let dynamic = LwwRegister::<Value>::decode(&d.encode().unwrap()).unwrap();
    assert_eq!(dynamic.get(), Some(&Value::from("hi")));
    // Byte strings are CBOR byte strings (major type 2), not arrays.
    let b = LwwRegister::<Value>::default()
        .prepare(LwwOp::Set(Value::Bytes(vec![1, 2])), &at(1, 0))
        .unwrap();
    assert_eq!(b.encode().unwrap(), hex("830001420102"));
}

#[test]
fn oversized_input_is_rejected_before_parsing() {
    let big = vec![0u8; MAX_ENCODED_BYTES + 1];
    assert_eq!(
        GCounter::decode(&big),
        Err(CrdtError::TooLarge {
            size: MAX_ENCODED_BYTES + 1,
            max: MAX_ENCODED_BYTES
        })
    );
}

#[test]
fn malformed_structure_is_rejected() {
    let cases: &[(&str, &str)] = &[
        ("9b00000000ffffffff", "array longer than the input"),
        ("5b00000000ffffffff", "byte string longer than the input"),
        ("bb00000000ffffffff", "map longer than the input"),
        ("9f01ff", "indefinite array"),
        ("c24101", "tag"),
        ("f7", "undefined"),
        ("8101", "gcounter entry not a pair"),
        ("810000", "trailing bytes"),
        ("", "empty"),
        ("ff", "break"),
    ];
    for (input, why) in cases {
        assert!(GCounter::decode(&hex(input)).is_err(), "{why}");
    }
    // A zero dot counter is invalid.
    assert!(OrSet::<u8>::decode(&hex("828182018182010080828180")).is_err());
    // Integers beyond i64 do not fit a dynamic value.
    assert!(LwwRegister::<Value>::decode(&hex("8300011bffffffffffffffff")).is_err());
    assert!(LwwRegister::<Value>::decode(&hex("8300013bffffffffffffffff")).is_err());
}

#[test]
fn deep_nesting_is_rejected_without_recursion() {
    let mut deep = vec![0x81u8; 100_000];
    deep.push(0x00);
    assert!(AnyCrdt::decode(&deep).is_err());
    assert!(check_cbor("t", &deep, usize::MAX).is_err());
    let mut ok = vec![0x81u8; MAX_NESTING];
    ok.push(0x00);
    assert!(check_cbor("t", &ok, usize::MAX).is_ok());
    ok.insert(0, 0x81);
    assert!(check_cbor("t", &ok, usize::MAX).is_err());
}

fn nested_maps(levels: usize) -> Vec<u8> {
    // ["map", [[["k", [[1, 1, <inner>]]]], [[[1, 1]], []]]], innermost "empty".
    let mut inner = hex("8265656d707479f6");
    for _ in 0..levels {
        let mut v = hex("82636d6170828182616b81830101");
        v.extend(&inner);
        v.extend(hex("828182010180"));
        inner = v;
    }
    inner
}

#[test]
fn nested_values_decode_up_to_the_nesting_limit_and_fail_cleanly_beyond() {
    let ok = AnyCrdt::decode(&nested_maps(10)).unwrap();
    let mut depth = 0;
    let mut cur = ok.as_map().cloned();
    while let Some(m) = cur {
        depth += 1;
        cur = m.get("k").and_then(|v| v.as_map().cloned());
    }
    assert_eq!(depth, 10);
    assert!(AnyCrdt::decode(&nested_maps(11)).is_err());
    assert!(AnyCrdt::decode(&nested_maps(1000)).is_err());
}

#[test]
fn fuzz_body_survives_random_and_mutated_inputs() {
    fn prop(data: Vec<u8>) -> bool {
        crate::crdt::fuzz::decode_and_merge(&data);
        true
    }
    quickcheck::QuickCheck::new()
        .tests(300)
        .quickcheck(prop as fn(Vec<u8>) -> bool);
    // A valid map delta, split and mutated at every position.
    let d = OrMap::default()
        .prepare(MapOp::set("title", "milk"), &at(1, 1000))
        .unwrap();
    let bytes = d.encode().unwrap();
    for i in 0..bytes.len() {
        for x in [0x01, 0x20, 0x80, 0xff] {
            let mut m = bytes.clone();
            m[i] ^= x;
            let mut input = vec![3, m.len() as u8];
            input.extend(&m);
            input.extend(&bytes);
            crate::crdt::fuzz::decode_and_merge(&input);
        }
    }
}
