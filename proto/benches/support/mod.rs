//! Shared set-up of the proto benches: a hub with [`MemoryStorage`] and real
//! replicas (what every driver runs) connected to it in memory, so every frame a
//! bench feeds is one a replica or the hub produced.
#![allow(dead_code)]

pub mod raw;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use syncwire_proto::Instant;
use syncwire_proto::client::{ClientConfig, ConnectionId, TransportCommand};
use syncwire_proto::crdt::{GCounter, NoMerge};
use syncwire_proto::hub::{AllowAll, Hub, HubConfig, HubOutput, MemoryStorage};
use syncwire_proto::replica::{Output, Replica, ReplicaOrigin};
use syncwire_proto::wire::{ClientDelta, Frame, ReplicaId, RoomId, SessionId};

/// Payload size of every benched delta.
pub const PAYLOAD_BYTES: usize = 64;
/// CRDT type tag of the benches' room: the replicas hold a [`GCounter`]; the hub
/// (with [`NoMerge`]) treats the 64-byte payloads of the pre-built frames as opaque.
pub const CRDT: &str = "gcounter";
/// The one room of the benches.
pub const ROOM: &str = "bench-room";

/// A 64-byte payload.
pub fn payload() -> Bytes {
    Bytes::from(vec![0xA5u8; PAYLOAD_BYTES])
}

/// A `ClientDelta` frame of `replica` with sequence `seq` and a 64-byte payload.
pub fn client_delta(replica: u64, seq: u64) -> Frame {
    Frame::ClientDelta(ClientDelta {
        room: RoomId::new(ROOM),
        crdt: CRDT.to_owned(),
        replica: ReplicaId(replica),
        seq,
        payload: payload(),
    })
}

/// A hub configuration whose limits never interfere with a benchmark: no rate
/// limits, no merging, every session authorised inline.
pub fn hub_config() -> HubConfig {
    HubConfig {
        rate_frames_per_sec: u32::MAX / 2,
        rate_frame_burst: u32::MAX / 2,
        rate_bytes_per_sec: u32::MAX / 2,
        rate_byte_burst: u32::MAX / 2,
        max_backlog_bytes: 1 << 30,
        max_pending_appends: 1 << 20,
        merger: Arc::new(NoMerge),
        authorizer: Some(Arc::new(AllowAll)),
        ..HubConfig::default()
    }
}

/// A client configuration for `replica` that never merges and holds `outbox` deltas.
pub fn client_config(replica: u64, outbox: usize) -> ClientConfig {
    let mut config = ClientConfig::new(ReplicaId(replica));
    config.merger = Arc::new(NoMerge);
    config.outbox_max_deltas = outbox;
    config.outbox_max_bytes = 1 << 30;
    config.heartbeat_interval = Duration::from_secs(3600);
    config.heartbeat_timeout = Duration::from_secs(7200);
    config
}

/// A replica connected to a hub session (in memory).
pub struct Peer {
    /// The replica.
    pub replica: Replica,
    /// Its connection id.
    pub conn: ConnectionId,
    /// The hub's session for it.
    pub session: SessionId,
}

/// A hub, its storage, and the time the benches use.
pub struct World {
    /// The hub.
    pub hub: Hub,
    /// Its storage, executed synchronously.
    pub storage: MemoryStorage,
    /// Fixed time (the benches do not advance time).
    pub now: Instant,
}

impl World {
    /// A fresh hub with [`hub_config`].
    pub fn new() -> World {
        let hub = Hub::new(hub_config(), Instant::ZERO).expect("valid hub config");
        World {
            hub,
            storage: MemoryStorage::new(),
            now: Instant::from_millis(1),
        }
    }

    /// Connects a new replica `replica` and joins it to [`ROOM`].
    pub fn join(&mut self, replica: u64, outbox: usize) -> Peer {
        let config = client_config(replica, outbox);
        let mut r = Replica::new(config, self.now, ReplicaOrigin::Fresh).expect("config");
        r.connect(self.now);
        let conn = match r.poll_output() {
            Some(Output::Transport(TransportCommand::Open { conn })) => conn,
            other => panic!("expected Open, got {other:?}"),
        };
        r.handle_transport_open(self.now, conn);
        let session = self.hub.handle_session_opened(self.now);
        r.join::<GCounter>(self.now, RoomId::new(ROOM))
            .expect("join");
        let mut peer = Peer {
            replica: r,
            conn,
            session,
        };
        self.pump(std::slice::from_mut(&mut peer));
        let info = peer
            .replica
            .client()
            .room(&RoomId::new(ROOM))
            .expect("room");
        assert!(info.writable, "joined and writable: {info:?}");
        peer
    }

    /// Moves frames between the replicas and the hub, and runs storage, until quiet.
    pub fn pump(&mut self, peers: &mut [Peer]) {
        loop {
            let mut progressed = false;
            for p in peers.iter_mut() {
                while let Some(out) = p.replica.poll_output() {
                    if let Output::Transmit(bytes) = out {
                        self.hub.handle_frame(self.now, p.session, &bytes);
                        progressed = true;
                    }
                }
            }
            while let Some(output) = self.hub.poll_output() {
                match output {
                    HubOutput::Transmit { session, frames } => {
                        for bytes in frames {
                            self.hub.handle_flushed(session, bytes.len());
                            if let Some(p) = peers.iter_mut().find(|p| p.session == session) {
                                p.replica.handle_frame(self.now, p.conn, &bytes);
                            }
                        }
                    }
                    HubOutput::Close { session, code } => {
                        panic!("hub closed {session:?} with {code:?}")
                    }
                    HubOutput::Storage(action) => {
                        let done = self.storage.execute(action);
                        self.hub.handle_storage(self.now, done);
                    }
                    HubOutput::Auth(_) | HubOutput::Publish(_) | HubOutput::Event(_) => {}
                }
                progressed = true;
            }
            if !progressed {
                break;
            }
        }
    }
}
