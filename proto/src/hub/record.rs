//! What the hub accepts from storage as a room's record ([`valid`]): a tail
//! contiguous up to the head, a snapshot inside the stored range, a non-zero epoch.
//! A record that fails is never served from: the room fails instead.

use super::storage::RoomRecord;

/// Whether a record from storage is self-consistent enough to serve from.
pub(crate) fn valid(rec: &RoomRecord) -> bool {
    let len = rec.tail.len() as u64;
    let tail_start = rec.head.checked_sub(len);
    let contiguous = tail_start.is_some_and(|start| {
        rec.tail
            .iter()
            .enumerate()
            .all(|(i, e)| Some(e.offset) == start.checked_add(i as u64))
    });
    let snap_ok = match &rec.snapshot {
        Some(s) => s.offset <= rec.head && rec.first_offset <= s.offset,
        None => rec.first_offset == 0,
    };
    rec.epoch != 0 && contiguous && snap_ok && tail_start.is_some_and(|t| t >= rec.first_offset)
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::hub::events::HubEvent;
    use crate::hub::storage::{StorageAction, StorageCompletion, StoredEntry, StoredSnapshot};
    use crate::time::Instant;
    use crate::wire::ReplicaId;
    use crate::wire::RoomId;

    fn entry(offset: u64) -> StoredEntry {
        StoredEntry {
            offset,
            replica: ReplicaId(1),
            seq: offset + 1,
            payload: Bytes::from_static(b"x"),
        }
    }

    /// Makes a record inconsistent in one way.
    type Spoil = fn(&mut RoomRecord);

    /// Head 10, entries 6..10 stored from offset 4, a snapshot at 4.
    fn good() -> RoomRecord {
        RoomRecord {
            crdt: "gcounter".into(),
            epoch: 7,
            head: 10,
            first_offset: 4,
            snapshot: Some(StoredSnapshot {
                offset: 4,
                state: Bytes::new(),
                seqs: Vec::new(),
            }),
            seqs: vec![(ReplicaId(1), 10)],
            tail: (6..10).map(entry).collect(),
        }
    }

    #[test]
    fn only_a_self_consistent_record_is_served() {
        assert!(valid(&good()));
        let mut no_snapshot = good();
        no_snapshot.snapshot = None;
        no_snapshot.first_offset = 0;
        assert!(valid(&no_snapshot), "entries from 0 without a snapshot");
        let broken: [(&str, Spoil); 7] = [
            ("epoch 0", |r| r.epoch = 0),
            ("a gap in the tail", |r| r.tail[1].offset = 20),
            ("a tail that does not end at the head", |r| r.head = 11),
            ("a tail longer than the head", |r| r.head = 2),
            ("a snapshot beyond the head", |r| {
                if let Some(s) = r.snapshot.as_mut() {
                    s.offset = 12;
                }
            }),
            ("entries stored from after the snapshot", |r| {
                r.first_offset = 5
            }),
            ("entries from a later offset without a snapshot", |r| {
                r.snapshot = None;
            }),
        ];
        for (why, spoil) in broken {
            let mut r = good();
            spoil(&mut r);
            assert!(!valid(&r), "{why}");
        }
        let mut before_first = good();
        before_first.tail = (2..10).map(entry).collect();
        assert!(
            !valid(&before_first),
            "a tail that starts before the first stored offset"
        );
    }

    #[test]
    fn an_inconsistent_record_fails_the_room_instead_of_serving_it() {
        use crate::hub::{AllowAll, Hub, HubConfig, HubOutput};
        use crate::wire::{Frame, Hello, Join, SUPPORTED_VERSIONS};
        let now = Instant::ZERO;
        let config = HubConfig {
            authorizer: Some(std::sync::Arc::new(AllowAll)),
            ..HubConfig::default()
        };
        let mut hub = Hub::new(config, now).expect("config");
        let sid = hub.handle_session_opened(now);
        let hello = Frame::Hello(Hello {
            versions: SUPPORTED_VERSIONS.to_vec(),
            replica: ReplicaId(1),
            token: None,
            user_info: None,
        });
        hub.handle_frame(now, sid, &hello.encode());
        let join = Frame::Join(Join {
            room: RoomId::new("r"),
            crdt: "gcounter".into(),
            resume: None,
        });
        hub.handle_frame(now, sid, &join.encode());
        let mut load = None;
        while let Some(out) = hub.poll_output() {
            if let HubOutput::Storage(StorageAction::Load { op, .. }) = out {
                load = Some(op);
            }
        }
        let op = load.expect("the join loads the room");
        let mut bad = good();
        bad.tail[1].offset = 20;
        let done = StorageCompletion::Loaded {
            op,
            result: Ok(Some(bad)),
        };
        hub.handle_storage(now, done);
        let mut failed = false;
        let mut joined = false;
        while let Some(out) = hub.poll_output() {
            match out {
                HubOutput::Event(HubEvent::RoomFailed { .. }) => failed = true,
                HubOutput::Transmit { frames, .. } => {
                    for f in frames {
                        joined |= matches!(Frame::decode(&f), Ok(Frame::Joined(_)));
                    }
                }
                _ => {}
            }
        }
        assert!(failed && !joined, "failed {failed}, joined {joined}");
        assert!(hub.room_members(&RoomId::new("r")).is_empty());
    }
}
