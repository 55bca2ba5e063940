//! The IndexedDB record layout: round trips, and diffs that write only what changed.

use super::*;
use syncwire_proto::client::PersistedState;

fn room(name: &str, next_seq: u64, outbox: &[u64]) -> PersistedRoom {
    PersistedRoom {
        room: RoomId::new(name),
        crdt: "pncounter".into(),
        next_seq,
        position: Some(Position {
            epoch: 2,
            offset: 17,
        }),
        outbox: outbox
            .iter()
            .map(|&seq| PersistedDelta {
                seq,
                payload: Bytes::from(vec![seq as u8; 3]),
            })
            .collect(),
    }
}

fn session(rooms: Vec<PersistedRoom>, docs: &[(&str, &[u8])]) -> SavedSession {
    SavedSession {
        replica: Some(ReplicaId(9)),
        client: PersistedState { rooms },
        docs: docs
            .iter()
            .map(|(room, state)| SavedDoc {
                room: RoomId::new(room),
                state: state.to_vec(),
            })
            .collect(),
    }
}

#[test]
fn a_session_round_trips_through_its_records() {
    let mut no_position = room("b", 1, &[]);
    no_position.position = None;
    let saved = session(vec![room("a", 4, &[2, 3]), no_position], &[("a", &[7, 7])]);
    let back = Image::of(&saved).into_saved(ReplicaId(9));
    assert_eq!(back, saved);
}

#[test]
fn one_change_is_one_small_write() {
    let before = Image::of(&session(
        vec![room("a", 3, &[1, 2]), room("b", 1, &[])],
        &[("a", &[1]), ("b", &[5])],
    ));
    // Delta 1 acknowledged, delta 3 added to room a; room b unchanged.
    let after = Image::of(&session(
        vec![room("a", 4, &[2, 3]), room("b", 1, &[])],
        &[("a", &[1, 3]), ("b", &[5])],
    ));
    let ops = before.diff(&after);
    assert_eq!(ops.len(), 3, "{ops:?}");
    assert!(matches!(&ops[0], Op::PutRoom(r, _) if r == "a"));
    assert_eq!(
        ops[1],
        Op::PutDelta("a".into(), 3, Bytes::from(vec![3u8; 3]))
    );
    assert_eq!(ops[2], Op::DeleteDelta("a".into(), 1));
    assert!(
        after.diff(&after).is_empty(),
        "nothing changed, nothing written"
    );
    // Leaving a room deletes its record and its deltas.
    let left = Image::of(&session(vec![room("b", 1, &[])], &[("b", &[5])]));
    let ops = after.diff(&left);
    assert_eq!(
        ops,
        vec![
            Op::DeleteRoom("a".into()),
            Op::DeleteDelta("a".into(), 2),
            Op::DeleteDelta("a".into(), 3)
        ]
    );
}

#[test]
fn an_unreadable_room_record_is_left_out_with_its_deltas() {
    let mut image = Image::of(&session(vec![room("a", 3, &[1, 2])], &[]));
    image.rooms[0].1 = vec![99, 1, 2];
    let back = image.into_saved(ReplicaId(9));
    assert!(back.client.rooms.is_empty() && back.docs.is_empty());
}

#[test]
fn a_delta_whose_payload_changed_under_its_seq_is_written_again() {
    // Delta 3 was stored, then a new change merged into it before it was ever sent
    // (`Outbox::push`), or a withdrawal renumbered the one after it down to 3.
    let mut merged = room("a", 4, &[2, 3]);
    merged.outbox[1].payload = Bytes::from_static(b"merged");
    let before = Image::of(&session(vec![room("a", 4, &[2, 3])], &[("a", &[1])]));
    let after = Image::of(&session(vec![merged], &[("a", &[1])]));
    assert_eq!(
        before.diff(&after),
        [Op::PutDelta("a".into(), 3, Bytes::from_static(b"merged"))]
    );
}
