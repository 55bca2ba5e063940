//! The decoding entry points (`&[u8]`, `Bytes`, borrowed) agree on every input.
//! (The header reader and writer under them are checked against `ciborium_ll` in
//! `cbor_head/tests.rs`.)

use bytes::Bytes;
use quickcheck::{QuickCheck, TestResult};

use crate::wire::*;

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
