//! CBOR item headers: the crate's one reader and writer of them. Frames
//! ([`crate::wire`]), the built-in CRDT payloads (`crdt/cbor`) and the payloads'
//! structural pre-scan ([`crate::crdt::check_cbor`]) all read and write headers here.
//!
//! * [`read`] accepts exactly what `ciborium_ll::Decoder::pull` accepts (reserved
//!   additional information 28–30 and indefinite integers or tags are invalid at the
//!   header's offset; an input ending inside a header is truncated) and decodes the
//!   same values, floats included (half precision widened as the `half` crate does).
//!   `cbor_head/tests.rs` checks the parity on every initial byte and random input.
//! * [`write_arg`] writes the shortest form of a header (the canonical encoding of
//!   docs/PROTOCOL.md); [`write`] any header, floats in ciborium's shortest lossless
//!   width (through `ciborium_ll`'s encoder, the one part not written here).
//!
//! Reading never allocates and never looks past the header: declared lengths are
//! for the caller to check against what remains.

use ciborium_ll::{Encoder, Header};

/// What is wrong with the header at a position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HeadError {
    /// The input ends inside the header (or before it).
    Truncated,
    /// Not a header `ciborium_ll` accepts, at this offset.
    Invalid {
        /// Offset of the header's first byte.
        offset: usize,
    },
}

/// CBOR major types.
pub(crate) const MAJOR_UINT: u8 = 0;
/// Negative integers.
pub(crate) const MAJOR_NEGATIVE: u8 = 1;
/// Byte strings.
pub(crate) const MAJOR_BYTES: u8 = 2;
/// Text strings.
pub(crate) const MAJOR_TEXT: u8 = 3;
/// Arrays.
pub(crate) const MAJOR_ARRAY: u8 = 4;
/// Maps.
pub(crate) const MAJOR_MAP: u8 = 5;

/// A big-endian unsigned integer of at most 8 bytes.
fn be(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

/// An IEEE half-precision float widened to `f64` exactly (a NaN keeps its payload,
/// quieted), as the `half` crate's conversion, which ciborium uses, does.
fn f16_to_f64(h: u16) -> f64 {
    let h = u64::from(h);
    let sign = (h & 0x8000) << 48;
    let exp = (h >> 10) & 0x1f;
    let man = h & 0x3ff;
    let bits = match (exp, man) {
        (0, 0) => sign,
        // Subnormal: man · 2^-24 = 1.f · 2^(p - 24), p the top set bit of man.
        (0, _) => {
            let p = 63 - u64::from(man.leading_zeros());
            let man = (man << (52 - p)) & 0x000f_ffff_ffff_ffff;
            sign | ((1023 + p - 24) << 52) | man
        }
        (0x1f, 0) => sign | 0x7ff0_0000_0000_0000,
        (0x1f, _) => sign | 0x7ff8_0000_0000_0000 | (man << 42),
        _ => sign | ((exp + 1023 - 15) << 52) | (man << 42),
    };
    f64::from_bits(bits)
}

/// Reads the header at `*pos` and moves `*pos` past it; on an error `*pos` is
/// unchanged.
#[inline]
pub(crate) fn read(input: &[u8], pos: &mut usize) -> Result<Header, HeadError> {
    let start = *pos;
    let Some(&first) = input.get(start) else {
        return Err(HeadError::Truncated);
    };
    let minor = first & 0x1f;
    let ext = match minor {
        0..=23 | 31 => 0,
        24 => 1,
        25 => 2,
        26 => 4,
        27 => 8,
        _ => return Err(HeadError::Invalid { offset: start }),
    };
    let body = start.saturating_add(1);
    let end = body.saturating_add(ext);
    let Some(ext_bytes) = input.get(body..end) else {
        return Err(HeadError::Truncated);
    };
    let arg = match minor {
        0..=23 => Some(u64::from(minor)),
        31 => None,
        _ => Some(be(ext_bytes)),
    };
    let invalid = HeadError::Invalid { offset: start };
    let len = |v: Option<u64>| match v {
        Some(n) => usize::try_from(n).map(Some).map_err(|_| invalid),
        None => Ok(None),
    };
    let header = match (first >> 5, arg) {
        (0, Some(v)) => Header::Positive(v),
        (1, Some(v)) => Header::Negative(v),
        (6, Some(v)) => Header::Tag(v),
        (0 | 1 | 6, None) => return Err(invalid),
        (2, n) => Header::Bytes(len(n)?),
        (3, n) => Header::Text(len(n)?),
        (4, n) => Header::Array(len(n)?),
        (5, n) => Header::Map(len(n)?),
        (_, None) => Header::Break,
        // Simple values: inline (0..=23) or in the next byte (24).
        (_, Some(v)) if minor <= 24 => Header::Simple(v.to_le_bytes()[0]),
        // Half, single and double floats.
        (_, Some(v)) => Header::Float(match minor {
            25 => f16_to_f64(u16::try_from(v).unwrap_or_default()),
            26 => f64::from(f32::from_bits(u32::try_from(v).unwrap_or_default())),
            _ => f64::from_bits(v),
        }),
    };
    *pos = end;
    Ok(header)
}

/// The argument of the header at `*pos` if it has major type `major` and a definite
/// argument that fits a `usize` (major types 0 to 6), moving `*pos` past it; otherwise `None` and `*pos`
/// unchanged (then [`read`] tells what is there). The common case of a decoder that
/// knows what comes next, without building a [`Header`].
#[inline]
pub(crate) fn read_arg(input: &[u8], pos: &mut usize, major: u8) -> Option<usize> {
    let start = *pos;
    let first = *input.get(start)?;
    if first >> 5 != major {
        return None;
    }
    let minor = first & 0x1f;
    let ext = match minor {
        0..=23 => 0,
        24 => 1,
        25 => 2,
        26 => 4,
        27 => 8,
        _ => return None,
    };
    let body = start.saturating_add(1);
    let end = body.saturating_add(ext);
    let bytes = input.get(body..end)?;
    let v = if ext == 0 {
        u64::from(minor)
    } else {
        be(bytes)
    };
    let v = usize::try_from(v).ok()?;
    *pos = end;
    Some(v)
}

/// Encoded size of a header with argument `v`.
pub(crate) fn arg_len(v: u64) -> usize {
    match v {
        0..=23 => 1,
        24..=0xff => 2,
        0x100..=0xffff => 3,
        0x1_0000..=0xffff_ffff => 5,
        _ => 9,
    }
}

/// Appends a header of major type `major` with argument `v`, in its shortest form.
#[inline]
pub(crate) fn write_arg(buf: &mut Vec<u8>, major: u8, v: u64) {
    let m = major << 5;
    let be = v.to_be_bytes();
    match v {
        0..=23 => buf.push(m | be[7]),
        24..=0xff => buf.extend_from_slice(&[m | 24, be[7]]),
        0x100..=0xffff => buf.extend_from_slice(&[m | 25, be[6], be[7]]),
        0x1_0000..=0xffff_ffff => buf.extend_from_slice(&[m | 26, be[4], be[5], be[6], be[7]]),
        _ => {
            buf.push(m | 27);
            buf.extend_from_slice(&be);
        }
    }
}

/// Appends `header` in its shortest form (a float in the narrowest width that holds
/// it exactly, as ciborium writes it).
pub(crate) fn write(buf: &mut Vec<u8>, header: Header) {
    let usize_arg = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    match header {
        Header::Positive(v) => write_arg(buf, MAJOR_UINT, v),
        Header::Negative(v) => write_arg(buf, MAJOR_NEGATIVE, v),
        Header::Bytes(Some(n)) => write_arg(buf, MAJOR_BYTES, usize_arg(n)),
        Header::Text(Some(n)) => write_arg(buf, MAJOR_TEXT, usize_arg(n)),
        Header::Array(Some(n)) => write_arg(buf, MAJOR_ARRAY, usize_arg(n)),
        Header::Map(Some(n)) => write_arg(buf, MAJOR_MAP, usize_arg(n)),
        // Floats, indefinite lengths, tags, simple values and breaks: ciborium's
        // encoder (writing to a Vec cannot fail).
        other => {
            let _ = Encoder::from(buf).push(other);
        }
    }
}

#[cfg(test)]
mod tests;
