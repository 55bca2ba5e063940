//! The built-in types' CBOR, written by hand: byte for byte what their serde
//! implementations produce through `ciborium`, and decoding exactly what
//! `ciborium` accepted, without a generic serde stack (the browser bundle's largest
//! share was ciborium's and serde's code, monomorphised per type).
//!
//! * Headers go through the crate's one header reader and writer,
//!   [`crate::cbor_head`]: ciborium's acceptance rules and its minimal integer and
//!   float forms, as ciborium's serde layer had them.
//! * Decoding accepts exactly the layouts of docs/CRDTS.md: every fixed-size list
//!   (a pair, a triple, `[entries, context]`, ...) must have exactly its elements,
//!   and lists are CBOR arrays (the hub relays what it accepted, so a client that
//!   decodes by the documents must be able to read it). Non-canonical integer forms
//!   and unsorted lists are still read. Trailing bytes are refused by the structural
//!   pre-scan, [`check_cbor`], which runs first. `crdt/tests/cbor.rs` checks both
//!   directions against the serde implementations on random states and mutated
//!   encodings (anything read here reads the same through serde).
//! * Values of a register or set (`T: CrdtValue`) other than [`Value`](super::Value) still go
//!   through ciborium; for `Value` the choice is made by type at compile time, so
//!   a build that only uses `Value` carries no ciborium code.
//!
//! Errors are [`CrdtError::Decode`] (or [`CrdtError::Encode`] from a custom
//! `Serialize`); nothing panics, and nesting is bounded by the pre-scan.
//!
//! `value.rs`: [`Value`](super::Value) and the values of registers and sets;
//! `types.rs`: the CRDT types, their causal contexts and entries.

use ciborium_ll::{Header, simple};

use crate::cbor_head;

use super::CrdtError;
use super::codec::{MAX_ENCODED_BYTES, MAX_NESTING, check_cbor};

mod types;
mod value;

/// A type with a hand-written CBOR form.
pub(crate) trait Cbor: Sized {
    /// Appends the encoding of `self`.
    fn enc(&self, out: &mut Out) -> Result<(), CrdtError>;
    /// Reads one value from `d`.
    fn dec(d: &mut Dec<'_>) -> Result<Self, CrdtError>;
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
        cbor_head::write(&mut self.buf, h);
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

impl<'a> Dec<'a> {
    fn bad(&self, why: &str) -> CrdtError {
        CrdtError::decode(self.tag, why)
    }

    fn rest(&self) -> &'a [u8] {
        self.input.get(self.pos..).unwrap_or_default()
    }

    fn pull(&mut self) -> Result<Header, CrdtError> {
        cbor_head::read(self.input, &mut self.pos)
            .map_err(|_| self.bad("invalid or truncated CBOR"))
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

    /// A list: an array, entered; returns its length.
    fn seq(&mut self) -> Result<usize, CrdtError> {
        match self.pull()? {
            Header::Array(Some(n)) => {
                self.enter()?;
                Ok(n)
            }
            _ => Err(self.bad("expected an array")),
        }
    }

    /// A fixed-size list of exactly `n` elements, entered.
    fn tuple(&mut self, n: usize) -> Result<(), CrdtError> {
        match self.seq()? {
            len if len < n => Err(self.bad("list too short for its layout")),
            len if len > n => Err(self.bad("list too long for its layout")),
            _ => Ok(()),
        }
    }

    /// The end of an array entered by [`Dec::seq`] or [`Dec::tuple`].
    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// A `Vec<T>`.
    fn vec<T: Cbor>(&mut self) -> Result<Vec<T>, CrdtError> {
        let n = self.seq()?;
        // The pre-scan bounded `n` by the input's size.
        let mut v = Vec::with_capacity(n.min(4096));
        for _ in 0..n {
            v.push(T::dec(self)?);
        }
        self.leave();
        Ok(v)
    }

    /// A pair of unsigned integers `[a, b]`.
    fn pair(&mut self) -> Result<(u64, u64), CrdtError> {
        self.tuple(2)?;
        let out = (self.uint()?, self.uint()?);
        self.leave();
        Ok(out)
    }

    /// A triple `[a, b, value]`.
    fn triple<T: Cbor>(&mut self) -> Result<(u64, u64, T), CrdtError> {
        self.tuple(3)?;
        let out = (self.uint()?, self.uint()?, T::dec(self)?);
        self.leave();
        Ok(out)
    }

    /// A pair of two values of other types.
    fn two<A: Cbor, B: Cbor>(&mut self) -> Result<(A, B), CrdtError> {
        self.tuple(2)?;
        let out = (A::dec(self)?, B::dec(self)?);
        self.leave();
        Ok(out)
    }
}
