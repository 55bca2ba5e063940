//! The per-connection outbound queue (hub task → one connection task): a bounded
//! single-producer single-consumer FIFO with the subset of an `mpsc` API the server
//! uses (`try_send`, `recv`, `try_recv`). Runtime-neutral: a `Mutex` and a `Waker`.
//!
//! Why not `tokio::sync::mpsc`: a tokio channel allocates its first 32-slot block and
//! its cache-padded shared state up front, ≈ 1.5 KiB per connection, most of what an
//! idle connection's queue costs (docs/BENCHMARKS.md, idle memory). This queue is one
//! small shared allocation plus a `VecDeque` that grows by doubling from one slot with
//! what is queued and is given back when a drained queue has grown beyond
//! [`KEEP_SLOTS`]. Both ends take one
//! uncontended-in-practice lock per message, like tokio's atomics per message.
//!
//! Bound: at most `capacity` messages are queued. On a full queue `try_send` returns
//! [`TrySendError::Full`] with the message; `try_send_or_merge` first offers it to
//! the last queued message (the server merges a batch of frames into the batch before
//! it, so what bounds a connection's output is the hub's byte bound, not a count of
//! hub turns). On a queue whose receiver is gone both return [`TrySendError::Closed`].

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

/// Why [`Sender::try_send`] refused a message (handed back).
#[derive(Debug, PartialEq, Eq)]
pub enum TrySendError<T> {
    /// The queue holds `capacity` messages.
    Full(T),
    /// The receiver is gone.
    Closed(T),
}

/// Why [`Receiver::try_recv`] returned nothing.
#[derive(Debug, PartialEq, Eq)]
pub enum TryRecvError {
    /// Nothing is queued, and the sender is alive.
    Empty,
    /// Nothing is queued, and the sender is gone.
    Disconnected,
}

/// Slots a drained queue keeps allocated; a larger buffer (after a burst) is freed.
pub const KEEP_SLOTS: usize = 8;

struct State<T> {
    queue: VecDeque<T>,
    capacity: usize,
    sender_alive: bool,
    receiver_alive: bool,
    /// The receiving task, while it waits in `recv`.
    waker: Option<Waker>,
}

type Shared<T> = Arc<Mutex<State<T>>>;

fn lock<T>(shared: &Shared<T>) -> MutexGuard<'_, State<T>> {
    // No code path panics while holding the lock; recover the state if one did.
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

/// The sending half (held by the hub task).
pub struct Sender<T> {
    shared: Shared<T>,
}

/// The receiving half (held by the connection task).
pub struct Receiver<T> {
    shared: Shared<T>,
}

/// A queue holding at most `capacity` messages (`capacity` ≥ 1).
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Mutex::new(State {
        queue: VecDeque::new(),
        capacity: capacity.max(1),
        sender_alive: true,
        receiver_alive: true,
        waker: None,
    }));
    let sender = Sender {
        shared: shared.clone(),
    };
    (sender, Receiver { shared })
}

impl<T> Sender<T> {
    /// Queues `msg` unless the queue is full or the receiver is gone.
    #[cfg(test)]
    pub fn try_send(&self, msg: T) -> Result<(), TrySendError<T>> {
        self.try_send_or_merge(msg, |_, msg| Err(msg))
    }

    /// Queues `msg`; on a full queue, `merge(last, msg)` may fold it into the last
    /// queued message (it hands `msg` back when it cannot: then `Full`).
    pub fn try_send_or_merge(
        &self,
        msg: T,
        merge: impl FnOnce(&mut T, T) -> Result<(), T>,
    ) -> Result<(), TrySendError<T>> {
        let waker = {
            let mut state = lock(&self.shared);
            if !state.receiver_alive {
                return Err(TrySendError::Closed(msg));
            }
            if state.queue.len() >= state.capacity {
                // The receiver was woken when the last message was queued.
                return match state.queue.back_mut() {
                    Some(last) => merge(last, msg).map_err(TrySendError::Full),
                    None => Err(TrySendError::Full(msg)),
                };
            }
            if state.queue.len() == state.queue.capacity() {
                // Double from one slot (VecDeque alone starts at four).
                let grow = state.queue.len().max(1);
                state.queue.reserve_exact(grow);
            }
            state.queue.push_back(msg);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }
}

impl<T> std::fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = lock(&self.shared);
        f.debug_struct("outbound_queue::Sender")
            .field("queued", &state.queue.len())
            .field("capacity", &state.capacity)
            .finish()
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut state = lock(&self.shared);
            state.sender_alive = false;
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Receiver<T> {
    /// The next message; `None` once the sender is gone and the queue is empty. (The
    /// connection loop polls [`Receiver::poll_recv`] in its own select.)
    #[cfg(test)]
    pub async fn recv(&mut self) -> Option<T> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next message; `Ready(None)` once the sender is gone and the
    /// queue is empty.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut state = lock(&self.shared);
        if let Some(msg) = pop(&mut state) {
            return Poll::Ready(Some(msg));
        }
        if !state.sender_alive {
            return Poll::Ready(None);
        }
        match &mut state.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// The next message if one is queued.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut state = lock(&self.shared);
        match pop(&mut state) {
            Some(msg) => Ok(msg),
            None if state.sender_alive => Err(TryRecvError::Empty),
            None => Err(TryRecvError::Disconnected),
        }
    }

    /// Slots currently allocated (for tests of the memory release).
    #[cfg(test)]
    pub(crate) fn allocated_slots(&self) -> usize {
        lock(&self.shared).queue.capacity()
    }
}

/// Pops the front message; frees the buffer once a burst has been drained.
fn pop<T>(state: &mut State<T>) -> Option<T> {
    let msg = state.queue.pop_front()?;
    if state.queue.is_empty() && state.queue.capacity() > KEEP_SLOTS {
        state.queue = VecDeque::new();
    }
    Some(msg)
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let dropped = {
            let mut state = lock(&self.shared);
            state.receiver_alive = false;
            state.waker = None;
            std::mem::take(&mut state.queue)
        };
        drop(dropped);
    }
}

#[cfg(test)]
mod tests;
