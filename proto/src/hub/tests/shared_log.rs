//! Shared-log mode: several hubs over one [`MemoryStorage`] whose appends assign the
//! offsets; entries reach the other hubs only through `Hub::handle_appended` (the
//! driver's tail feed), which the tests deliver late, out of order, repeated or not
//! at all.

use super::harness::*;
use super::nodes::*;
use crate::hub::*;
use crate::wire::*;

#[test]
fn members_on_two_hubs_see_each_others_deltas_in_the_stored_order() {
    let mut n = Nodes::new(2);
    let a = member(&mut n, 0, 1);
    let b = member(&mut n, 1, 2);
    // Stored in this order: offsets 0, 1, 2.
    n.hubs[0].delta(a, "r", 1, 1, sum(1));
    n.pump(0);
    n.hubs[1].delta(b, "r", 2, 1, sum(10));
    n.pump(1);
    n.hubs[0].delta(a, "r", 1, 2, sum(2));
    n.pump(0);
    // Each hub reads the offsets below its own entries from storage (a hole), so
    // both know offsets 0..2 without any feed; hub 1 learns offset 2 from the feed.
    let at_a = n.hubs[0].take(a);
    assert_eq!(deltas(&at_a), vec![(1, 2, 1)]);
    assert_eq!(acks(&at_a), vec![1, 2]);
    let at_b = n.hubs[1].take(b);
    assert_eq!(deltas(&at_b), vec![(0, 1, 1)]);
    assert_eq!(acks(&at_b), vec![1]);
    n.feed(1, "r", |_| true);
    n.feed(0, "r", |_| true); // repeated: nothing new
    assert_eq!(deltas(&n.hubs[1].take(b)), vec![(2, 1, 2)]);
    assert!(n.hubs[0].take(a).is_empty());
    let (_, stored) = n.stored("r", 0);
    let order: Vec<(u64, u64)> = stored.iter().map(|e| (e.replica.0, e.seq)).collect();
    assert_eq!(order, vec![(1, 1), (2, 1), (1, 2)]);
}

#[test]
fn late_out_of_order_and_repeated_feeds_deliver_each_offset_once_in_order() {
    let mut n = Nodes::new(2);
    let a = member(&mut n, 0, 1);
    let b = member(&mut n, 1, 2);
    for seq in 1..=5 {
        n.hubs[0].delta(a, "r", 1, seq, sum(seq));
    }
    n.pump_all();
    // Offsets 3 and 4 first: a hole at 0..3, read from storage.
    n.feed(1, "r", |e| e.offset >= 3);
    n.feed(1, "r", |e| e.offset == 1);
    n.feed(1, "r", |_| true);
    let got = deltas(&n.hubs[1].take(b));
    assert_eq!(got, (0..5).map(|o| (o, 1, o + 1)).collect::<Vec<_>>());
    assert_eq!(
        n.hubs[1].hub.room_position(&RoomId::new("r")).map(|p| p.1),
        Some(5)
    );
}

#[test]
fn a_join_on_another_hub_acknowledges_what_the_replica_sent_through_the_first() {
    let mut n = Nodes::new(2);
    let _watcher = member(&mut n, 1, 9); // hub 1 has the room loaded, with no feed
    let a = member(&mut n, 0, 1);
    n.hubs[0].delta(a, "r", 1, 1, sum(5));
    n.hubs[0].delta(a, "r", 1, 2, sum(6));
    n.pump_all();
    // Hub 0 dies before its acks left; the client fails over to hub 1, whose
    // in-memory log knows nothing of seq 1..2 (its feed is late).
    let a2 = n.hubs[1].connect(1);
    n.hubs[1].send(a2, join("r", "sum", None));
    n.pump_all();
    let frames = n.hubs[1].take(a2);
    let j = joined(&frames);
    assert_eq!((j.acked_seq, j.head), (2, 2), "{j:?}");
    // A resend of what is already stored is acknowledged, not logged twice.
    n.hubs[1].delta(a2, "r", 1, 2, sum(6));
    n.pump_all();
    assert_eq!(acks(&n.hubs[1].take(a2)), vec![2]);
    assert_eq!(n.log.entry_count(&RoomId::new("r")), 2);
}

#[test]
fn an_append_stored_after_the_failover_join_is_acknowledged_as_a_duplicate() {
    let mut n = Nodes::new(2);
    let a = member(&mut n, 0, 1);
    let _watcher = member(&mut n, 1, 9);
    // Hub 0's append is on its way to storage when the client fails over.
    n.hubs[0].delta(a, "r", 1, 1, sum(5));
    let a2 = n.hubs[1].connect(1);
    n.hubs[1].send(a2, join("r", "sum", None));
    n.pump(1);
    assert_eq!(joined(&n.hubs[1].take(a2)).acked_seq, 0);
    n.pump(0); // ... and lands now.
    n.hubs[1].delta(a2, "r", 1, 1, sum(5));
    n.pump(1);
    assert_eq!(
        acks(&n.hubs[1].take(a2)),
        vec![1],
        "acknowledged, not refused"
    );
    assert_eq!(n.log.entry_count(&RoomId::new("r")), 1, "stored once");
    let next = n.hubs[1].take(a2);
    assert!(rejects(&next).is_empty(), "{next:?}");
}

#[test]
fn two_hubs_creating_one_room_keep_one_log_and_the_later_joins_it() {
    let mut n = Nodes::new(2);
    let a = n.hubs[0].connect(1);
    let b = n.hubs[1].connect(2);
    n.hubs[0].send(a, join("r", "sum", None));
    n.hubs[1].send(b, join("r", "sum", None));
    // Both loads find nothing; both create, each at its own epoch.
    let l0 = n.hubs[0].storage.take_queued().expect("load");
    let l1 = n.hubs[1].storage.take_queued().expect("load");
    let d0 = n.log.execute(l0);
    let d1 = n.log.execute(l1);
    let (t0, t1) = (n.hubs[0].now, n.hubs[1].now);
    n.hubs[0].hub.handle_storage(t0, d0);
    n.hubs[1].hub.handle_storage(t1, d1);
    n.hubs[0].settle();
    n.hubs[1].settle();
    assert!(
        n.hubs[0].take(a).is_empty(),
        "no Joined before the creation stands"
    );
    n.pump_all();
    // Hub 1's creation was refused; it loaded the room hub 0 created instead.
    let ja = n.hubs[0].take(a);
    let jb = n.hubs[1].take(b);
    assert_eq!(joined(&ja).epoch, joined(&jb).epoch);
    assert!(
        n.hubs[1].closed.is_empty() && rejects(&jb).is_empty(),
        "{jb:?}"
    );
    n.hubs[1].delta(b, "r", 2, 1, sum(1));
    n.pump_all();
    assert_eq!(acks(&n.hubs[1].take(b)), vec![1]);
    let (_, stored) = n.stored("r", 0);
    assert_eq!(stored.len(), 1);
}

#[test]
fn a_creation_storage_keeps_refusing_ends_in_an_explicit_refusal() {
    let mut n = Nodes::new(1);
    let a = n.hubs[0].connect(1);
    n.hubs[0].send(a, join("r", "sum", None));
    // Load finds nothing, the creation fails; three times.
    for _ in 0..3 {
        let load = n.hubs[0].storage.take_queued().expect("load");
        let done = n.log.execute(load);
        let now = n.hubs[0].now;
        n.hubs[0].hub.handle_storage(now, done);
        n.hubs[0].settle();
        let create = n.hubs[0].storage.take_queued().expect("create");
        let now = n.hubs[0].now;
        let failed = create.failed(StorageError("disk on fire".into()));
        n.hubs[0].hub.handle_storage(now, failed);
        n.hubs[0].settle();
    }
    assert!(
        n.hubs[0].storage.take_queued().is_none(),
        "no fourth attempt"
    );
    assert_eq!(rejects(&n.hubs[0].take(a)), vec![ErrorCode::INTERNAL]);
}

/// Feeds `h` an entry of replica 7 at offset 0 of room "r", at the room's epoch
/// xor `flip`, as a tail feed would; returns the room's epoch.
fn feed_stray(h: &mut Harness, flip: u64) -> u64 {
    let stray = StoredEntry {
        offset: 0,
        replica: ReplicaId(7),
        seq: 1,
        payload: sum(1),
    };
    let room = RoomId::new("r");
    let epoch = h.hub.room_position(&room).map(|p| p.0).expect("loaded");
    h.hub
        .handle_appended(h.now, &room, epoch ^ flip, vec![stray]);
    h.settle();
    epoch
}

#[test]
fn entries_of_another_epoch_drop_the_room_so_members_resync() {
    let mut n = Nodes::new(1);
    let a = member(&mut n, 0, 1);
    let h = &mut n.hubs[0];
    feed_stray(h, 1);
    assert_eq!(h.closed.get(&a), Some(&CloseCode::INTERNAL_ERROR));
}

#[test]
fn a_single_node_hub_ignores_a_tail_feed() {
    // Without shared-log mode this hub assigns offsets itself: fed entries must not
    // move its log (nor its sequence table) behind its own appends.
    let mut h = Harness::new();
    let a = h.connect(1);
    h.send(a, join("r", "sum", None));
    h.take(a);
    let epoch = feed_stray(&mut h, 0);
    assert_eq!(h.hub.room_position(&RoomId::new("r")), Some((epoch, 0)));
    h.delta(a, "r", 1, 1, sum(2));
    assert_eq!(acks(&h.take(a)), vec![1]);
    assert_eq!(h.storage.entry_count(&RoomId::new("r")), 1);
}

#[test]
fn a_hole_another_node_compacted_away_closes_members_4011_not_internal() {
    // Found by the simulator (multinode seed 8851): hub 1 fills a hole below a fed
    // entry, but another node's fold deleted it. Nothing failed: its members are
    // behind compaction (PROTOCOL.md §8.4), closed 4011, and resync on their resume.
    let mut n = Nodes::new(2);
    let a = member(&mut n, 0, 1);
    let b = member(&mut n, 1, 2);
    for seq in 1..=6 {
        n.hubs[0].delta(a, "r", 1, seq, sum(seq));
    }
    n.pump(0);
    let (epoch, _) = n.stored("r", 0);
    let room = RoomId::new("r");
    n.log.set_merger(std::sync::Arc::new(SumMerger));
    let folded = n.log.execute(StorageAction::Fold {
        op: OpId(0),
        room: room.clone(),
        epoch,
        to: 4,
    });
    assert!(matches!(
        folded,
        StorageCompletion::Folded {
            result: Ok(Some(_)),
            ..
        }
    ));
    // The tail feed hands hub 1 offset 5: it reads the hole 0..5, gone from storage.
    let (_, kept) = n.stored("r", 4);
    let newest: Vec<_> = kept.into_iter().filter(|e| e.offset == 5).collect();
    let h = &mut n.hubs[1];
    h.hub.handle_appended(h.now, &room, epoch, newest);
    h.settle();
    n.pump_all();
    let h = &mut n.hubs[1];
    assert_eq!(h.closed.get(&b), Some(&CloseCode::SLOW_CONSUMER));
    assert!(rejects(&h.take(b)).is_empty(), "no internal refusal");
    assert_eq!(h.hub.metrics().storage_failures, 0);
    // A fresh join on hub 1 loads the room again, from the other node's snapshot.
    let c = h.connect(3);
    h.send(c, join("r", "sum", None));
    n.pump_all();
    let frames = n.hubs[1].take(c);
    let j = joined(&frames);
    assert_eq!((j.start, j.head), (4, 6));
    assert!(j.snapshot.is_some());
}
