//! Fan-out of events to application subscribers, each through a bounded queue.
//!
//! A subscriber that does not keep up loses the events that do not fit its queue
//! (never blocking the session); [`EventStream::lagged`] counts them. Document state is
//! never lost this way: it is applied inside the session, before events fan out.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use futures_channel::mpsc;
use futures_core::Stream;
use syncwire_proto::client::ClientEvent;

/// Events queued per subscriber before it starts losing them.
pub const SUBSCRIBER_QUEUE: usize = 1024;

/// A stream of [`ClientEvent`]s for one subscriber.
#[derive(Debug)]
pub struct EventStream {
    rx: mpsc::Receiver<ClientEvent>,
    lagged: Arc<AtomicU64>,
}

impl EventStream {
    /// Events this subscriber lost because its queue was full.
    pub fn lagged(&self) -> u64 {
        self.lagged.load(Ordering::Relaxed)
    }

    /// The next event without waiting, if one is queued.
    pub fn try_next(&mut self) -> Option<ClientEvent> {
        self.rx.try_recv().ok()
    }
}

impl Stream for EventStream {
    type Item = ClientEvent;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<ClientEvent>> {
        Pin::new(&mut self.rx).poll_next(cx)
    }
}

#[derive(Debug)]
struct Subscriber {
    tx: mpsc::Sender<ClientEvent>,
    lagged: Arc<AtomicU64>,
}

/// The session's subscribers.
#[derive(Debug, Default)]
pub(crate) struct Listeners {
    subs: Vec<Subscriber>,
}

impl Listeners {
    pub(crate) fn subscribe(&mut self, capacity: usize) -> EventStream {
        // futures' channel holds `buffer + senders` items; one sender here.
        let (tx, rx) = mpsc::channel(capacity.saturating_sub(1));
        let lagged = Arc::new(AtomicU64::new(0));
        self.subs.push(Subscriber {
            tx,
            lagged: lagged.clone(),
        });
        EventStream { rx, lagged }
    }

    /// Offers `event` to every subscriber; drops subscribers whose stream is gone.
    pub(crate) fn publish(&mut self, event: &ClientEvent) {
        self.subs
            .retain_mut(|s| match s.tx.try_send(event.clone()) {
                Ok(()) => true,
                Err(e) if e.is_full() => {
                    s.lagged.fetch_add(1, Ordering::Relaxed);
                    true
                }
                Err(_) => false,
            });
    }

    /// Ends every stream (the session closed).
    pub(crate) fn close(&mut self) {
        self.subs.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syncwire_proto::wire::RoomId;

    fn ev(seq: u64) -> ClientEvent {
        ClientEvent::DeltaAcked {
            room: RoomId::new("r"),
            seq,
        }
    }

    #[test]
    fn a_full_subscriber_lags_without_blocking_others() {
        let mut l = Listeners::default();
        let mut slow = l.subscribe(2);
        let mut fast = l.subscribe(16);
        for seq in 1..=5 {
            l.publish(&ev(seq));
            assert_eq!(fast.try_next(), Some(ev(seq)));
        }
        assert_eq!(slow.try_next(), Some(ev(1)));
        assert_eq!(slow.try_next(), Some(ev(2)));
        assert_eq!(slow.try_next(), None);
        assert_eq!(slow.lagged(), 3);
    }

    #[test]
    fn dropped_streams_are_forgotten() {
        let mut l = Listeners::default();
        drop(l.subscribe(4));
        l.publish(&ev(1));
        assert!(l.subs.is_empty());
    }
}
