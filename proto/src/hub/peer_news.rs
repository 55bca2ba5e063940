//! Membership news between hub nodes (shared-log mode, docs/MULTINODE.md): what one
//! node tells the others about its own members of a room, so that `Peers` and
//! `Presence` list the members of every node (PROTOCOL.md §8.6). News is never
//! logged; the driver carries it on a broadcast bus (Redis pub/sub) that may lose,
//! delay or repeat it, and every node repairs its view from the periodic rosters
//! ([`super::remote_peers`]).
//!
//! This module owns the news types ([`NodeNews`], [`PeerNews`], [`NodeId`]) and their
//! bytes on the bus: an 8-byte big-endian node id, one flag byte (bit 0: the sender
//! asks the others for their rosters), then one protocol frame of §3.12 / §3.13 as a
//! client would receive it — a `Peers` frame (`full`: the node's whole list of the
//! room; `changes`: who came and went) or a `Presence` frame — with the sender's
//! own session ids as peer ids. The frame is read by the bounded client-frame
//! decoder, so news from the bus is parsed with the same limits as any frame.

use bytes::Bytes;
use thiserror::Error;

use crate::wire::{DecodeError, Frame, PeerInfo, Peers, PeersMode, Presence, RoomId, SessionId};

/// A hub node of a shared-log deployment, named by its driver (unique per process
/// run: a node that restarts comes back under a new id).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Default)]
pub struct NodeId(pub u64);

/// What a node says about its members of one room.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum PeerNews {
    /// The node's whole list of the room (it replaces what the receiver held of the
    /// node's members there). `ask`: the node just loaded the room and asks every
    /// other node for its roster.
    Roster {
        /// The node's members, with their presence.
        peers: Vec<PeerInfo>,
        /// The others answer with their own rosters.
        ask: bool,
    },
    /// Members that came and went since the node's last news of the room.
    Changes {
        /// Members that joined.
        joined: Vec<PeerInfo>,
        /// Members that left (the node's session ids).
        left: Vec<SessionId>,
    },
    /// A member's new presence state.
    Presence {
        /// The member (the node's session id).
        peer: SessionId,
        /// Its state.
        state: Bytes,
    },
}

/// One message on the bus: a node's news of a room.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct NodeNews {
    /// The node that sent it.
    pub node: NodeId,
    /// The room.
    pub room: RoomId,
    /// The news.
    pub news: PeerNews,
}

/// Why bytes from the bus are not news.
#[derive(Clone, PartialEq, Eq, Debug, Error)]
pub enum NewsError {
    /// Shorter than the node id and the flags.
    #[error("news shorter than its 9-byte header")]
    Truncated,
    /// A flag bit other than bit 0 is set.
    #[error("unknown news flags {0:#04x}")]
    Flags(u8),
    /// The frame does not decode.
    #[error("news frame: {0}")]
    Frame(#[from] DecodeError),
    /// A frame other than `Peers` (`full` / `changes`) or `Presence`.
    #[error("a news frame must be Peers (full or changes) or Presence")]
    FrameKind,
}

const ASK: u8 = 1;

impl NodeNews {
    /// The bytes of this news on the bus.
    pub fn encode(&self) -> Vec<u8> {
        let (ask, frame) = match &self.news {
            PeerNews::Roster { peers, ask } => (*ask, self.peers(PeersMode::Full, peers, &[])),
            PeerNews::Changes { joined, left } => {
                (false, self.peers(PeersMode::Changes, joined, left))
            }
            PeerNews::Presence { peer, state } => (
                false,
                Frame::Presence(Presence {
                    room: self.room.clone(),
                    peer: *peer,
                    state: state.clone(),
                }),
            ),
        };
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(&self.node.0.to_be_bytes());
        out.push(if ask { ASK } else { 0 });
        frame.encode_into(&mut out);
        out
    }

    fn peers(&self, mode: PeersMode, joined: &[PeerInfo], left: &[SessionId]) -> Frame {
        Frame::Peers(Peers {
            room: self.room.clone(),
            mode,
            count: joined.len() as u64,
            joined: joined.to_vec(),
            left: left.to_vec(),
        })
    }

    /// Reads news from the bus; the frame is bounded by `max_frame_bytes`.
    pub fn decode(input: &[u8], max_frame_bytes: usize) -> Result<NodeNews, NewsError> {
        let (node, rest) = input.split_first_chunk::<8>().ok_or(NewsError::Truncated)?;
        let (&flags, frame) = rest.split_first().ok_or(NewsError::Truncated)?;
        if flags & !ASK != 0 {
            return Err(NewsError::Flags(flags));
        }
        let node = NodeId(u64::from_be_bytes(*node));
        let (room, news) = match Frame::decode_with_limit(frame, max_frame_bytes)? {
            Frame::Peers(p) => {
                let news = match p.mode {
                    PeersMode::Full => PeerNews::Roster {
                        peers: p.joined,
                        ask: flags & ASK != 0,
                    },
                    PeersMode::Changes => PeerNews::Changes {
                        joined: p.joined,
                        left: p.left,
                    },
                    PeersMode::Summary => return Err(NewsError::FrameKind),
                };
                (p.room, news)
            }
            Frame::Presence(p) => (
                p.room,
                PeerNews::Presence {
                    peer: p.peer,
                    state: p.state,
                },
            ),
            _ => return Err(NewsError::FrameKind),
        };
        Ok(NodeNews { node, room, news })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::ReplicaId;

    fn info(peer: u64, state: Option<&'static [u8]>) -> PeerInfo {
        PeerInfo {
            peer: SessionId(peer),
            replica: ReplicaId(peer * 10),
            user_info: Some(Bytes::from_static(b"ann")),
            state: state.map(Bytes::from_static),
        }
    }

    fn round_trip(news: PeerNews) {
        let n = NodeNews {
            node: NodeId(0x0102_0304_0506_0708),
            room: RoomId::new("doc"),
            news,
        };
        let bytes = n.encode();
        assert_eq!(&bytes[..8], &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(NodeNews::decode(&bytes, 1 << 20), Ok(n));
    }

    #[test]
    fn every_kind_of_news_round_trips() {
        round_trip(PeerNews::Roster {
            peers: vec![info(1, Some(b"x")), info(2, None)],
            ask: true,
        });
        round_trip(PeerNews::Roster {
            peers: vec![],
            ask: false,
        });
        round_trip(PeerNews::Changes {
            joined: vec![info(3, None)],
            left: vec![SessionId(1)],
        });
        round_trip(PeerNews::Presence {
            peer: SessionId(9),
            state: Bytes::from_static(b"cursor"),
        });
    }

    #[test]
    fn bad_bytes_are_typed_errors() {
        assert_eq!(NodeNews::decode(&[0; 8], 1024), Err(NewsError::Truncated));
        let good = NodeNews {
            node: NodeId(1),
            room: RoomId::new("r"),
            news: PeerNews::Presence {
                peer: SessionId(1),
                state: Bytes::new(),
            },
        }
        .encode();
        let mut flags = good.clone();
        flags[8] = 0x82;
        assert_eq!(NodeNews::decode(&flags, 1024), Err(NewsError::Flags(0x82)));
        let mut ping = good[..9].to_vec();
        Frame::Ping { nonce: 1 }.encode_into(&mut ping);
        assert_eq!(NodeNews::decode(&ping, 1024), Err(NewsError::FrameKind));
        assert!(matches!(
            NodeNews::decode(&good[..good.len() - 1], 1024),
            Err(NewsError::Frame(_))
        ));
        assert!(matches!(
            NodeNews::decode(&good, 4),
            Err(NewsError::Frame(DecodeError::FrameTooLarge { .. }))
        ));
    }
}
