//! Round trips of the stored session format.

use super::*;
use bytes::Bytes;

fn sample() -> SavedSession {
    SavedSession {
        replica: Some(ReplicaId(5)),
        client: PersistedState {
            rooms: vec![PersistedRoom {
                room: RoomId::new("counter"),
                crdt: "pncounter".into(),
                next_seq: 4,
                position: Some(Position {
                    epoch: 2,
                    offset: 17,
                }),
                outbox: vec![
                    PersistedDelta {
                        seq: 2,
                        payload: Bytes::from_static(&[1, 2, 3]),
                    },
                    PersistedDelta {
                        seq: 3,
                        payload: Bytes::from_static(&[0xff]),
                    },
                ],
            }],
        },
        docs: vec![SavedDoc {
            room: RoomId::new("counter"),
            state: vec![9, 8, 7],
        }],
    }
}

#[test]
fn a_saved_session_round_trips() {
    let text = encode(&sample());
    assert_eq!(decode(Some(ReplicaId(5)), &text), Ok(sample()));
    // Without an id of its own, a client continues as the saved replica.
    assert_eq!(decode(None, &text), Ok(sample()));
}

#[test]
fn another_replicas_state_is_refused() {
    let text = encode(&sample());
    assert_eq!(
        decode(Some(ReplicaId(6)), &text),
        Err(LoadError::OtherReplica(5))
    );
}

#[test]
fn corrupt_text_is_an_error_not_a_panic() {
    let text = encode(&sample());
    for bad in ["zz", "abc", &text[..text.len() - 2], ""] {
        assert!(matches!(
            decode(Some(ReplicaId(5)), bad),
            Err(LoadError::Corrupt(_))
        ));
    }
}

/// The entry as serde wrote it before `crate::cbor` (the same structs, derived).
mod serde_form {
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    pub struct Stored {
        pub format: u32,
        pub replica: u64,
        pub rooms: Vec<StoredRoom>,
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    pub struct StoredRoom {
        pub room: String,
        pub crdt: String,
        pub next_seq: u64,
        pub position: Option<(u64, u64)>,
        pub outbox: Vec<StoredDelta>,
        #[serde(with = "serde_bytes")]
        pub doc: Option<Vec<u8>>,
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    pub struct StoredDelta {
        pub seq: u64,
        #[serde(with = "serde_bytes")]
        pub payload: Vec<u8>,
    }
}

#[test]
fn the_hand_written_cbor_is_the_serde_form_byte_for_byte() {
    use serde_form::*;
    let mut second = sample().client.rooms[0].clone();
    second.room = RoomId::new("z-no-position");
    second.position = None;
    second.outbox.clear();
    second.next_seq = 300_000; // a multi-byte integer
    let mut saved = sample();
    saved.client.rooms.push(second);
    let old = Stored {
        format: 1,
        replica: 5,
        rooms: vec![
            StoredRoom {
                room: "counter".into(),
                crdt: "pncounter".into(),
                next_seq: 4,
                position: Some((2, 17)),
                outbox: vec![
                    StoredDelta {
                        seq: 2,
                        payload: vec![1, 2, 3],
                    },
                    StoredDelta {
                        seq: 3,
                        payload: vec![0xff],
                    },
                ],
                doc: Some(vec![9, 8, 7]),
            },
            StoredRoom {
                room: "z-no-position".into(),
                crdt: "pncounter".into(),
                next_seq: 300_000,
                position: None,
                outbox: vec![],
                doc: None,
            },
        ],
    };
    let mut bytes = Vec::new();
    ciborium::into_writer(&old, &mut bytes).expect("encodes");
    let text = hex_encode(&bytes);
    assert_eq!(encode(&saved), text, "written as serde wrote it");
    assert_eq!(decode(None, &text), Ok(saved), "and read back");
}
