//! One test per decode rejection path.

use crate::wire::*;

fn err(input: &[u8]) -> DecodeError {
    Frame::decode(input).expect_err("input must be rejected")
}

/// A CBOR text header + body.
fn text(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match s.len() {
        n @ 0..=23 => out.push(0x60 | n as u8),
        n @ 24..=255 => out.extend([0x78, n as u8]),
        n => out.extend([0x79, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(s);
    out
}

#[test]
fn oversized_frame_is_rejected_before_parsing() {
    // Garbage that would be invalid CBOR: the size check comes first.
    let big = vec![0xff; 101];
    assert_eq!(
        Frame::decode_with_limit(&big, 100),
        Err(DecodeError::FrameTooLarge {
            size: 101,
            max: 100
        })
    );
}

#[test]
fn empty_and_truncated_inputs() {
    assert_eq!(err(&[]), DecodeError::Truncated { field: "frame" });
    // A Ping array with its nonce missing: the array claims more elements than bytes left.
    assert_eq!(
        err(&[0x82, 0x0b]),
        DecodeError::LengthExceedsInput {
            field: "frame",
            declared: 2,
            remaining: 1
        }
    );
    assert_eq!(
        err(&[0x82, 0x0b, 0x18]),
        DecodeError::Truncated { field: "nonce" }
    );
    // Nonce header announces an 8-byte integer, only 2 bytes follow.
    assert_eq!(
        err(&[0x82, 0x0b, 0x1b, 0, 0]),
        DecodeError::Truncated { field: "nonce" }
    );
}

#[test]
fn trailing_bytes() {
    assert_eq!(
        err(&[0x82, 0x0b, 0x00, 0x00]),
        DecodeError::TrailingBytes { extra: 1 }
    );
}

#[test]
fn invalid_cbor_header() {
    // Additional information 28 is reserved in CBOR.
    assert_eq!(err(&[0x1c]), DecodeError::InvalidCbor { offset: 0 });
}

#[test]
fn unexpected_types() {
    assert_eq!(
        err(&[0x01]),
        DecodeError::UnexpectedType {
            field: "frame",
            expected: "array"
        }
    );
    assert_eq!(
        err(&[0x82, 0x0b, 0x61, b'x']),
        DecodeError::UnexpectedType {
            field: "nonce",
            expected: "unsigned integer"
        }
    );
    // Negative frame type.
    assert_eq!(
        err(&[0x81, 0x20]),
        DecodeError::UnexpectedType {
            field: "frame type",
            expected: "unsigned integer"
        }
    );
    // A tag where the frame type should be.
    assert_eq!(
        err(&[0x82, 0xc0, 0x0b]),
        DecodeError::UnexpectedType {
            field: "frame type",
            expected: "unsigned integer"
        }
    );
    // Joined.writable must be a boolean, not an integer.
    let mut joined = vec![0x8a, 0x05];
    joined.extend(text(b"r"));
    joined.extend(text(b"gcounter"));
    joined.extend([0x01, 0x00, 0x00, 0x00, 0x01, 0xf4, 0xf6]);
    assert_eq!(
        err(&joined),
        DecodeError::UnexpectedType {
            field: "writable",
            expected: "boolean"
        }
    );
}

#[test]
fn unknown_frame_type() {
    assert_eq!(err(&[0x81, 0x18, 99]), DecodeError::UnknownFrameType(99));
    assert_eq!(err(&[0x81, 0x00]), DecodeError::UnknownFrameType(0));
}

#[test]
fn wrong_arity() {
    assert_eq!(
        err(&[0x80]),
        DecodeError::WrongArity {
            what: "frame",
            expected: 1,
            got: 0
        }
    );
    assert_eq!(
        err(&[0x81, 0x0b]),
        DecodeError::WrongArity {
            what: "Ping",
            expected: 2,
            got: 1
        }
    );
    assert_eq!(
        err(&[0x83, 0x0b, 0x00, 0x00]),
        DecodeError::WrongArity {
            what: "Ping",
            expected: 2,
            got: 3
        }
    );
    // Welcome whose limits array has 3 elements.
    assert_eq!(
        err(&[0x85, 0x02, 0x01, 0x01, 0x01, 0x83, 0x01, 0x01, 0x01]),
        DecodeError::WrongArity {
            what: "limits",
            expected: 9,
            got: 3
        }
    );
    // Join whose resume position has one element.
    let mut join = vec![0x84, 0x04];
    join.extend(text(b"r"));
    join.extend(text(b"c"));
    join.extend([0x81, 0x01]);
    assert_eq!(
        err(&join),
        DecodeError::WrongArity {
            what: "resume",
            expected: 2,
            got: 1
        }
    );
    // DeltaBatch entry with two elements.
    let mut batch = vec![0x86, 0x09];
    batch.extend(text(b"r"));
    batch.extend(text(b"c"));
    batch.extend([0x01, 0x00, 0x81, 0x82, 0x01, 0x01]);
    assert_eq!(
        err(&batch),
        DecodeError::WrongArity {
            what: "entry",
            expected: 3,
            got: 2
        }
    );
}

#[test]
fn indefinite_lengths_are_rejected() {
    assert_eq!(
        err(&[0x9f, 0x0b, 0x00, 0xff]),
        DecodeError::IndefiniteLength { field: "frame" }
    );
    let mut presence = vec![0x83, 0x0f];
    presence.extend(text(b"r"));
    presence.extend([0x5f, 0x41, 0x00, 0xff]);
    assert_eq!(
        err(&presence),
        DecodeError::IndefiniteLength { field: "state" }
    );
    assert_eq!(
        err(&[0x82, 0x06, 0x7f, 0x61, b'r', 0xff]),
        DecodeError::IndefiniteLength { field: "room" }
    );
}

#[test]
fn declared_lengths_beyond_the_input_are_rejected_without_allocating() {
    // SetPresence whose state claims 2^62 bytes: must not try to allocate them.
    let mut presence = vec![0x83, 0x0f];
    presence.extend(text(b"r"));
    presence.extend([0x5b, 0x40, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        err(&presence),
        DecodeError::LengthExceedsInput {
            field: "state",
            declared: 1 << 62,
            remaining: 0
        }
    );
    // An array claiming a billion elements.
    assert_eq!(
        err(&[0x9a, 0x3b, 0x9a, 0xca, 0x00, 0x0b]),
        DecodeError::LengthExceedsInput {
            field: "frame",
            declared: 1_000_000_000,
            remaining: 1
        }
    );
}

#[test]
fn overlong_fields() {
    let mut leave = vec![0x82, 0x06];
    leave.extend(text(&[b'a'; MAX_ROOM_ID_LEN + 1]));
    assert_eq!(
        err(&leave),
        DecodeError::FieldTooLong {
            field: "room",
            len: 257,
            max: 256
        }
    );
    let mut hello = vec![0x85, 0x01, 0x91];
    hello.extend([0x01; 17]);
    hello.extend([0x01, 0xf6, 0xf6]);
    assert_eq!(
        err(&hello),
        DecodeError::FieldTooLong {
            field: "versions",
            len: 17,
            max: 16
        }
    );
}

#[test]
fn invalid_utf8() {
    assert_eq!(
        err(&[0x82, 0x06, 0x62, 0xff, 0xfe]),
        DecodeError::InvalidUtf8 { field: "room" }
    );
}

#[test]
fn integers_out_of_range() {
    // Reject with code 70000.
    let mut reject = vec![0x85, 0x03, 0x1a, 0x00, 0x01, 0x11, 0x70, 0xf6, 0xf6];
    reject.extend(text(b""));
    assert_eq!(
        err(&reject),
        DecodeError::IntegerOutOfRange {
            field: "code",
            value: 70_000
        }
    );
}

#[test]
fn version_offers_beyond_32_bits_are_uints_no_build_speaks() {
    // Hello [1, [2, 2^32, 2^64 - 1], 1, null, null]: a uint in every position is valid
    // (PROTOCOL.md §3.1); offers beyond 32 bits are left out, the rest is kept in order.
    let mut hello = vec![0x85, 0x01, 0x83, 0x02];
    hello.extend([0x1b, 0, 0, 0, 1, 0, 0, 0, 0]);
    hello.extend([0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    hello.extend([0x01, 0xf6, 0xf6]);
    let Ok(Frame::Hello(h)) = Frame::decode(&hello) else {
        panic!("a Hello with large version offers must decode");
    };
    assert_eq!(h.versions, vec![2]);
}

#[test]
fn errors_name_what_was_wrong() {
    let msg = err(&[0x82, 0x06, 0x62, 0xff, 0xfe]).to_string();
    assert_eq!(msg, "room: invalid UTF-8");
    let msg = Frame::decode_with_limit(&[0; 10], 4)
        .unwrap_err()
        .to_string();
    assert_eq!(msg, "frame of 10 bytes exceeds the maximum of 4");
}

#[test]
fn empty_room_names_and_crdt_tags_are_rejected_in_every_frame() {
    let empty_room = DecodeError::EmptyField { field: "room" };
    let empty_crdt = DecodeError::EmptyField { field: "crdt" };
    let frame = |parts: &[&[u8]]| parts.concat();
    let cases: Vec<(Vec<u8>, &DecodeError)> = vec![
        // [4, "", "g", null]
        (
            frame(&[&[0x84, 0x04], &text(b""), &text(b"g"), &[0xf6]]),
            &empty_room,
        ),
        // [4, "r", "", null]
        (
            frame(&[&[0x84, 0x04], &text(b"r"), &text(b""), &[0xf6]]),
            &empty_crdt,
        ),
        // [6, ""]
        (frame(&[&[0x82, 0x06], &text(b"")]), &empty_room),
        // [7, "", "g", 1, 1, h'']
        (
            frame(&[&[0x86, 0x07], &text(b""), &text(b"g"), &[0x01, 0x01, 0x40]]),
            &empty_room,
        ),
        // [3, 6, "", null, "m"]
        (
            frame(&[&[0x85, 0x03, 0x06], &text(b""), &[0xf6], &text(b"m")]),
            &empty_room,
        ),
        // [15, "", h'']
        (frame(&[&[0x83, 0x0f], &text(b""), &[0x40]]), &empty_room),
    ];
    for (bytes, expected) in &cases {
        assert_eq!(&err(bytes), *expected, "{bytes:02x?}");
        // The borrowed path (the hub's) rejects it too.
        let borrowed = Frame::decode_ref(bytes, usize::MAX).map(|_| ());
        assert_eq!(borrowed.as_ref().err(), Some(*expected), "{bytes:02x?}");
    }
    // One byte is enough.
    let join = frame(&[&[0x84, 0x04], &text(b"r"), &text(b"g"), &[0xf6]]);
    assert!(Frame::decode(&join).is_ok());
}
