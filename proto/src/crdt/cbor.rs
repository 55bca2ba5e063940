//! The built-in types' CBOR, written by hand: byte for byte what their serde
//! implementations produce through `ciborium`, and decoding exactly what
//! `ciborium` accepted, without a generic serde stack (the browser bundle's largest
//! share was ciborium's and serde's code, monomorphised per type).
//!
//! * Headers go through `ciborium_ll` (the encoder's minimal integer and float
//!   forms, the decoder's acceptance rules), as ciborium's serde layer does.
//! * Decoding follows ciborium's consumption of the input item by item, quirks
//!   included: a tuple reads the elements it needs and leaves any further ones in
//!   the input (read next by the enclosing value); a sequence or tuple may also be
//!   a byte string whose bytes are its elements; nothing checks for trailing bytes
//!   (the structural pre-scan, [`check_cbor`](super::codec::check_cbor), runs first
//!   and has already refused them). `tests/cbor.rs` checks both directions against
//!   the serde implementations on random states and mutated encodings.
//! * Values of a register or set (`T: CrdtValue`) other than [`Value`] still go
//!   through ciborium; for `Value` the choice is made by type at compile time, so
//!   a build that only uses `Value` carries no ciborium code.
//!
//! Errors are [`CrdtError::Decode`] (or [`CrdtError::Encode`] from a custom
//! `Serialize`); nothing panics, and nesting is bounded by the pre-scan.

use core::any::{Any, TypeId};
use std::collections::BTreeMap;

use ciborium_ll::{Decoder, Encoder, Header, simple};

use super::causal::{CausalContext, Dot};
use super::codec::{MAX_ENCODED_BYTES, MAX_NESTING, check_cbor};
use super::{
    AnyCrdt, CrdtError, CrdtValue, GCounter, LwwRegister, MvRegister, OrMap, OrSet, PnCounter,
    Value,
};

/// A type with a hand-written CBOR form.
pub(crate) trait Cbor: Sized {
    /// Appends the encoding of `self`.
    fn enc(&self, out: &mut Out) -> Result<(), CrdtError>;
    /// Reads one value from `d`.
    fn dec(d: &mut Dec<'_>) -> Result<Self, CrdtError>;
    /// The value read from one byte of a byte string standing for a sequence.
    fn from_byte(d: &Dec<'_>, _byte: u8) -> Result<Self, CrdtError> {
        Err(d.bad("expected a sequence, found an integer"))
    }
}

/// Encodes `value`; `tag` labels errors.
pub(crate) fn encode<C: Cbor>(tag: &str, value: &C) -> Result<Vec<u8>, CrdtError> {
    let mut out = Out {
        buf: Vec::new(),
        tag,
    };
    value.enc(&mut out)?;
    Ok(out.buf)
}

/// Decodes one value of type `C` after the structural pre-scan, as
/// [`codec::decode`](super::codec::decode) does through serde.
pub(crate) fn decode<C: Cbor>(tag: &str, bytes: &[u8]) -> Result<C, CrdtError> {
    check_cbor(tag, bytes, MAX_ENCODED_BYTES)?;
    C::dec(&mut Dec {
        input: bytes,
        pos: 0,
        depth: 0,
        tag,
    })
}

/// The output buffer.
pub(crate) struct Out<'t> {
    buf: Vec<u8>,
    tag: &'t str,
}

impl Out<'_> {
    fn head(&mut self, h: Header) {
        // Writing to a Vec cannot fail.
        let _ = Encoder::from(&mut self.buf).push(h);
    }

    fn array(&mut self, len: usize) {
        self.head(Header::Array(Some(len)));
    }

    fn uint(&mut self, v: u64) {
        self.head(Header::Positive(v));
    }

    fn text(&mut self, s: &str) {
        self.head(Header::Text(Some(s.len())));
        self.buf.extend_from_slice(s.as_bytes());
    }

    fn null(&mut self) {
        self.head(Header::Simple(simple::NULL));
    }

    fn pair(&mut self, a: u64, b: u64) {
        self.array(2);
        self.uint(a);
        self.uint(b);
    }
}

/// The input cursor.
pub(crate) struct Dec<'a> {
    input: &'a [u8],
    pos: usize,
    /// Arrays and maps entered (ciborium's recursion count).
    depth: usize,
    tag: &'a str,
}

/// Elements of a sequence or tuple: items that follow in the input, or the bytes of
/// a byte string.
enum Seq<'a> {
    Items(usize),
    Bytes(&'a [u8]),
}

impl<'a> Dec<'a> {
    fn bad(&self, why: &str) -> CrdtError {
        CrdtError::decode(self.tag, why)
    }

    fn rest(&self) -> &'a [u8] {
        self.input.get(self.pos..).unwrap_or_default()
    }

    fn pull(&mut self) -> Result<Header, CrdtError> {
        let mut d = Decoder::from(self.rest());
        let h = d
            .pull()
            .map_err(|_| self.bad("invalid or truncated CBOR"))?;
        self.pos += d.offset();
        Ok(h)
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], CrdtError> {
        let bytes = self
            .rest()
            .get(..len)
            .ok_or_else(|| self.bad("truncated string"))?;
        self.pos += len;
        Ok(bytes)
    }

    /// Enters an array or map (ciborium's recursion limit, never reached after the
    /// pre-scan).
    fn enter(&mut self) -> Result<(), CrdtError> {
        if self.depth >= MAX_NESTING + 2 {
            return Err(self.bad("recursion limit exceeded"));
        }
        self.depth += 1;
        Ok(())
    }

    fn uint(&mut self) -> Result<u64, CrdtError> {
        match self.pull()? {
            Header::Positive(v) => Ok(v),
            _ => Err(self.bad("expected an unsigned integer")),
        }
    }

    fn string(&mut self) -> Result<String, CrdtError> {
        match self.pull()? {
            Header::Text(Some(len)) => {
                let bytes = self.take(len)?;
                let s = core::str::from_utf8(bytes).map_err(|_| self.bad("invalid UTF-8"))?;
                Ok(s.to_owned())
            }
            _ => Err(self.bad("expected text")),
        }
    }

    /// A sequence: an array or a byte string.
    fn seq(&mut self) -> Result<Seq<'a>, CrdtError> {
        match self.pull()? {
            Header::Array(Some(n)) => {
                self.enter()?;
                Ok(Seq::Items(n))
            }
            Header::Bytes(Some(len)) => Ok(Seq::Bytes(self.take(len)?)),
            _ => Err(self.bad("expected an array")),
        }
    }

    /// A tuple of `n`: a sequence of at least `n` elements (further ones stay in
    /// the input, as serde's tuple visitor leaves them).
    fn tuple(&mut self, n: usize) -> Result<Seq<'a>, CrdtError> {
        let seq = self.seq()?;
        let len = match seq {
            Seq::Items(len) => len,
            Seq::Bytes(b) => b.len(),
        };
        if len < n {
            return Err(self.bad("tuple too short"));
        }
        Ok(seq)
    }

    /// The end of an array entered by [`Dec::seq`] or [`Dec::tuple`].
    fn leave(&mut self, seq: &Seq<'_>) {
        if let Seq::Items(_) = seq {
            self.depth -= 1;
        }
    }

    /// A `Vec<T>`.
    fn vec<T: Cbor>(&mut self) -> Result<Vec<T>, CrdtError> {
        let seq = self.seq()?;
        let out = match seq {
            Seq::Items(n) => {
                // The pre-scan bounded `n` by the input's size.
                let mut v = Vec::with_capacity(n.min(4096));
                for _ in 0..n {
                    v.push(T::dec(self)?);
                }
                v
            }
            Seq::Bytes(b) => {
                let mut v = Vec::with_capacity(b.len());
                for &x in b {
                    v.push(T::from_byte(self, x)?);
                }
                v
            }
        };
        self.leave(&seq);
        Ok(out)
    }

    /// A pair of unsigned integers `[a, b]`.
    fn pair(&mut self) -> Result<(u64, u64), CrdtError> {
        let seq = self.tuple(2)?;
        let out = match seq {
            Seq::Items(_) => (self.uint()?, self.uint()?),
            Seq::Bytes(b) => (byte(b, 0), byte(b, 1)),
        };
        self.leave(&seq);
        Ok(out)
    }

    /// A triple `[a, b, value]`.
    fn triple<T: Cbor>(&mut self) -> Result<(u64, u64, T), CrdtError> {
        let seq = self.tuple(3)?;
        let out = match seq {
            Seq::Items(_) => (self.uint()?, self.uint()?, T::dec(self)?),
            Seq::Bytes(b) => (byte(b, 0), byte(b, 1), T::from_byte(self, b8(b, 2))?),
        };
        self.leave(&seq);
        Ok(out)
    }

    /// A pair of two values of other types; never from a byte string (its first
    /// element would be an integer, which neither type is).
    fn two<A: Cbor, B: Cbor>(&mut self) -> Result<(A, B), CrdtError> {
        let seq = self.tuple(2)?;
        let out = match seq {
            Seq::Items(_) => (A::dec(self)?, B::dec(self)?),
            Seq::Bytes(b) => (A::from_byte(self, b8(b, 0))?, B::from_byte(self, b8(b, 1))?),
        };
        self.leave(&seq);
        Ok(out)
    }
}

/// Byte `i` of a byte string already checked to be long enough.
fn b8(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

fn byte(b: &[u8], i: usize) -> u64 {
    u64::from(b8(b, i))
}

/// An unsigned integer pair (a vector entry, a counter entry).
struct Pair(u64, u64);

impl Cbor for Pair {
    fn enc(&self, out: &mut Out) -> Result<(), CrdtError> {
        out.pair(self.0, self.1);
        Ok(())
    }
    fn dec(d: &mut Dec<'_>) -> Result<Self, CrdtError> {
        d.pair().map(|(a, b)| Pair(a, b))
    }
}

impl Cbor for String {
    fn enc(&self, out: &mut Out) -> Result<(), CrdtError> {
        out.text(self);
        Ok(())
    }
    fn dec(d: &mut Dec<'_>) -> Result<Self, CrdtError> {
        d.string()
    }
}

impl Cbor for Dot {
    fn enc(&self, out: &mut Out) -> Result<(), CrdtError> {
        out.pair(self.replica.0, self.counter);
        Ok(())
    }
    fn dec(d: &mut Dec<'_>) -> Result<Self, CrdtError> {
        let pair = d.pair()?;
        Dot::try_from(pair).map_err(|e| d.bad(e))
    }
}

impl Cbor for Value {
    fn enc(&self, out: &mut Out) -> Result<(), CrdtError> {
        match self {
            Value::Null => out.null(),
            Value::Bool(b) => out.head(Header::Simple(if *b {
                simple::TRUE
            } else {
                simple::FALSE
            })),
            Value::Int(i) => out.head(match u64::try_from(*i) {
                Ok(v) => Header::Positive(v),
                Err(_) => Header::Negative(!(*i as u64)),
            }),
            Value::Float(f) => out.head(Header::Float(*f)),
            Value::Text(t) => out.text(t),
            Value::Bytes(b) => {
                out.head(Header::Bytes(Some(b.len())));
                out.buf.extend_from_slice(b);
            }
            Value::List(l) => {
                out.array(l.len());
                for v in l {
                    v.enc(out)?;
                }
            }
            Value::Map(m) => {
                out.head(Header::Map(Some(m.len())));
                for (k, v) in m {
                    out.text(k);
                    v.enc(out)?;
                }
            }
        }
        Ok(())
    }

    fn dec(d: &mut Dec<'_>) -> Result<Self, CrdtError> {
        Ok(match d.pull()? {
            Header::Positive(v) => {
                Value::Int(i64::try_from(v).map_err(|_| d.bad("integer does not fit i64"))?)
            }
            Header::Negative(v) => {
                let v = i64::try_from(v).map_err(|_| d.bad("integer does not fit i64"))?;
                Value::Int(!v)
            }
            Header::Bytes(Some(len)) => Value::Bytes(d.take(len)?.to_vec()),
            Header::Text(Some(len)) => {
                let bytes = d.take(len)?;
                let s = core::str::from_utf8(bytes).map_err(|_| d.bad("invalid UTF-8"))?;
                Value::Text(s.to_owned())
            }
            Header::Array(Some(n)) => {
                d.enter()?;
                let mut list = Vec::with_capacity(n.min(4096));
                for _ in 0..n {
                    list.push(Value::dec(d)?);
                }
                d.depth -= 1;
                Value::List(list)
            }
            Header::Map(Some(n)) => {
                d.enter()?;
                let mut map = BTreeMap::new();
                for _ in 0..n {
                    let k = d.string()?;
                    let v = Value::dec(d)?;
                    map.insert(k, v);
                }
                d.depth -= 1;
                Value::Map(map)
            }
            Header::Float(f) => Value::Float(f),
            Header::Simple(simple::FALSE) => Value::Bool(false),
            Header::Simple(simple::TRUE) => Value::Bool(true),
            Header::Simple(simple::NULL | simple::UNDEFINED) => Value::Null,
            _ => return Err(d.bad("unexpected CBOR item for a value")),
        })
    }

    fn from_byte(_: &Dec<'_>, byte: u8) -> Result<Self, CrdtError> {
        Ok(Value::Int(i64::from(byte)))
    }
}

/// The value of a register or set: [`Value`] by hand, any other type through
/// ciborium (chosen by type, at compile time).
struct Item<T>(T);

fn is_value<T: 'static>() -> bool {
    TypeId::of::<T>() == TypeId::of::<Value>()
}

/// `value` as a `T`, when `T` is [`Value`].
fn value_as<T: 'static>(value: Value) -> Option<T> {
    let mut slot = Some(value);
    (&mut slot as &mut dyn Any)
        .downcast_mut::<Option<T>>()
        .and_then(Option::take)
}

fn enc_item<T: CrdtValue>(v: &T, out: &mut Out) -> Result<(), CrdtError> {
    if is_value::<T>() {
        if let Some(v) = (v as &dyn Any).downcast_ref::<Value>() {
            return v.enc(out);
        }
    }
    ciborium::ser::into_writer(v, &mut out.buf).map_err(|e| CrdtError::Encode {
        tag: out.tag.to_owned(),
        reason: e.to_string(),
    })
}

impl<T: CrdtValue> Cbor for Item<T> {
    fn enc(&self, out: &mut Out) -> Result<(), CrdtError> {
        enc_item(&self.0, out)
    }

    fn dec(d: &mut Dec<'_>) -> Result<Self, CrdtError> {
        if is_value::<T>() {
            let v = Value::dec(d)?;
            return value_as(v).map(Item).ok_or_else(|| d.bad("value type"));
        }
        // ciborium reads one `T` from the rest of the input, with the nesting left.
        let mut rest = d.rest();
        let before = rest.len();
        let limit = (MAX_NESTING + 2).saturating_sub(d.depth);
        let v = ciborium::de::from_reader_with_recursion_limit(&mut rest, limit)
            .map_err(|e| d.bad(&e.to_string()))?;
        d.pos += before - rest.len();
        Ok(Item(v))
    }

    fn from_byte(d: &Dec<'_>, byte: u8) -> Result<Self, CrdtError> {
        if is_value::<T>() {
            let v = Value::from_byte(d, byte)?;
            return value_as(v).map(Item).ok_or_else(|| d.bad("value type"));
        }
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error, U8Deserializer};
        let de: U8Deserializer<Error> = byte.into_deserializer();
        T::deserialize(de)
            .map(Item)
            .map_err(|e| d.bad(&e.to_string()))
    }
}

impl Cbor for CausalContext {
    fn enc(&self, out: &mut Out) -> Result<(), CrdtError> {
        out.array(2);
        out.array(self.vv_len());
        for (r, m) in self.vv_iter() {
            out.pair(r.0, m);
        }
        out.array(self.cloud_len());
        for d in self.cloud_iter() {
            d.enc(out)?;
        }
        Ok(())
    }

    fn dec(d: &mut Dec<'_>) -> Result<Self, CrdtError> {
        let (vv, cloud) = d.two::<Vec<Pair>, Vec<Dot>>()?;
        Ok(CausalContext::from((
            vv.into_iter().map(|Pair(r, m)| (r, m)).collect::<Vec<_>>(),
            cloud,
        )))
    }
}

impl<T: Cbor> Cbor for Vec<T> {
    fn enc(&self, out: &mut Out) -> Result<(), CrdtError> {
        out.array(self.len());
        for v in self {
            v.enc(out)?;
        }
        Ok(())
    }
    fn dec(d: &mut Dec<'_>) -> Result<Self, CrdtError> {
        d.vec()
    }
}

impl Cbor for GCounter {
    fn enc(&self, out: &mut Out) -> Result<(), CrdtError> {
        out.array(self.replicas());
        for (r, c) in self.entries() {
            out.pair(r.0, c);
        }
        Ok(())
    }
    fn dec(d: &mut Dec<'_>) -> Result<Self, CrdtError> {
        let pairs: Vec<Pair> = d.vec()?;
        Ok(GCounter::from_pairs(
            pairs.into_iter().map(|Pair(r, c)| (r, c)),
        ))
    }
}

impl Cbor for PnCounter {
    fn enc(&self, out: &mut Out) -> Result<(), CrdtError> {
        out.array(2);
        self.parts().0.enc(out)?;
        self.parts().1.enc(out)
    }
    fn dec(d: &mut Dec<'_>) -> Result<Self, CrdtError> {
        let (inc, dec) = d.two()?;
        Ok(PnCounter::from_parts(inc, dec))
    }
}

impl<T: CrdtValue> Cbor for LwwRegister<T> {
    fn enc(&self, out: &mut Out) -> Result<(), CrdtError> {
        match self.entry() {
            None => out.null(),
            Some((t, r, v)) => {
                out.array(3);
                out.uint(*t);
                out.uint(*r);
                enc_item(v, out)?;
            }
        }
        Ok(())
    }
    fn dec(d: &mut Dec<'_>) -> Result<Self, CrdtError> {
        let start = d.pos;
        if let Header::Simple(simple::NULL | simple::UNDEFINED) = d.pull()? {
            return Ok(LwwRegister::from_entry(None));
        }
        d.pos = start;
        let (t, r, Item(v)) = d.triple::<Item<T>>()?;
        Ok(LwwRegister::from_entry(Some((t, r, v))))
    }
}

/// An entry `[replica, counter, value]` of a register or map.
struct Entry<V>(u64, u64, V);

impl<V: Cbor> Cbor for Entry<V> {
    fn enc(&self, out: &mut Out) -> Result<(), CrdtError> {
        out.array(3);
        out.uint(self.0);
        out.uint(self.1);
        self.2.enc(out)
    }
    fn dec(d: &mut Dec<'_>) -> Result<Self, CrdtError> {
        d.triple().map(|(r, c, v)| Entry(r, c, v))
    }
}

fn enc_entries<'v, V: 'v>(
    out: &mut Out,
    entries: &'v BTreeMap<Dot, V>,
    mut enc: impl FnMut(&V, &mut Out) -> Result<(), CrdtError>,
) -> Result<(), CrdtError> {
    out.array(entries.len());
    for (dot, v) in entries {
        out.array(3);
        out.uint(dot.replica.0);
        out.uint(dot.counter);
        enc(v, out)?;
    }
    Ok(())
}

impl<T: CrdtValue> Cbor for MvRegister<T> {
    fn enc(&self, out: &mut Out) -> Result<(), CrdtError> {
        out.array(2);
        enc_entries(out, self.entry_map(), enc_item)?;
        self.context().enc(out)
    }
    fn dec(d: &mut Dec<'_>) -> Result<Self, CrdtError> {
        let (entries, cc) = d.two::<Vec<Entry<Item<T>>>, CausalContext>()?;
        let entries = entries.into_iter().map(|Entry(r, c, Item(v))| (r, c, v));
        MvRegister::from_repr(entries, cc).map_err(|e| d.bad(e))
    }
}

/// An OR-Set element `[value, [dot, ...]]`.
struct Element<T>(T, Vec<Dot>);

impl<T: CrdtValue> Cbor for Element<T> {
    fn enc(&self, out: &mut Out) -> Result<(), CrdtError> {
        unreachable_enc(out)
    }
    fn dec(d: &mut Dec<'_>) -> Result<Self, CrdtError> {
        let (Item(v), dots) = d.two::<Item<T>, Vec<Dot>>()?;
        Ok(Element(v, dots))
    }
}

/// Encoding helpers of decode-only shapes are never called.
fn unreachable_enc(out: &mut Out) -> Result<(), CrdtError> {
    Err(CrdtError::Encode {
        tag: out.tag.to_owned(),
        reason: "decode-only shape".to_owned(),
    })
}

impl<T: CrdtValue> Cbor for OrSet<T> {
    fn enc(&self, out: &mut Out) -> Result<(), CrdtError> {
        out.array(2);
        out.array(self.len());
        for (v, dots) in self.element_map() {
            out.array(2);
            enc_item(v, out)?;
            out.array(dots.len());
            for d in dots.keys() {
                d.enc(out)?;
            }
        }
        self.context().enc(out)
    }
    fn dec(d: &mut Dec<'_>) -> Result<Self, CrdtError> {
        let (elements, cc) = d.two::<Vec<Element<T>>, CausalContext>()?;
        let elements = elements.into_iter().map(|Element(v, dots)| (v, dots));
        Ok(OrSet::from_repr(elements, cc))
    }
}

/// A map key with its entries `[key, [[replica, counter, value], ...]]`.
struct KeyEntries(String, Vec<Entry<AnyCrdt>>);

impl Cbor for KeyEntries {
    fn enc(&self, out: &mut Out) -> Result<(), CrdtError> {
        unreachable_enc(out)
    }
    fn dec(d: &mut Dec<'_>) -> Result<Self, CrdtError> {
        let (k, e) = d.two()?;
        Ok(KeyEntries(k, e))
    }
}

impl Cbor for OrMap {
    fn enc(&self, out: &mut Out) -> Result<(), CrdtError> {
        out.array(2);
        out.array(self.len());
        for (k, entries) in self.entry_map() {
            out.array(2);
            out.text(k);
            enc_entries(out, entries, |v, out| v.enc(out))?;
        }
        self.context().enc(out)
    }
    fn dec(d: &mut Dec<'_>) -> Result<Self, CrdtError> {
        let (keys, cc) = d.two::<Vec<KeyEntries>, CausalContext>()?;
        let keys = keys
            .into_iter()
            .map(|KeyEntries(k, e)| (k, e.into_iter().map(|Entry(r, c, v)| (r, c, v)).collect()));
        OrMap::from_repr(keys, cc).map_err(|e| d.bad(e))
    }
}

impl Cbor for AnyCrdt {
    fn enc(&self, out: &mut Out) -> Result<(), CrdtError> {
        out.array(2);
        out.text(self.kind());
        match self {
            AnyCrdt::Empty => {
                out.null();
                Ok(())
            }
            AnyCrdt::GCounter(v) => v.enc(out),
            AnyCrdt::PnCounter(v) => v.enc(out),
            AnyCrdt::Lww(v) => v.enc(out),
            AnyCrdt::MvReg(v) => v.enc(out),
            AnyCrdt::OrSet(v) => v.enc(out),
            AnyCrdt::Map(v) => v.enc(out),
        }
    }

    fn dec(d: &mut Dec<'_>) -> Result<Self, CrdtError> {
        let n = match d.seq()? {
            Seq::Items(n) => n,
            // The tag would be an integer, or missing.
            Seq::Bytes(_) => return Err(d.bad("expected [tag, state]")),
        };
        if n < 2 {
            return Err(d.bad("missing element of [tag, state]"));
        }
        let tag = d.string()?;
        let value = match tag.as_str() {
            "empty" => match d.pull()? {
                Header::Simple(simple::NULL | simple::UNDEFINED) => AnyCrdt::Empty,
                _ => return Err(d.bad("expected null")),
            },
            "gcounter" => AnyCrdt::GCounter(GCounter::dec(d)?),
            "pncounter" => AnyCrdt::PnCounter(PnCounter::dec(d)?),
            "lww" => AnyCrdt::Lww(LwwRegister::dec(d)?),
            "mvreg" => AnyCrdt::MvReg(MvRegister::dec(d)?),
            "orset" => AnyCrdt::OrSet(OrSet::dec(d)?),
            "map" => AnyCrdt::Map(OrMap::dec(d)?),
            _ => return Err(d.bad("unknown nested type")),
        };
        if n > 2 {
            return Err(d.bad("extra element after [tag, state]"));
        }
        d.depth -= 1;
        Ok(value)
    }
}
