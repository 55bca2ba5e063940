//! The in-crate harness: a hub, a [`MemoryStorage`], a virtual clock, and per-session
//! inboxes of decoded frames. Every step checks the hub's invariants.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::crdt::{CrdtError, DeltaMerger, Registry};
use crate::hub::*;
use crate::time::Instant;
use crate::wire::*;

/// A test merger: payloads are little-endian u64 counters, merged by summing.
/// Knows only the type tag "sum".
pub struct SumMerger;

impl DeltaMerger for SumMerger {
    fn merge(&self, tag: &str, a: &[u8], b: &[u8]) -> Result<Option<Vec<u8>>, CrdtError> {
        if tag != "sum" {
            return Ok(None);
        }
        let dec = |x: &[u8]| -> Result<u64, CrdtError> {
            let arr: [u8; 8] = x.try_into().map_err(|_| CrdtError::Decode {
                tag: tag.into(),
                reason: "not 8 bytes".into(),
            })?;
            Ok(u64::from_le_bytes(arr))
        };
        Ok(Some(dec(a)?.wrapping_add(dec(b)?).to_le_bytes().to_vec()))
    }
}

/// The built-in registry, but accepting rooms of any type (tests use ad-hoc tags
/// such as "sum"); a hub with a plain [`Registry`] refuses unknown types.
pub struct AnyType(pub Registry);

impl DeltaMerger for AnyType {
    fn merge(&self, tag: &str, a: &[u8], b: &[u8]) -> Result<Option<Vec<u8>>, CrdtError> {
        self.0.merge(tag, a, b)
    }
    fn merge_many(
        &self,
        tag: &str,
        base: &[u8],
        deltas: &[&[u8]],
    ) -> Result<Option<Vec<u8>>, CrdtError> {
        self.0.merge_many(tag, base, deltas)
    }
    fn validate(&self, tag: &str, payload: &[u8]) -> Result<(), CrdtError> {
        DeltaMerger::validate(&self.0, tag, payload)
    }
}

pub fn sum(n: u64) -> Bytes {
    Bytes::from(n.to_le_bytes().to_vec())
}

/// [`config`] without an inline authorizer: sessions wait for `handle_auth`.
pub fn deferred() -> HubConfig {
    HubConfig {
        authorizer: None,
        ..config()
    }
}

pub fn config() -> HubConfig {
    HubConfig {
        authorizer: Some(Arc::new(AllowAll)),
        merger: Arc::new(AnyType(Registry::with_builtin())),
        ..HubConfig::default()
    }
}

pub struct Harness {
    pub hub: Hub,
    pub storage: MemoryStorage,
    pub now: Instant,
    pub inbox: BTreeMap<SessionId, Vec<Frame>>,
    pub closed: BTreeMap<SessionId, CloseCode>,
    pub events: Vec<HubEvent>,
    pub auth: Vec<AuthRequest>,
    /// Queue storage actions instead of executing them.
    pub hold_storage: bool,
    /// Sessions whose output the "driver" does not flush.
    pub stalled: Vec<SessionId>,
}

impl Harness {
    pub fn new() -> Self {
        Harness::with(config())
    }

    pub fn with(config: HubConfig) -> Self {
        Harness::with_storage(config, MemoryStorage::new())
    }

    /// A harness over `storage`, which folds with the hub's merger from now on.
    pub fn with_storage(config: HubConfig, mut storage: MemoryStorage) -> Self {
        let now = Instant::from_millis(1_000);
        storage.set_merger(config.merger.clone());
        Harness {
            hub: Hub::new(config, now).expect("valid config"),
            storage,
            now,
            inbox: BTreeMap::new(),
            closed: BTreeMap::new(),
            events: Vec::new(),
            auth: Vec::new(),
            hold_storage: false,
            stalled: Vec::new(),
        }
    }

    /// Drains every output until the hub is quiet (bounded, so "never quiet" fails).
    pub fn settle(&mut self) {
        for _ in 0..10_000 {
            let mut progressed = false;
            while let Some((sid, bytes)) = self.hub.poll_transmit() {
                let frame = Frame::decode(&bytes).expect("hub sends valid frames");
                self.inbox.entry(sid).or_default().push(frame);
                if !self.stalled.contains(&sid) {
                    self.hub.handle_flushed(sid, bytes.len());
                }
                progressed = true;
            }
            while let Some((sid, code)) = self.hub.poll_close() {
                self.closed.insert(sid, code);
            }
            while let Some(action) = self.hub.poll_storage() {
                if self.hold_storage {
                    self.storage.submit(action);
                } else {
                    let done = self.storage.execute(action);
                    self.hub.handle_storage(self.now, done);
                    progressed = true;
                }
            }
            while let Some(req) = self.hub.poll_auth() {
                self.auth.push(req);
            }
            while let Some(e) = self.hub.poll_event() {
                self.events.push(e);
            }
            self.hub.check_invariants().expect("hub invariants");
            if !progressed {
                return;
            }
        }
        panic!("hub never went quiet");
    }

    /// Releases every held storage action (in order), then settles.
    pub fn release_storage(&mut self) {
        while let Some(done) = self.storage.release_next() {
            self.hub.handle_storage(self.now, done);
            self.settle();
        }
    }

    pub fn advance(&mut self, d: Duration) {
        self.now = self.now + d;
        if self.hub.poll_timeout().is_some_and(|t| t <= self.now) {
            self.hub.handle_timeout(self.now);
        }
        self.settle();
    }

    pub fn open(&mut self) -> SessionId {
        let sid = self.hub.handle_session_opened(self.now);
        self.settle();
        sid
    }

    pub fn send(&mut self, sid: SessionId, frame: Frame) {
        self.send_raw(sid, &frame.encode());
    }

    /// Frames of even length go through `handle_frame_bytes`, the others through
    /// `handle_frame`: every test exercises both entry points.
    pub fn send_raw(&mut self, sid: SessionId, bytes: &[u8]) {
        if bytes.len() % 2 == 0 {
            let shared = bytes::Bytes::copy_from_slice(bytes);
            self.hub.handle_frame_bytes(self.now, sid, shared);
        } else {
            self.hub.handle_frame(self.now, sid, bytes);
        }
        self.settle();
    }

    pub fn take(&mut self, sid: SessionId) -> Vec<Frame> {
        self.inbox.remove(&sid).unwrap_or_default()
    }

    /// Opens a session and completes the handshake as `replica`.
    pub fn connect(&mut self, replica: u64) -> SessionId {
        let sid = self.open();
        self.send(sid, hello(replica));
        let frames = self.take(sid);
        assert!(
            matches!(frames.as_slice(), [Frame::Welcome(w)] if w.session == sid),
            "{frames:?}"
        );
        sid
    }

    /// Opens a session and completes the handshake as `replica` with `identity`
    /// (for hubs without an inline authorizer); returns it and what it received.
    pub fn connect_as(&mut self, replica: u64, identity: Identity) -> (SessionId, Vec<Frame>) {
        let sid = self.open();
        self.send(sid, hello(replica));
        self.hub.handle_auth(self.now, sid, Ok(identity)).unwrap();
        self.settle();
        (sid, self.take(sid))
    }

    /// Joins and returns every frame received in answer (Joined first).
    pub fn join(
        &mut self,
        sid: SessionId,
        room: &str,
        crdt: &str,
        resume: Option<Position>,
    ) -> Vec<Frame> {
        self.send(sid, join(room, crdt, resume));
        self.take(sid)
    }

    pub fn delta(&mut self, sid: SessionId, room: &str, replica: u64, seq: u64, payload: Bytes) {
        self.send(sid, delta(room, "sum", replica, seq, payload));
    }
}

pub fn hello(replica: u64) -> Frame {
    Frame::Hello(Hello {
        versions: crate::wire::SUPPORTED_VERSIONS.to_vec(),
        replica: ReplicaId(replica),
        token: Some("t".into()),
        user_info: Some(Bytes::from(format!("user{replica}"))),
    })
}

pub fn join(room: &str, crdt: &str, resume: Option<Position>) -> Frame {
    Frame::Join(Join {
        room: RoomId::new(room),
        crdt: crdt.into(),
        resume,
    })
}

pub fn delta(room: &str, crdt: &str, replica: u64, seq: u64, payload: Bytes) -> Frame {
    Frame::ClientDelta(ClientDelta {
        room: RoomId::new(room),
        crdt: crdt.into(),
        replica: ReplicaId(replica),
        seq,
        payload,
    })
}

pub fn joined(frames: &[Frame]) -> &Joined {
    match frames.first() {
        Some(Frame::Joined(j)) => j,
        other => panic!("expected Joined, got {other:?}"),
    }
}

/// (offset, replica, seq) of every logged delta in `frames` (batches and live).
pub fn deltas(frames: &[Frame]) -> Vec<(u64, u64, u64)> {
    let mut out = Vec::new();
    for f in frames {
        match f {
            Frame::HubDelta(d) => out.push((d.offset, d.replica.0, d.seq)),
            Frame::DeltaBatch(b) => {
                for (i, e) in b.entries.iter().enumerate() {
                    out.push((b.first_offset + i as u64, e.replica.0, e.seq));
                }
            }
            _ => {}
        }
    }
    out
}

pub fn acks(frames: &[Frame]) -> Vec<u64> {
    frames
        .iter()
        .filter_map(|f| match f {
            Frame::Ack(a) => Some(a.seq),
            _ => None,
        })
        .collect()
}

pub fn rejects(frames: &[Frame]) -> Vec<ErrorCode> {
    frames
        .iter()
        .filter_map(|f| match f {
            Frame::Reject(r) => Some(r.code),
            _ => None,
        })
        .collect()
}

/// Every `Peers` frame in `frames`.
pub fn peers_of(frames: &[Frame]) -> Vec<&Peers> {
    frames
        .iter()
        .filter_map(|f| match f {
            Frame::Peers(p) => Some(p),
            _ => None,
        })
        .collect()
}
