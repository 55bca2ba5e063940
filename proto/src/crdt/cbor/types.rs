//! The CRDT types' encodings (docs/CRDTS.md), their causal contexts and entries.

use ciborium_ll::{Header, simple};

use super::value::{Item, enc_item};
use super::{Cbor, Dec, Out};
use crate::crdt::causal::{CausalContext, Dot};
use crate::crdt::{
    AnyCrdt, CrdtError, CrdtValue, GCounter, LwwRegister, MvRegister, OrMap, OrSet, PnCounter,
};
use crate::vecmap::VecMap;

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
    entries: &'v VecMap<Dot, V>,
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
        d.tuple(2)?;
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
        d.leave();
        Ok(value)
    }
}
