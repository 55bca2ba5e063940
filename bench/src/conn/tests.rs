//! The load tool's frames against the protocol's own codec.

use syncwire_proto::wire::HubDelta;

use super::*;

fn hub_delta(payload: Bytes) -> Message {
    let frame = Frame::HubDelta(HubDelta {
        room: RoomId::new(ROOM),
        crdt: CRDT.to_owned(),
        epoch: u64::MAX,
        offset: 300,
        replica: ReplicaId(7),
        seq: 70_000,
        payload,
    });
    Message::Binary(frame.encode().into())
}

#[test]
fn a_live_delta_is_read_without_decoding_and_agrees_with_the_decoder() {
    let payload = stamped_payload();
    let msg = hub_delta(payload.clone());
    let Message::Binary(bytes) = &msg else {
        unreachable!()
    };
    assert_eq!(hub_delta_payload(bytes), Some(&payload[..]));
    let (mut fast, mut decoded) = (Vec::new(), Vec::new());
    assert_eq!(payloads(Kind::Syncwire, &msg, |p| fast.push(p.to_vec())), 1);
    deliveries(Kind::Syncwire, &msg, |_, p| decoded.push(p.to_vec()));
    assert_eq!(fast, decoded);
}

#[test]
fn other_frames_and_other_sizes_go_through_the_decoder() {
    // A payload of another size is not taken by the fast path, still counted.
    let msg = hub_delta(Bytes::from(vec![1u8; 10]));
    let Message::Binary(bytes) = &msg else {
        unreachable!()
    };
    assert_eq!(hub_delta_payload(bytes), None);
    assert_eq!(
        payloads(Kind::Syncwire, &msg, |p| assert_eq!(p.len(), 10)),
        1
    );
    // An Ack delivers nothing.
    let ack = Frame::Ack(syncwire_proto::wire::Ack {
        room: RoomId::new(ROOM),
        seq: 1,
        offset: Some(0),
    });
    let msg = Message::Binary(ack.encode().into());
    assert_eq!(payloads(Kind::Syncwire, &msg, |_| panic!("no delta")), 0);
}

#[test]
fn an_lww_write_is_valid_for_the_hub_and_keeps_the_stamp_and_the_fast_path() {
    use syncwire_proto::crdt::Registry;
    let value = stamped_payload();
    let lww = lww_set(u64::from(u32::MAX) + 7, &value);
    Registry::with_builtin()
        .validate("lww", &lww)
        .expect("the hub accepts it");
    assert_eq!(stamp_of(&lww), stamp_of(&value));
    let msg = hub_delta(lww);
    let mut fast = Vec::new();
    assert_eq!(payloads(Kind::Durable, &msg, |p| fast.push(p.to_vec())), 1);
    assert_eq!(fast, vec![value.to_vec()], "the value ends the frame");
}
