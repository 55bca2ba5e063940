//! The outbound queue's contract: FIFO, the bound (`Full` with the message back, or
//! merged into the last one),
//! `Closed` once the receiver is gone, `None`/`Disconnected` once the sender is gone
//! and the queue drained, wake-ups of a waiting receiver, and the memory release.

use super::{KEEP_SLOTS, TryRecvError, TrySendError, channel};

#[test]
fn delivers_in_order_and_refuses_beyond_the_bound() {
    let (tx, mut rx) = channel::<u32>(3);
    for i in 0..3 {
        tx.try_send(i).unwrap();
    }
    assert!(matches!(tx.try_send(3), Err(TrySendError::Full(3))));
    assert_eq!(rx.try_recv(), Ok(0));
    tx.try_send(3).unwrap();
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Ok(3));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn a_full_queue_offers_the_message_to_the_last_one() {
    let (tx, mut rx) = channel::<Vec<u32>>(2);
    let append = |last: &mut Vec<u32>, more: Vec<u32>| {
        if more.is_empty() {
            return Err(more); // a message the last one does not take
        }
        last.extend(more);
        Ok(())
    };
    tx.try_send_or_merge(vec![1], append).unwrap();
    tx.try_send_or_merge(vec![2], append).unwrap();
    tx.try_send_or_merge(vec![3], append).unwrap();
    tx.try_send_or_merge(vec![4, 5], append).unwrap();
    assert_eq!(
        tx.try_send_or_merge(vec![], append),
        Err(TrySendError::Full(vec![]))
    );
    assert_eq!(rx.try_recv(), Ok(vec![1]));
    assert_eq!(
        rx.try_recv(),
        Ok(vec![2, 3, 4, 5]),
        "in order, after the last"
    );
    // With room again, a message is queued on its own.
    tx.try_send_or_merge(vec![6], append).unwrap();
    tx.try_send_or_merge(vec![7], append).unwrap();
    assert_eq!(rx.try_recv(), Ok(vec![6]));
    assert_eq!(rx.try_recv(), Ok(vec![7]));
    drop(rx);
    assert_eq!(
        tx.try_send_or_merge(vec![8], append),
        Err(TrySendError::Closed(vec![8]))
    );
}

#[test]
fn a_zero_capacity_holds_one_message() {
    let (tx, _rx) = channel::<u32>(0);
    tx.try_send(1).unwrap();
    assert!(matches!(tx.try_send(2), Err(TrySendError::Full(2))));
}

#[test]
fn sending_to_a_dropped_receiver_is_closed() {
    let (tx, rx) = channel::<u32>(4);
    tx.try_send(1).unwrap();
    drop(rx);
    assert!(matches!(tx.try_send(2), Err(TrySendError::Closed(2))));
}

#[tokio::test]
async fn the_receiver_drains_then_sees_the_sender_gone() {
    let (tx, mut rx) = channel::<u32>(4);
    tx.try_send(7).unwrap();
    drop(tx);
    assert_eq!(rx.recv().await, Some(7));
    assert_eq!(rx.recv().await, None);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
}

#[tokio::test]
async fn a_waiting_receiver_is_woken_by_a_send_and_by_the_sender_drop() {
    let (tx, mut rx) = channel::<u32>(4);
    let waiter = tokio::spawn(async move {
        let first = rx.recv().await;
        let second = rx.recv().await;
        (first, second)
    });
    tokio::task::yield_now().await;
    tx.try_send(5).unwrap();
    tokio::task::yield_now().await;
    drop(tx);
    assert_eq!(waiter.await.unwrap(), (Some(5), None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_messages_across_threads_arrive_in_order() {
    let (tx, mut rx) = channel::<u32>(16);
    let producer = tokio::spawn(async move {
        let mut i = 0;
        while i < 10_000 {
            match tx.try_send(i) {
                Ok(()) => i += 1,
                Err(TrySendError::Full(_)) => tokio::task::yield_now().await,
                Err(TrySendError::Closed(_)) => panic!("receiver gone"),
            }
        }
    });
    for want in 0..10_000 {
        assert_eq!(rx.recv().await, Some(want));
    }
    producer.await.unwrap();
    assert_eq!(rx.recv().await, None);
}

#[test]
fn a_drained_burst_gives_its_buffer_back() {
    let (tx, mut rx) = channel::<u64>(1024);
    assert_eq!(rx.allocated_slots(), 0, "nothing allocated before use");
    tx.try_send(1).unwrap();
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(
        rx.allocated_slots(),
        1,
        "one message at a time takes one slot"
    );
    tx.try_send(2).unwrap();
    tx.try_send(3).unwrap();
    assert_eq!((rx.try_recv(), rx.try_recv()), (Ok(2), Ok(3)));
    assert!(
        rx.allocated_slots() <= KEEP_SLOTS,
        "a small buffer is kept for reuse"
    );
    for i in 0..500 {
        tx.try_send(i).unwrap();
    }
    assert!(rx.allocated_slots() >= 500);
    for i in 0..500 {
        assert_eq!(rx.try_recv(), Ok(i));
    }
    assert_eq!(
        rx.allocated_slots(),
        0,
        "the burst's buffer is freed once drained"
    );
}
