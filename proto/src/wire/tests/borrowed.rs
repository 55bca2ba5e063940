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

#[test]
fn the_room_encoder_matches_the_owned_frames() {
    fn prop(f: Frame) -> TestResult {
        let (encoded, len) = match &f {
            Frame::HubDelta(d) => {
                let e = RoomEncoder::new(d.room.as_str(), &d.crdt, d.epoch);
                let len = e.hub_delta_len(d.offset, d.replica, d.seq, d.payload.len());
                let bytes = e.hub_delta(len, d.offset, d.replica, d.seq, &d.payload);
                (bytes, len)
            }
            Frame::Ack(a) => {
                let e = RoomEncoder::new(a.room.as_str(), "any", 1);
                let len = e.ack_len(a.seq, a.offset);
                (e.ack(len, a.seq, a.offset), len)
            }
            _ => return TestResult::discard(),
        };
        TestResult::from_bool(encoded == f.encode() && encoded.len() == len)
    }
    QuickCheck::new()
        .tests(300)
        .max_tests(20_000)
        .quickcheck(prop as fn(Frame) -> TestResult);
}

#[test]
fn room_ids_compare_as_their_names_and_are_found_by_str() {
    fn prop(a: String, b: String) -> bool {
        let (ra, rb) = (RoomId::new(&a), RoomId::new(&b));
        let map: std::collections::BTreeMap<RoomId, ()> = [(ra.clone(), ())].into();
        ra.cmp(&rb) == a.cmp(&b)
            && (ra == rb) == (a == b)
            && ra == RoomId::new(&a)
            && ra.cmp(&ra.clone()).is_eq()
            && map.contains_key(a.as_str())
            && map.contains_key(b.as_str()) == (a == b)
    }
    QuickCheck::new()
        .tests(300)
        .quickcheck(prop as fn(String, String) -> bool);
}
