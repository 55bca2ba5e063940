//! The hand-written CBOR of the built-in types (`crdt/cbor/`) against their
//! serde implementations through ciborium (`codec::encode` / `codec::decode`, the
//! codec every built-in type used before): the same bytes for every reachable
//! state and for values of every CBOR width, and on decoding — valid encodings,
//! mutated ones and random CBOR trees — the same value (compared by `==` and by
//! its serde encoding) or an error of the same kind (`Decode` for `Decode`,
//! `TooLarge` for `TooLarge`; the messages differ).

use core::mem::discriminant;

use quickcheck::{Arbitrary, Gen, QuickCheck, TestResult};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::harness::{Script, Subject, run};
use crate::crdt::codec;
use crate::crdt::*;
use crate::wire::ReplicaId;

fn qc() -> QuickCheck {
    QuickCheck::new().tests(300)
}

trait Both: Subject + Serialize + DeserializeOwned {}
impl<C: Subject + Serialize + DeserializeOwned> Both for C {}

fn same_encoding<C: Both>(v: &C) -> bool {
    let new = v.encode();
    let old = codec::encode(C::TAG, v);
    if new != old {
        eprintln!("{} encodes {v:?}: new {new:02x?}, old {old:02x?}", C::TAG);
        return false;
    }
    true
}

/// What the hand-written decoder reads, serde reads the same (value and canonical
/// bytes). It may refuse more: serde (ciborium) also took fixed-size lists with
/// further elements and byte strings for lists, which docs/CRDTS.md does not allow;
/// such an input is never a canonical encoding, which is checked.
fn same_decoding<C: Both>(bytes: &[u8]) -> bool {
    let new = C::decode(bytes);
    let old = codec::decode::<C>(C::TAG, bytes);
    let same = match (&new, &old) {
        (Ok(a), Ok(b)) => a == b && codec::encode(C::TAG, a) == codec::encode(C::TAG, b),
        (Err(a), Err(b)) => discriminant(a) == discriminant(b),
        (Err(CrdtError::Decode { .. }), Ok(b)) => {
            codec::encode(C::TAG, b).ok().as_deref() != Some(bytes)
        }
        _ => false,
    };
    if !same {
        eprintln!("{} decodes {bytes:02x?}: new {new:?}, old {old:?}", C::TAG);
    }
    same
}

/// One change to a valid encoding.
#[derive(Clone, Debug)]
enum Mutation {
    Flip(u16, u8),
    Insert(u16, u8),
    Delete(u16),
    Truncate(u16),
    /// An array header of this position becomes a byte string header (the same
    /// length), or a length grows or shrinks by one.
    Major(u16, u8),
}

impl Arbitrary for Mutation {
    fn arbitrary(g: &mut Gen) -> Self {
        let pos = u16::arbitrary(g);
        let byte = *g
            .choose(&[
                0x00, 0x01, 0x18, 0x20, 0x40, 0x41, 0x42, 0x43, 0x60, 0x80, 0x81, 0x82, 0x83, 0x84,
                0xa0, 0xa1, 0xf4, 0xf5, 0xf6, 0xf7, 0xf9, 0xff,
            ])
            .unwrap_or(&0);
        match u8::arbitrary(g) % 5 {
            0 => Mutation::Flip(pos, u8::arbitrary(g)),
            1 => Mutation::Insert(pos, byte),
            2 => Mutation::Delete(pos),
            3 => Mutation::Truncate(pos),
            _ => Mutation::Major(pos, u8::arbitrary(g)),
        }
    }
}

fn mutate(bytes: &mut Vec<u8>, m: &Mutation) {
    let len = bytes.len().max(1);
    let at = |p: u16| usize::from(p) % len;
    match *m {
        Mutation::Flip(p, x) => {
            if let Some(b) = bytes.get_mut(at(p)) {
                *b ^= x;
            }
        }
        Mutation::Insert(p, x) => bytes.insert(at(p).min(bytes.len()), x),
        Mutation::Delete(p) => {
            if !bytes.is_empty() {
                bytes.remove(at(p));
            }
        }
        Mutation::Truncate(p) => bytes.truncate(at(p)),
        Mutation::Major(p, how) => {
            // The first array header at or after p.
            let start = at(p);
            let found = (start..bytes.len()).find(|&i| (0x80..=0x97).contains(&bytes[i]));
            if let Some(i) = found {
                bytes[i] = match how % 3 {
                    0 => bytes[i] - 0x40,
                    1 if bytes[i] < 0x97 => bytes[i] + 1,
                    _ if bytes[i] > 0x80 => bytes[i] - 1,
                    _ => bytes[i],
                };
            }
        }
    }
}

/// Every reachable state and delta encodes the same; the encodings, mutated,
/// decode the same.
fn states_and_mutations<C: Both>(script: Script<C>, muts: Vec<Vec<Mutation>>) -> bool {
    let r = run(&script);
    let pool = r.pool();
    if !pool.iter().all(|v| same_encoding(*v)) {
        return false;
    }
    let encodings: Vec<Vec<u8>> = pool.iter().map(|v| v.encode().expect("encode")).collect();
    if !encodings.iter().all(|e| same_decoding::<C>(e)) {
        return false;
    }
    muts.iter().enumerate().all(|(i, ms)| {
        let mut bytes = encodings[i % encodings.len()].clone();
        for m in ms {
            mutate(&mut bytes, m);
        }
        same_decoding::<C>(&bytes)
    })
}

/// A random well-formed CBOR item, shaped like the built-in encodings (small
/// arrays, the type tags, small integers, short byte strings).
#[derive(Clone, Debug)]
struct Tree(Vec<u8>);

fn push_head(out: &mut Vec<u8>, major: u8, v: u64) {
    let m = major << 5;
    match v {
        0..=23 => out.push(m | v as u8),
        24..=0xff => out.extend([m | 24, v as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend((v as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(m | 26);
            out.extend((v as u32).to_be_bytes());
        }
        _ => {
            out.push(m | 27);
            out.extend(v.to_be_bytes());
        }
    }
}

fn arb_uint(g: &mut Gen) -> u64 {
    *g.choose(&[
        0,
        1,
        2,
        3,
        23,
        24,
        255,
        256,
        65535,
        65536,
        u64::from(u32::MAX),
        1 << 32,
        i64::MAX as u64,
        i64::MAX as u64 + 1,
        u64::MAX,
    ])
    .unwrap_or(&0)
}

fn gen_tree(g: &mut Gen, out: &mut Vec<u8>, depth: usize) {
    let leaf = depth >= 5;
    match u8::arbitrary(g) % if leaf { 9 } else { 13 } {
        0 | 1 => push_head(
            out,
            0,
            if bool::arbitrary(g) {
                u64::from(u8::arbitrary(g) % 4)
            } else {
                arb_uint(g)
            },
        ),
        2 => push_head(out, 1, arb_uint(g)),
        3 => {
            let n = usize::from(u8::arbitrary(g) % 4);
            push_head(out, 2, n as u64);
            out.extend((0..n).map(|_| u8::arbitrary(g) % 3));
        }
        4 => {
            let t = *g
                .choose(&[
                    "gcounter",
                    "pncounter",
                    "lww",
                    "mvreg",
                    "orset",
                    "map",
                    "any",
                    "empty",
                    "k",
                    "",
                ])
                .unwrap_or(&"");
            push_head(out, 3, t.len() as u64);
            out.extend(t.as_bytes());
        }
        5 => out.push(*g.choose(&[0xf4, 0xf5, 0xf6]).unwrap_or(&0xf6)),
        6 => {
            let f = *g
                .choose(&[0.5, 1.0e-7, 0.1, -0.0, f64::NAN, 1.0e300])
                .unwrap_or(&0.5);
            out.push(0xfb);
            out.extend(f.to_bits().to_be_bytes());
        }
        7 => out.extend([0xf9, 0x3c, 0x00]),
        8 => out.extend([0x62, 0xff, 0xfe]),
        9..=11 => {
            let n = u8::arbitrary(g) % 5;
            push_head(out, 4, u64::from(n));
            for _ in 0..n {
                gen_tree(g, out, depth + 1);
            }
        }
        _ => {
            let n = u8::arbitrary(g) % 3;
            push_head(out, 5, u64::from(n));
            for _ in 0..n {
                if bool::arbitrary(g) {
                    out.extend([0x61, b'k']);
                } else {
                    gen_tree(g, out, depth + 1);
                }
                gen_tree(g, out, depth + 1);
            }
        }
    }
}

impl Arbitrary for Tree {
    fn arbitrary(g: &mut Gen) -> Self {
        let mut out = Vec::new();
        gen_tree(g, &mut out, 0);
        Tree(out)
    }
}

fn random_trees<C: Both>(trees: Vec<Tree>) -> bool {
    trees.iter().all(|t| same_decoding::<C>(&t.0))
}

macro_rules! parity_tests {
    ($($name:ident: $ty:ty),* $(,)?) => {$(
        mod $name {
            use super::*;
            type T = $ty;

            #[test]
            fn states_encode_and_mutations_decode_as_through_serde() {
                qc().quickcheck(
                    states_and_mutations::<T> as fn(Script<T>, Vec<Vec<Mutation>>) -> bool,
                );
            }

            #[test]
            fn random_cbor_decodes_as_through_serde() {
                qc().tests(2000).quickcheck(random_trees::<T> as fn(Vec<Tree>) -> bool);
            }
        }
    )*};
}

parity_tests! {
    gcounter: GCounter,
    pncounter: PnCounter,
    lww_value: LwwRegister<Value>,
    lww_u8: LwwRegister<u8>,
    mvreg: MvRegister<Value>,
    orset_u8: OrSet<u8>,
    orset_value: OrSet<Value>,
    map: OrMap,
    any: AnyCrdt,
}

/// A random [`Value`] with integers, floats and lengths at every CBOR width.
fn wide_value(g: &mut Gen, depth: usize) -> Value {
    match u8::arbitrary(g) % if depth > 3 { 6 } else { 8 } {
        0 => Value::Null,
        1 => Value::Bool(bool::arbitrary(g)),
        2 => {
            let u = arb_uint(g);
            if bool::arbitrary(g) {
                Value::Int(i64::try_from(u).unwrap_or(i64::MAX))
            } else {
                Value::Int(!(i64::try_from(u).unwrap_or(i64::MAX)))
            }
        }
        3 => Value::Float(
            *g.choose(&[
                0.0,
                -0.0,
                1.0,
                1.5,
                65504.0,
                65505.0,
                0.1,
                f64::from(0.1f32),
                1.0e-40,
                5.0e-324,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NAN,
                f64::from_bits(0x7ff8_0000_0000_0001),
                f64::MAX,
            ])
            .unwrap_or(&0.0),
        ),
        4 => {
            let n = *g.choose(&[0usize, 1, 23, 24, 255, 256, 5000]).unwrap_or(&0);
            Value::Text("é".repeat(n / 2) + &"x".repeat(n % 2))
        }
        5 => {
            let n = *g.choose(&[0usize, 1, 23, 24, 300, 5000]).unwrap_or(&0);
            Value::Bytes(vec![7; n])
        }
        6 => Value::List(
            (0..u8::arbitrary(g) % 4)
                .map(|_| wide_value(g, depth + 1))
                .collect(),
        ),
        _ => Value::Map(
            (0..u8::arbitrary(g) % 4)
                .map(|i| (format!("k{i}"), wide_value(g, depth + 1)))
                .collect(),
        ),
    }
}

#[derive(Clone, Debug)]
struct Wide(Vec<Value>);

impl Arbitrary for Wide {
    fn arbitrary(g: &mut Gen) -> Self {
        Wide(
            (0..u8::arbitrary(g) % 6)
                .map(|_| wide_value(g, 0))
                .collect(),
        )
    }
}

#[test]
fn values_of_every_width_encode_and_decode_as_through_serde() {
    fn prop(w: Wide, now: u64) -> TestResult {
        let ctx = OpContext::new(ReplicaId(u64::MAX - 3), now);
        let mut lww = LwwRegister::<Value>::default();
        let mut set = OrSet::<Value>::default();
        let mut mv = MvRegister::<Value>::default();
        let mut map = OrMap::default();
        for (i, v) in w.0.iter().enumerate() {
            let (Ok(a), Ok(b), Ok(c), Ok(d)) = (
                lww.apply(LwwOp::Set(v.clone()), &ctx),
                set.apply(OrSetOp::Add(v.clone()), &ctx),
                mv.apply(MvOp::Set(v.clone()), &ctx),
                map.apply(MapOp::set(format!("{i}"), v.clone()), &ctx),
            ) else {
                return TestResult::discard();
            };
            if !(same_encoding(&a) && same_encoding(&b) && same_encoding(&c) && same_encoding(&d)) {
                return TestResult::failed();
            }
        }
        let any = AnyCrdt::Map(map.clone());
        TestResult::from_bool(
            same_encoding(&lww)
                && same_encoding(&set)
                && same_encoding(&mv)
                && same_encoding(&map)
                && same_encoding(&any)
                && same_decoding::<LwwRegister<Value>>(&lww.encode().unwrap())
                && same_decoding::<OrSet<Value>>(&set.encode().unwrap())
                && same_decoding::<MvRegister<Value>>(&mv.encode().unwrap())
                && same_decoding::<OrMap>(&map.encode().unwrap())
                && same_decoding::<AnyCrdt>(&any.encode().unwrap()),
        )
    }
    qc().quickcheck(prop as fn(Wide, u64) -> TestResult);
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// What ciborium accepted beyond docs/CRDTS.md's layouts is refused: a fixed-size
/// list with further elements, a byte string for a list (conformance finding A2: the
/// hub acknowledged and relayed such payloads, which a client decoding by the
/// documents cannot read).
#[test]
fn layouts_beyond_the_documented_ones_are_refused() {
    let cases: &[(&str, &str)] = &[
        // GCounter entries with a third element (and a fourth).
        ("gcounter", "8283010203"),
        ("gcounter", "81830102 03"),
        ("gcounter", "818401036178f6"),
        // Byte strings standing for lists.
        ("gcounter", "40"),
        ("gcounter", "81420105"),
        ("pncounter", "824040"),
        // A PnCounter of three lists; an LWW register of four elements.
        ("pncounter", "83818201058182020280"),
        ("lww", "841903e80162686905"),
        ("lww", "43010203"),
        ("mvreg", "824082404040"),
        ("orset", "824082404040"),
        ("map", "82408240400000"),
        ("any", "8268706e636f756e74657282404000"),
        ("any", "8365656d707479f6f6"),
    ];
    for (tag, input) in cases {
        let b = hex(&input.replace(' ', ""));
        let refused = match *tag {
            "gcounter" => GCounter::decode(&b).is_err(),
            "pncounter" => PnCounter::decode(&b).is_err(),
            "lww" => LwwRegister::<Value>::decode(&b).is_err(),
            "mvreg" => MvRegister::<Value>::decode(&b).is_err(),
            "orset" => OrSet::<Value>::decode(&b).is_err(),
            "map" => OrMap::decode(&b).is_err(),
            _ => AnyCrdt::decode(&b).is_err(),
        };
        assert!(refused, "{tag} {input} must be refused");
    }
    // The documented forms, and what the documents allow beyond the canonical one
    // (long-form integers, unsorted lists, null), still read.
    assert_eq!(
        GCounter::decode(&hex("81820103"))
            .unwrap()
            .count_of(ReplicaId(1)),
        3
    );
    assert_eq!(
        GCounter::decode(&hex("8182011a00000003"))
            .unwrap()
            .count_of(ReplicaId(1)),
        3
    );
    let unsorted = GCounter::decode(&hex("828202028201 03".replace(' ', "").as_str())).unwrap();
    assert_eq!(unsorted.value(), 5);
    assert!(LwwRegister::<Value>::decode(&hex("f6")).is_ok());
    assert!(AnyCrdt::decode(&hex("8265656d707479f6")).is_ok());
}
