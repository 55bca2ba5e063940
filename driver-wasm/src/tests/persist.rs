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
