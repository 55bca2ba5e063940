//! [`Doc`]: a typed handle on one room's document.

use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_channel::mpsc;
use futures_core::Stream;
use syncwire_proto::client::RoomStatus;
use syncwire_proto::crdt::DeltaCrdt;
use syncwire_proto::wire::RoomId;

use crate::Applied;
use crate::error::DriverError;
use crate::session::{Session, SharedSession};

/// A room's document of CRDT type `C`. Cloning gives another handle to the same room.
#[derive(Debug)]
pub struct Doc<C> {
    shared: SharedSession,
    room: RoomId,
    _type: PhantomData<fn() -> C>,
}

impl<C> Clone for Doc<C> {
    fn clone(&self) -> Self {
        Doc {
            shared: self.shared.clone(),
            room: self.room.clone(),
            _type: PhantomData,
        }
    }
}

impl<C: DeltaCrdt> Doc<C> {
    pub(crate) fn new(shared: SharedSession, room: RoomId) -> Self {
        Doc {
            shared,
            room,
            _type: PhantomData,
        }
    }

    /// The room.
    pub fn room(&self) -> &RoomId {
        &self.room
    }

    /// Applies a local operation.
    ///
    /// This is [`Replica::apply`](syncwire_proto::replica::Replica::apply) at the
    /// clock's time. When the room's gate is open (always for a fresh replica id; for
    /// a restored room; otherwise once the room caught up, see [`crate::gate`]) the
    /// delta is prepared and checked (size, nesting), queued for the hub (sent now if
    /// connected, kept in the outbox otherwise) and the document changes at once:
    /// [`Applied::Submitted`] with its sequence number. If the outbox is full the
    /// operation is not applied ([`ClientError::OutboxFull`](syncwire_proto::client::ClientError::OutboxFull),
    /// inside [`DriverError::Replica`]).
    ///
    /// When the replica id was chosen by the caller and the room has not caught up
    /// yet (it holds none of the replica's earlier entries), the operation waits:
    /// [`Applied::Waiting`]. It is prepared, submitted and applied, in order, once the
    /// room caught up; until then the document does not show it. At most
    /// `outbox_max_deltas` operations wait; one more is refused with
    /// [`ReplicaError::TooManyWaiting`](syncwire_proto::replica::ReplicaError::TooManyWaiting).
    pub fn apply(&self, op: C::Op) -> Result<Applied, DriverError>
    where
        C::Op: Send + 'static,
    {
        let mut s = Session::lock(&self.shared);
        let (now, wall_ms) = (s.clock().now(), s.clock().wall_ms());
        let applied = s.replica_mut().apply::<C>(now, wall_ms, &self.room, op)?;
        s.changed();
        Ok(applied)
    }

    /// Reads the current state.
    pub fn read<R>(&self, f: impl FnOnce(&C) -> R) -> Result<R, DriverError> {
        let s = Session::lock(&self.shared);
        if s.replica().document(&self.room).is_none() {
            return Err(DriverError::Closed);
        }
        Ok(f(s.replica().read::<C>(&self.room)?))
    }

    /// Waits until the room caught up with the hub: joined, and every entry the hub
    /// had logged when it answered the latest join applied to the document (the
    /// `CaughtUp` event). Returns at once if it has since that join. A document read
    /// after it shows every change the hub acknowledged before the join, other
    /// replicas' included; without it a read right after `join` shows only what this
    /// replica had locally. Fails with [`DriverError::JoinRefused`] if the hub refuses
    /// the join, and [`DriverError::Closed`] if the room is left or the session ends.
    /// It waits as long as the session is offline; bound it with the runtime's timeout.
    pub async fn synced(&self) -> Result<(), DriverError> {
        let mut events = Session::lock(&self.shared).subscribe();
        loop {
            // Checked after subscribing and after every event (a subscriber that lags
            // may lose the `CaughtUp` event itself, never the room's state).
            let status = {
                let s = Session::lock(&self.shared);
                s.client().room(&self.room).map(|r| (r.caught_up, r.status))
            };
            match status {
                None => return Err(DriverError::Closed),
                Some((true, _)) => return Ok(()),
                Some((_, RoomStatus::Rejected(code))) => {
                    return Err(DriverError::JoinRefused(code));
                }
                Some(_) => {}
            }
            if std::future::poll_fn(|cx| Pin::new(&mut events).poll_next(cx))
                .await
                .is_none()
            {
                return Err(DriverError::Closed);
            }
        }
    }

    /// Reads the current state with the document's version (bumped by every change),
    /// both under one lock.
    #[cfg_attr(not(feature = "ydoc"), allow(dead_code))]
    pub(crate) fn read_versioned<R>(&self, f: impl FnOnce(u64, &C) -> R) -> Result<R, DriverError> {
        let s = Session::lock(&self.shared);
        let version = match s.replica().document(&self.room) {
            Some(d) => d.version(),
            None => return Err(DriverError::Closed),
        };
        Ok(f(version, s.replica().read::<C>(&self.room)?))
    }

    /// [`Doc::apply`], then `f(version before, version after, state)`, all under one
    /// lock (no remote change can come in between).
    #[cfg_attr(not(feature = "ydoc"), allow(dead_code))]
    pub(crate) fn apply_versioned<R>(
        &self,
        op: C::Op,
        f: impl FnOnce(u64, u64, &C) -> R,
    ) -> Result<(Applied, R), DriverError>
    where
        C::Op: Send + 'static,
    {
        let mut s = Session::lock(&self.shared);
        let version = |s: &Session| s.replica().document(&self.room).map(|d| d.version());
        let before = version(&s).ok_or(DriverError::Closed)?;
        let (now, wall_ms) = (s.clock().now(), s.clock().wall_ms());
        let applied = s.replica_mut().apply::<C>(now, wall_ms, &self.room, op)?;
        s.changed();
        let after = version(&s).ok_or(DriverError::Closed)?;
        let r = f(before, after, s.replica().read::<C>(&self.room)?);
        Ok((applied, r))
    }

    /// A copy of the current state.
    pub fn state(&self) -> Result<C, DriverError> {
        self.read(C::clone)
    }

    /// Sets this session's ephemeral presence state in the room (sent to peers, never logged).
    pub fn set_presence(&self, state: Bytes) -> Result<(), DriverError> {
        let mut s = Session::lock(&self.shared);
        let now = s.clock().now();
        s.replica_mut().set_presence(now, &self.room, state)?;
        s.wake();
        Ok(())
    }

    /// A stream that yields whenever the document changed (coalesced: several changes
    /// between two polls yield once).
    pub fn changes(&self) -> Changes {
        let (tx, rx) = mpsc::channel(0);
        let mut s = Session::lock(&self.shared);
        s.watch(&self.room).txs.push(tx);
        Changes { rx }
    }

    /// Leaves the room; every handle on it stops working.
    pub fn leave(self) -> Result<(), DriverError> {
        Session::lock(&self.shared).leave(&self.room)
    }
}

/// Change notifications of one document; see [`Doc::changes`].
#[derive(Debug)]
pub struct Changes {
    rx: mpsc::Receiver<()>,
}

impl Stream for Changes {
    type Item = ();
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<()>> {
        Pin::new(&mut self.rx).poll_next(cx)
    }
}

/// The change subscribers of one room.
#[derive(Debug, Default)]
pub(crate) struct Watchers {
    pub(crate) txs: Vec<mpsc::Sender<()>>,
}

impl Watchers {
    pub(crate) fn notify(&mut self) {
        // A full channel already holds a pending notification.
        self.txs.retain_mut(|tx| match tx.try_send(()) {
            Ok(()) => true,
            Err(e) => e.is_full(),
        });
    }
}
