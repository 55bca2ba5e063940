//! Operator events ([`HubEvent`]) and their bounded queue.

use std::collections::VecDeque;

use crate::wire::{CloseCode, ErrorCode, ReplicaId, RoomId, SessionId};

/// Something the operator may want to log or count. Handed out by `Hub::poll_output`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum HubEvent {
    /// A session completed its handshake.
    SessionAuthenticated {
        /// The session.
        session: SessionId,
        /// Its replica.
        replica: ReplicaId,
        /// The identity name from the authorizer.
        identity: String,
    },
    /// A session ended (closed by the hub, or reported closed by the driver).
    SessionClosed {
        /// The session.
        session: SessionId,
        /// The code the hub closed it with; `None` when the driver reported the close.
        code: Option<CloseCode>,
    },
    /// A room was loaded from storage (or created).
    RoomLoaded {
        /// The room.
        room: RoomId,
        /// Its epoch.
        epoch: u64,
        /// Its durable head.
        head: u64,
        /// Whether it was created with a new epoch because storage had no history.
        created: bool,
    },
    /// A room was unloaded after being idle.
    RoomUnloaded {
        /// The room.
        room: RoomId,
    },
    /// A room was dropped from memory because storage failed; members were closed.
    RoomFailed {
        /// The room.
        room: RoomId,
        /// What storage said.
        error: String,
    },
    /// The hub rejected a frame of a session.
    Rejected {
        /// The session.
        session: SessionId,
        /// The reason.
        code: ErrorCode,
        /// The room concerned, if any.
        room: Option<RoomId>,
    },
    /// A room's log prefix was folded into a snapshot.
    Compacted {
        /// The room.
        room: RoomId,
        /// The snapshot's new offset.
        offset: u64,
    },
}

/// A FIFO of events that drops the oldest event when full.
#[derive(Debug)]
pub(crate) struct EventQueue {
    queue: VecDeque<HubEvent>,
    max: usize,
    pub(crate) dropped: u64,
}

impl EventQueue {
    pub(crate) fn new(max: usize) -> Self {
        EventQueue {
            queue: VecDeque::new(),
            max,
            dropped: 0,
        }
    }
    pub(crate) fn push(&mut self, event: HubEvent) {
        if self.queue.len() >= self.max {
            self.queue.pop_front();
            self.dropped = self.dropped.saturating_add(1);
        }
        self.queue.push_back(event);
    }
    pub(crate) fn pop(&mut self) -> Option<HubEvent> {
        self.queue.pop_front()
    }
}
