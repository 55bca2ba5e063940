//! [`Value`] by hand, and the values of registers and sets (`T: CrdtValue`):
//! [`Value`] by hand, any other type through ciborium.

use core::any::{Any, TypeId};

use ciborium_ll::{Header, simple};

use super::{Cbor, Dec, Out};
use crate::crdt::codec::MAX_NESTING;
use crate::crdt::{CrdtError, CrdtValue, Value};

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
                let mut map = Vec::with_capacity(n.min(4096));
                for _ in 0..n {
                    let k = d.string()?;
                    let v = Value::dec(d)?;
                    map.push((k, v));
                }
                d.depth -= 1;
                // Sorted once; a repeated key keeps its last value.
                Value::Map(map.into_iter().collect())
            }
            Header::Float(f) => Value::Float(f),
            Header::Simple(simple::FALSE) => Value::Bool(false),
            Header::Simple(simple::TRUE) => Value::Bool(true),
            Header::Simple(simple::NULL | simple::UNDEFINED) => Value::Null,
            _ => return Err(d.bad("unexpected CBOR item for a value")),
        })
    }
}

/// The value of a register or set: [`Value`] by hand, any other type through
/// ciborium (chosen by type, at compile time).
pub(super) struct Item<T>(pub(super) T);

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

pub(super) fn enc_item<T: CrdtValue>(v: &T, out: &mut Out) -> Result<(), CrdtError> {
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
}
