//! Prints a few protocol frames with their CBOR encoding and decodes them back.
//!
//! Run with `cargo run -p syncwire-proto --example wire_tour`.

use bytes::Bytes;
use syncwire_proto::wire::*;

fn main() {
    let room = RoomId::new("doc-1");
    let frames = [
        Frame::Hello(Hello {
            versions: SUPPORTED_VERSIONS.to_vec(),
            replica: ReplicaId(42),
            token: Some("s3cret".into()),
            user_info: None,
        }),
        Frame::Join(Join {
            room: room.clone(),
            crdt: "gcounter".into(),
            resume: None,
        }),
        Frame::ClientDelta(ClientDelta {
            room: room.clone(),
            crdt: "gcounter".into(),
            replica: ReplicaId(42),
            seq: 1,
            payload: Bytes::from_static(&[0xa1, 0x18, 0x2a, 0x01]),
        }),
        Frame::Ack(Ack {
            room,
            seq: 1,
            offset: Some(0),
        }),
    ];
    for frame in &frames {
        let bytes = frame.encode();
        let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
        println!(
            "{:<12} {:>3} bytes  {}",
            frame.name(),
            bytes.len(),
            hex.join(" ")
        );
        assert_eq!(Frame::decode(&bytes).as_ref(), Ok(frame));
    }
    match Frame::decode(&[0x82, 0x06, 0x62, 0xff, 0xfe]) {
        Err(e) => println!("malformed input is rejected: {e}"),
        Ok(f) => println!("unexpectedly decoded {f:?}"),
    }
}
