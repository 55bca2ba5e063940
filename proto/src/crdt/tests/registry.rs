//! The registry (merging by tag, application types, bounds) and the
//! replica-side document (local ops, remote deltas, snapshots, change flags).

use crate::crdt::*;
use crate::wire::ReplicaId;

fn at(replica: u64, now: u64) -> OpContext {
    OpContext::new(ReplicaId(replica), now)
}

/// An application type: the largest number written (a toy stand-in for, say,
/// a text CRDT from another library).
#[derive(Clone, Debug, Default, PartialEq)]
struct MaxU64(u64);

impl DeltaCrdt for MaxU64 {
    const TAG: &'static str = "app.max";
    type Op = u64;
    fn prepare(&self, op: u64, _ctx: &OpContext) -> Result<Self, CrdtError> {
        Ok(MaxU64(op))
    }
    fn merge(&mut self, other: &Self) -> bool {
        let changed = other.0 > self.0;
        self.0 = self.0.max(other.0);
        changed
    }
    fn encode(&self) -> Result<Vec<u8>, CrdtError> {
        codec::encode(Self::TAG, &self.0)
    }
    fn decode(bytes: &[u8]) -> Result<Self, CrdtError> {
        codec::decode(Self::TAG, bytes).map(MaxU64)
    }
}

#[test]
fn builtin_registry_merges_known_tags_and_passes_on_unknown_ones() {
    let r = Registry::with_builtin();
    // `ydoc` (feature `ydoc`) has tests of its own (tests/ydoc.rs).
    let tags: Vec<&str> = r.tags().filter(|t| *t != "ydoc").collect();
    assert_eq!(
        tags,
        [
            "any",
            "gcounter",
            "lww",
            "map",
            "mvreg",
            "orset",
            "pncounter"
        ]
    );
    let mut s = OrSet::<Value>::default();
    let d1 = s
        .apply(OrSetOp::Add("a".into()), &at(1, 0))
        .unwrap()
        .encode()
        .unwrap();
    let d2 = s
        .apply(OrSetOp::Remove("a".into()), &at(1, 0))
        .unwrap()
        .encode()
        .unwrap();
    let d3 = s
        .apply(OrSetOp::Add("b".into()), &at(1, 0))
        .unwrap()
        .encode()
        .unwrap();
    let m12 = r.merge("orset", &d1, &d2).unwrap().unwrap();
    let all = r.merge("orset", &m12, &d3).unwrap().unwrap();
    assert_eq!(OrSet::<Value>::decode(&all).unwrap(), s);
    assert_eq!(r.merge("text", &d1, &d2), Ok(None));
    assert!(matches!(
        r.merge("orset", &d1, b"junk"),
        Err(CrdtError::Decode { .. })
    ));
    assert!(r.validate("orset", &d1).is_ok());
    assert!(r.validate("gcounter", &d1).is_err());
    assert_eq!(
        r.validate("nope", &d1),
        Err(CrdtError::UnknownType("nope".into()))
    );
}

#[test]
fn empty_state_decodes_as_the_bottom_of_each_type() {
    let r = Registry::with_builtin();
    for tag in r.tags() {
        let empty = r.empty_state(tag).unwrap();
        let mut doc = r.new_document(tag, ReplicaId(1)).unwrap();
        doc.reset_to_snapshot(Some(&empty)).unwrap();
        assert!(!doc.take_changed(), "{tag}");
        assert_eq!(doc.encode_state().unwrap(), empty);
    }
    assert_eq!(r.empty_state("x"), Err(CrdtError::UnknownType("x".into())));
}

#[test]
fn applications_register_their_own_types() {
    let mut r = Registry::with_builtin();
    r.register::<MaxU64>().unwrap();
    assert_eq!(
        r.register::<MaxU64>(),
        Err(CrdtError::DuplicateType("app.max".into()))
    );
    let a = MaxU64(3).encode().unwrap();
    let b = MaxU64(9).encode().unwrap();
    assert_eq!(r.merge("app.max", &a, &b).unwrap(), Some(b.clone()));
    let mut doc = r.new_document("app.max", ReplicaId(1)).unwrap();
    assert_eq!(doc.tag(), "app.max");
    let typed = doc.downcast_mut::<MaxU64>().unwrap();
    let delta = typed.apply_local(5, 0).unwrap();
    assert_eq!(MaxU64::decode(&delta), Ok(MaxU64(5)));
    assert!(doc.downcast_ref::<GCounter>().is_none());
}

#[derive(Clone, Debug, Default, PartialEq)]
struct Filler<const N: usize>;

const FILL_TAGS: [&str; 65] = [
    "fill0", "fill1", "fill2", "fill3", "fill4", "fill5", "fill6", "fill7", "fill8", "fill9",
    "fill10", "fill11", "fill12", "fill13", "fill14", "fill15", "fill16", "fill17", "fill18",
    "fill19", "fill20", "fill21", "fill22", "fill23", "fill24", "fill25", "fill26", "fill27",
    "fill28", "fill29", "fill30", "fill31", "fill32", "fill33", "fill34", "fill35", "fill36",
    "fill37", "fill38", "fill39", "fill40", "fill41", "fill42", "fill43", "fill44", "fill45",
    "fill46", "fill47", "fill48", "fill49", "fill50", "fill51", "fill52", "fill53", "fill54",
    "fill55", "fill56", "fill57", "fill58", "fill59", "fill60", "fill61", "fill62", "fill63",
    "fill64",
];

impl<const N: usize> DeltaCrdt for Filler<N> {
    const TAG: &'static str = FILL_TAGS[N];
    type Op = ();
    fn prepare(&self, _: (), _: &OpContext) -> Result<Self, CrdtError> {
        Ok(Filler)
    }
    fn merge(&mut self, _: &Self) -> bool {
        false
    }
    fn encode(&self) -> Result<Vec<u8>, CrdtError> {
        Ok(vec![0xf6])
    }
    fn decode(_: &[u8]) -> Result<Self, CrdtError> {
        Ok(Filler)
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
struct LongTag;

impl DeltaCrdt for LongTag {
    const TAG: &'static str = "an-application-type-tag-that-is-far-too-long-for-the-wire-format-x";
    type Op = ();
    fn prepare(&self, _: (), _: &OpContext) -> Result<Self, CrdtError> {
        Ok(LongTag)
    }
    fn merge(&mut self, _: &Self) -> bool {
        false
    }
    fn encode(&self) -> Result<Vec<u8>, CrdtError> {
        Ok(vec![0xf6])
    }
    fn decode(_: &[u8]) -> Result<Self, CrdtError> {
        Ok(LongTag)
    }
}

macro_rules! fill {
    ($r:ident; $($n:literal)*) => { $( $r.register::<Filler<$n>>().unwrap(); )* };
}

#[test]
fn registry_is_bounded_and_refuses_bad_tags() {
    let mut r = Registry::new();
    assert!(matches!(
        r.register::<LongTag>(),
        Err(CrdtError::InvalidRegistration { .. })
    ));
    fill!(r; 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63);
    assert_eq!(r.tags().count(), MAX_REGISTERED_TYPES);
    assert!(matches!(
        r.register::<Filler<64>>(),
        Err(CrdtError::InvalidRegistration {
            reason: "registry is full",
            ..
        })
    ));
}

#[test]
fn documents_exchange_deltas_and_report_changes() {
    let mut a = Document::<OrMap>::new(ReplicaId(1));
    let mut b = Document::<OrMap>::new(ReplicaId(2));
    assert!(!a.take_changed());
    let d1 = a.apply_local(MapOp::set("name", "Ada"), 100).unwrap();
    assert!(a.take_changed() && !a.take_changed());
    assert_eq!(a.version(), 1);
    assert_eq!(b.apply_remote(&d1), Ok(true));
    assert_eq!(b.apply_remote(&d1), Ok(false), "duplicates change nothing");
    assert_eq!(b.version(), 1);
    let d2 = b.apply_local(MapOp::set("name", "Grace"), 50).unwrap();
    a.apply_remote(&d2).unwrap();
    assert_eq!(a.state(), b.state());
    assert_eq!(
        a.state().get("name").and_then(|v| v.as_lww().cloned()),
        Some(Value::from("Grace")),
        "an overwrite wins even with an earlier clock"
    );
    // Garbage is an error and changes nothing.
    let before = a.state().clone();
    assert!(a.apply_remote(&[0xff, 0x00]).is_err());
    assert_eq!(a.state(), &before);
    assert!(a.take_changed() && !a.take_changed());
}

#[test]
fn snapshot_reset_replaces_the_state() {
    let mut a = Document::<PnCounter>::new(ReplicaId(1));
    a.apply_local(PnCounterOp::Increment(4), 0).unwrap();
    let snapshot = a.encode_state().unwrap();
    let mut b = Document::<PnCounter>::new(ReplicaId(2));
    b.apply_local(PnCounterOp::Decrement(1), 0).unwrap();
    b.take_changed();
    b.reset_to_snapshot(Some(&snapshot)).unwrap();
    assert_eq!(b.state().value(), 4);
    assert!(b.take_changed());
    b.reset_to_snapshot(Some(&snapshot)).unwrap();
    assert!(!b.take_changed(), "same state, no change");
    assert!(b.reset_to_snapshot(Some(b"\x01\x02")).is_err());
    assert_eq!(b.state().value(), 4);
    b.reset_to_snapshot(None).unwrap();
    assert_eq!(b.state(), &PnCounter::default());
}

#[test]
fn oversized_local_delta_is_refused_and_changes_nothing() {
    let mut doc = Document::<LwwRegister<Value>>::new(ReplicaId(1));
    doc.set_max_delta_bytes(64);
    let big = Value::Bytes(vec![7; 100]);
    assert!(matches!(
        doc.apply_local(LwwOp::Set(big), 0),
        Err(CrdtError::TooLarge { max: 64, .. })
    ));
    assert_eq!(doc.state().get(), None);
    assert!(!doc.take_changed());
    // Values nested deeper than the decoder accepts are refused up front.
    let mut deep = Value::Int(0);
    for _ in 0..MAX_NESTING + 1 {
        deep = Value::List(vec![deep]);
    }
    let mut doc = Document::<LwwRegister<Value>>::new(ReplicaId(1));
    assert!(doc.apply_local(LwwOp::Set(deep), 0).is_err());
    assert_eq!(doc.version(), 0);
}

#[test]
fn merged_values_over_the_size_limit_are_left_unmerged() {
    let r = Registry::with_builtin();
    let big = |n: u8, replica| {
        OrSet::<Value>::default()
            .prepare(
                OrSetOp::Add(Value::Bytes(vec![n; MAX_ENCODED_BYTES / 2])),
                &at(replica, 0),
            )
            .unwrap()
            .encode()
            .unwrap()
    };
    let (a, b) = (big(1, 1), big(2, 2));
    assert_eq!(r.merge("orset", &a, &b), Ok(None), "caller keeps both");
}
