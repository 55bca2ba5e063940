//! The borrowed encoders produce exactly the bytes of the owned frames, in
//! buffers of exactly their announced size.

use quickcheck::{QuickCheck, TestResult};

use crate::wire::*;

#[test]
fn borrowed_encoders_match_the_owned_frames() {
    fn prop(f: Frame) -> TestResult {
        let bytes = match &f {
            Frame::HubDelta(d) => {
                let r = HubDeltaRef {
                    room: d.room.as_str(),
                    crdt: &d.crdt,
                    epoch: d.epoch,
                    offset: d.offset,
                    replica: d.replica,
                    seq: d.seq,
                    payload: &d.payload,
                };
                (r.encode(), r.encoded_len())
            }
            Frame::Ack(a) => {
                let r = AckRef {
                    room: a.room.as_str(),
                    seq: a.seq,
                    offset: a.offset,
                };
                (r.encode(), r.encoded_len())
            }
            _ => return TestResult::discard(),
        };
        let (encoded, len) = bytes;
        TestResult::from_bool(encoded == f.encode() && encoded.len() == len)
    }
    QuickCheck::new()
        .tests(300)
        .max_tests(20_000)
        .quickcheck(prop as fn(Frame) -> TestResult);
}
