//! The header reader and writer against `ciborium_ll`, which the wire format and the
//! CRDT payloads were first defined with: the same headers (float bits included),
//! the same offsets, the same errors at the same offsets, the same bytes written.

use ciborium_ll::{Decoder, Encoder, Header};
use quickcheck::{QuickCheck, TestResult};

use super::*;

/// A header as a comparable value (floats by their bits: NaN payloads must agree).
fn key(h: Header) -> String {
    match h {
        Header::Float(f) => format!("Float({:016x})", f.to_bits()),
        other => format!("{other:?}"),
    }
}

/// Headers and the offset after each, until the first error.
fn ours(data: &[u8]) -> Vec<(String, usize)> {
    let mut pos = 0;
    let mut out = Vec::new();
    loop {
        let before = pos;
        match read(data, &mut pos) {
            Ok(h) => out.push((key(h), pos)),
            Err(HeadError::Truncated) => {
                assert_eq!(pos, before, "an error leaves the position");
                out.push(("truncated".into(), 0));
                return out;
            }
            Err(HeadError::Invalid { offset }) => {
                assert_eq!(pos, before, "an error leaves the position");
                out.push((format!("invalid@{offset}"), 0));
                return out;
            }
        }
    }
}

fn theirs(data: &[u8]) -> Vec<(String, usize)> {
    let mut d = Decoder::from(data);
    let mut out = Vec::new();
    loop {
        match d.pull() {
            Ok(h) => out.push((key(h), d.offset())),
            Err(ciborium_ll::Error::Io(_)) => {
                out.push(("truncated".into(), 0));
                return out;
            }
            Err(ciborium_ll::Error::Syntax(offset)) => {
                out.push((format!("invalid@{offset}"), 0));
                return out;
            }
        }
    }
}

#[test]
fn reads_as_ciborium_on_every_initial_byte() {
    for first in 0..=255u8 {
        for tail in [
            &[][..],
            &[0x01],
            &[0xff; 3],
            &[0x12; 9],
            &[0x7e, 0x01, 0x80],
        ] {
            let mut data = vec![first];
            data.extend_from_slice(tail);
            assert_eq!(ours(&data), theirs(&data), "input {data:02x?}");
        }
    }
}

#[test]
fn reads_as_ciborium_on_random_bytes() {
    fn prop(data: Vec<u8>) -> bool {
        ours(&data) == theirs(&data)
    }
    QuickCheck::new()
        .tests(2000)
        .quickcheck(prop as fn(Vec<u8>) -> bool);
}

#[test]
fn every_half_precision_float_widens_as_ciborium_does() {
    for bits in 0..=u16::MAX {
        let [a, b] = bits.to_be_bytes();
        let data = [0xf9, a, b];
        assert_eq!(ours(&data), theirs(&data), "half {bits:04x}");
    }
}

#[test]
fn single_and_double_floats_read_as_ciborium_does() {
    fn prop(single: u32, double: u64) -> bool {
        let mut data = vec![0xfa];
        data.extend_from_slice(&single.to_be_bytes());
        data.push(0xfb);
        data.extend_from_slice(&double.to_be_bytes());
        ours(&data) == theirs(&data)
    }
    QuickCheck::new()
        .tests(2000)
        .quickcheck(prop as fn(u32, u64) -> bool);
    // NaNs and infinities of both widths, signalling and quiet.
    for single in [
        0x7f80_0000u32,
        0xff80_0000,
        0x7f80_0001,
        0x7fc0_0000,
        0xffc1_2345,
    ] {
        assert!(prop(single, 0x7ff0_0000_0000_0001), "{single:08x}");
    }
}

#[test]
fn the_shortcut_agrees_with_the_full_reader() {
    fn prop(data: Vec<u8>, major: u8) -> TestResult {
        // Major types with an argument (7, simple values and floats, has none).
        let major = major % 7;
        let mut fast = 0;
        let mut full = 0;
        let Some(arg) = read_arg(&data, &mut fast, major) else {
            return TestResult::from_bool(fast == 0);
        };
        let want = match read(&data, &mut full) {
            Ok(Header::Positive(v) | Header::Negative(v) | Header::Tag(v)) => {
                usize::try_from(v).ok()
            }
            Ok(
                Header::Bytes(Some(n))
                | Header::Text(Some(n))
                | Header::Array(Some(n))
                | Header::Map(Some(n)),
            ) => Some(n),
            _ => None,
        };
        TestResult::from_bool(want == Some(arg) && fast == full)
    }
    QuickCheck::new()
        .tests(2000)
        .quickcheck(prop as fn(Vec<u8>, u8) -> TestResult);
}

#[test]
fn writes_what_ciborium_writes() {
    fn prop(v: u64, float_bits: u64, len: usize, simple: u8) -> bool {
        let headers = [
            Header::Positive(v),
            Header::Negative(v),
            Header::Bytes(Some(len)),
            Header::Text(Some(len)),
            Header::Array(Some(len)),
            Header::Map(Some(len)),
            Header::Float(f64::from_bits(float_bits)),
            Header::Float(f64::from(f32::from_bits(float_bits as u32))),
            Header::Float(f64::from(i16::try_from(v % 60_000).unwrap_or(0)) / 8.0),
            Header::Simple(simple),
            Header::Tag(v),
            Header::Array(None),
            Header::Break,
        ];
        headers.into_iter().all(|h| {
            let mut mine = Vec::new();
            write(&mut mine, h);
            let mut theirs = Vec::new();
            Encoder::from(&mut theirs).push(h).expect("a Vec");
            mine == theirs
        })
    }
    QuickCheck::new()
        .tests(2000)
        .quickcheck(prop as fn(u64, u64, usize, u8) -> bool);
    for v in [
        0u64,
        23,
        24,
        255,
        256,
        65_535,
        65_536,
        0xffff_ffff,
        0x1_0000_0000,
        u64::MAX,
    ] {
        assert!(prop(v, v, v as usize, 0), "boundary {v}");
        let mut buf = Vec::new();
        write_arg(&mut buf, MAJOR_UINT, v);
        assert_eq!(buf.len(), arg_len(v), "arg_len({v})");
    }
}
