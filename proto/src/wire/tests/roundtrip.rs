//! Property tests: round trip, stability, and no panic on arbitrary bytes.

use quickcheck::{QuickCheck, TestResult};

use crate::wire::*;

fn qc() -> QuickCheck {
    QuickCheck::new().tests(2000)
}

#[test]
fn encode_then_decode_is_identity() {
    fn prop(f: Frame) -> bool {
        Frame::decode(&f.encode()) == Ok(f)
    }
    qc().quickcheck(prop as fn(Frame) -> bool);
}

#[test]
fn arbitrary_bytes_never_panic_and_decoded_frames_are_stable() {
    fn prop(data: Vec<u8>) -> TestResult {
        match Frame::decode(&data) {
            Err(_) => TestResult::passed(),
            Ok(f) => {
                let again = Frame::decode(&f.encode());
                TestResult::from_bool(again.as_ref() == Ok(&f))
            }
        }
    }
    qc().quickcheck(prop as fn(Vec<u8>) -> TestResult);
}

#[test]
fn mutated_valid_frames_never_panic_and_stay_stable() {
    // Random bytes rarely look like frames; flipping bytes of real frames reaches
    // the deeper decoding paths.
    fn prop(f: Frame, flips: Vec<(usize, u8)>, cut: usize) -> TestResult {
        let mut data = f.encode();
        for (i, v) in flips {
            let len = data.len();
            data[i % len] ^= v;
        }
        let cut_at = cut % (data.len() + 1);
        for input in [&data[..], &data[..cut_at]] {
            if let Ok(f) = Frame::decode(input) {
                if Frame::decode(&f.encode()).as_ref() != Ok(&f) {
                    return TestResult::failed();
                }
            }
        }
        TestResult::passed()
    }
    qc().quickcheck(prop as fn(Frame, Vec<(usize, u8)>, usize) -> TestResult);
}

#[test]
fn every_strict_prefix_of_a_frame_is_rejected() {
    fn prop(f: Frame) -> bool {
        let data = f.encode();
        (0..data.len()).all(|n| Frame::decode(&data[..n]).is_err())
    }
    QuickCheck::new()
        .tests(300)
        .quickcheck(prop as fn(Frame) -> bool);
}

#[test]
fn frames_that_fit_the_limit_decode_and_larger_ones_do_not() {
    fn prop(f: Frame) -> bool {
        let data = f.encode();
        Frame::decode_with_limit(&data, data.len()).is_ok()
            && Frame::decode_with_limit(&data, data.len() - 1)
                == Err(DecodeError::FrameTooLarge {
                    size: data.len(),
                    max: data.len() - 1,
                })
    }
    qc().quickcheck(prop as fn(Frame) -> bool);
}

#[test]
fn ack_carries_an_optional_offset_and_the_old_three_element_form_is_rejected() {
    for offset in [Some(14), None, Some(u64::MAX)] {
        let f = Frame::Ack(Ack {
            room: RoomId::new("doc-1"),
            seq: 4,
            offset,
        });
        assert_eq!(Frame::decode(&f.encode()), Ok(f));
    }
    let old = [0x83, 0x0a, 0x65, b'd', b'o', b'c', b'-', b'1', 0x04];
    assert_eq!(
        Frame::decode(&old),
        Err(DecodeError::WrongArity {
            what: "Ack",
            expected: 4,
            got: 3
        })
    );
}
