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
//!   (the structural pre-scan, [`check_cbor`], runs first
//!   and has already refused them). `crdt/tests/cbor.rs` checks both directions against
//!   the serde implementations on random states and mutated encodings.
//! * Values of a register or set (`T: CrdtValue`) other than [`Value`](super::Value) still go
//!   through ciborium; for `Value` the choice is made by type at compile time, so
//!   a build that only uses `Value` carries no ciborium code.
//!
//! Errors are [`CrdtError::Decode`] (or [`CrdtError::Encode`] from a custom
//! `Serialize`); nothing panics, and nesting is bounded by the pre-scan.
//!
//! `value.rs`: [`Value`](super::Value) and the values of registers and sets;
//! `types.rs`: the CRDT types, their causal contexts and entries.

use ciborium_ll::{Decoder, Encoder, Header, simple};

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
