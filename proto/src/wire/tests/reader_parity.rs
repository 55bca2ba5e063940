//! The hand-written CBOR header reader accepts and rejects exactly what
//! `ciborium_ll::Decoder::pull` does, at the same offsets; the decoding entry
//! points (`&[u8]`, `Bytes`, borrowed) agree on every input.

use bytes::Bytes;
use ciborium_ll::{Decoder, Header};
use quickcheck::{QuickCheck, TestResult};

use super::super::reader::In;
use crate::wire::*;

/// Headers (as comparable text) and the offset after each, until the first error.
fn ours(data: &[u8]) -> Vec<(String, usize)> {
    let mut r = In::new(data, None);
    let mut out = Vec::new();
    loop {
        match r.head("x") {
            Ok(h) => out.push((show(h), data.len() - r.remaining())),
            Err(DecodeError::Truncated { .. }) => return push_end(out, "truncated"),
            Err(DecodeError::InvalidCbor { offset }) => {
                return push_end(out, &format!("invalid@{offset}"));
            }
            Err(e) => return push_end(out, &format!("other {e}")),
        }
    }
}

fn theirs(data: &[u8]) -> Vec<(String, usize)> {
    let mut d = Decoder::from(data);
    let mut out = Vec::new();
    loop {
        match d.pull() {
            Ok(h) => out.push((show(h), d.offset())),
            Err(ciborium_ll::Error::Io(_)) => return push_end(out, "truncated"),
            Err(ciborium_ll::Error::Syntax(offset)) => {
                return push_end(out, &format!("invalid@{offset}"));
            }
        }
    }
}

fn push_end(mut out: Vec<(String, usize)>, end: &str) -> Vec<(String, usize)> {
    out.push((end.to_owned(), 0));
    out
}

fn show(h: Header) -> String {
    match h {
        // Float values are never used by the decoder: only the kind must agree.
        Header::Float(_) => "float".to_owned(),
        other => format!("{other:?}"),
    }
}

#[test]
fn header_reader_matches_ciborium_on_every_initial_byte() {
    for first in 0..=255u8 {
        for tail in [&[][..], &[0x01], &[0xff; 3], &[0x12; 9]] {
            let mut data = vec![first];
            data.extend_from_slice(tail);
            assert_eq!(ours(&data), theirs(&data), "input {data:02x?}");
        }
    }
}

#[test]
fn header_reader_matches_ciborium_on_random_bytes() {
    fn prop(data: Vec<u8>) -> bool {
        ours(&data) == theirs(&data)
    }
    QuickCheck::new()
        .tests(1000)
        .quickcheck(prop as fn(Vec<u8>) -> bool);
}

/// Decodes `data` through every entry point; all must agree.
fn all_agree(data: &[u8]) -> bool {
    let plain = Frame::decode(data);
    let shared = Bytes::copy_from_slice(data);
    let max = DEFAULT_MAX_FRAME_BYTES;
    plain == Frame::decode_bytes(&shared, max)
        && plain == Frame::decode_ref(data, max).map(FrameRef::into_owned)
        && plain == Frame::decode_ref_bytes(&shared, max).map(FrameRef::into_owned)
}

#[test]
fn decoding_entry_points_agree_on_frames_and_mutations() {
    fn prop(f: Frame, flips: Vec<(usize, u8)>, cut: usize) -> TestResult {
        let mut data = f.encode();
        if !all_agree(&data) {
            return TestResult::failed();
        }
        for (i, v) in flips {
            let len = data.len();
            if let Some(b) = data.get_mut(i % len) {
                *b = v;
            }
        }
        data.truncate(data.len() - cut % (data.len() / 2 + 1));
        TestResult::from_bool(all_agree(&data))
    }
    QuickCheck::new()
        .tests(1000)
        .quickcheck(prop as fn(Frame, Vec<(usize, u8)>, usize) -> TestResult);
}

#[test]
fn decoding_from_bytes_shares_the_payload_instead_of_copying() {
    let frame = Frame::ClientDelta(ClientDelta {
        room: RoomId::new("room"),
        crdt: "sum".to_owned(),
        replica: ReplicaId(7),
        seq: 3,
        payload: Bytes::from_static(&[9; 40]),
    });
    let input = Bytes::from(frame.encode());
    let range = input.as_ptr_range();
    let Ok(FrameRef::ClientDelta(d)) = Frame::decode_ref_bytes(&input, 1024) else {
        panic!("a ClientDelta decodes borrowed");
    };
    assert!(range.contains(&d.payload.as_ptr()), "payload is a slice");
    assert_eq!((d.room, d.crdt, d.seq), ("room", "sum", 3));
    assert_eq!(Frame::ClientDelta(d.to_owned_delta()), frame);
    let Ok(Frame::ClientDelta(owned)) = Frame::decode_bytes(&input, 1024) else {
        panic!("decodes");
    };
    assert!(
        range.contains(&owned.payload.as_ptr()),
        "payload is a slice"
    );
}

#[test]
fn header_writer_matches_ciborium_at_every_length_boundary() {
    use super::super::encode::Out;
    let values = [
        0u64,
        23,
        24,
        255,
        256,
        65_535,
        65_536,
        u64::from(u32::MAX),
        u64::from(u32::MAX) + 1,
        u64::MAX,
    ];
    for v in values {
        let mut ours = Vec::new();
        let mut o = Out(&mut ours);
        o.uint(v);
        o.array(v as usize);
        let mut theirs = Vec::new();
        let mut e = ciborium_ll::Encoder::from(&mut theirs);
        e.push(Header::Positive(v)).expect("vec");
        e.push(Header::Array(Some(v as usize))).expect("vec");
        assert_eq!(ours, theirs, "value {v}");
    }
    for len in [0usize, 23, 24, 255, 256, 70_000] {
        let text = "x".repeat(len);
        let mut ours = Vec::new();
        let mut o = Out(&mut ours);
        o.text(&text);
        o.bytes(text.as_bytes());
        o.bool(true);
        o.bool(false);
        o.null();
        let mut theirs = Vec::new();
        let mut e = ciborium_ll::Encoder::from(&mut theirs);
        e.text(&text, None).expect("vec");
        e.bytes(text.as_bytes(), None).expect("vec");
        for s in [ciborium_ll::simple::TRUE, ciborium_ll::simple::FALSE] {
            e.push(Header::Simple(s)).expect("vec");
        }
        e.push(Header::Simple(ciborium_ll::simple::NULL))
            .expect("vec");
        assert_eq!(ours, theirs, "length {len}");
    }
}
