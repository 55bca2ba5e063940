//! The per-frame-type layouts of decoding: after the frame array's header and type
//! code, each frame's fields in the order of docs/PROTOCOL.md, with exact arity.

use super::borrowed::{ClientDeltaRef, FrameRef};
use super::codes::ErrorCode;
use super::error::DecodeError;
use super::frame::*;
use super::reader::In;
use super::types::*;

/// Smallest possible encoding of one batch entry (`[uint, uint, bytes]`), used to
/// bound the entry count by the input left.
const MIN_BATCH_ENTRY_BYTES: usize = 4;

/// Smallest possible encoding of one `Peers` entry (`[uint, uint, null, null]`).
const MIN_PEER_BYTES: usize = 5;

fn arity(got: usize, what: &'static str, expected: usize) -> Result<(), DecodeError> {
    if got != expected {
        return Err(DecodeError::WrongArity {
            what,
            expected,
            got,
        });
    }
    Ok(())
}

/// Decodes the frame at the reader (a `ClientDelta` borrowed, the rest owned).
pub(super) fn decode_frame<'a>(r: &mut In<'a>) -> Result<FrameRef<'a>, DecodeError> {
    use frame_type::*;
    let n = r.array("frame")?;
    if n == 0 {
        return Err(DecodeError::WrongArity {
            what: "frame",
            expected: 1,
            got: 0,
        });
    }
    let ty = r.uint("frame type")?;
    if ty == CLIENT_DELTA {
        arity(n, "ClientDelta", 6)?;
        return Ok(FrameRef::ClientDelta(ClientDeltaRef {
            room: r.room_str()?,
            crdt: r.crdt_str()?,
            replica: ReplicaId(r.uint("replica")?),
            seq: r.uint("seq")?,
            payload: r.bytes("payload")?,
        }));
    }
    decode_owned(r, n, ty).map(FrameRef::Owned)
}

/// Every frame type but `ClientDelta`, after the array header (`n` elements) and type.
fn decode_owned(r: &mut In<'_>, n: usize, ty: u64) -> Result<Frame, DecodeError> {
    use frame_type::*;
    Ok(match ty {
        HELLO => {
            arity(n, "Hello", 5)?;
            let count = r.array("versions")?;
            if count > MAX_OFFERED_VERSIONS {
                return Err(DecodeError::FieldTooLong {
                    field: "versions",
                    len: count,
                    max: MAX_OFFERED_VERSIONS,
                });
            }
            // Any uint is a valid offer (PROTOCOL.md §3.1); one beyond 32 bits names
            // no version any build speaks, so it is left out of the decoded list.
            let mut versions = Vec::with_capacity(count);
            for _ in 0..count {
                if let Ok(v) = u32::try_from(r.uint("version")?) {
                    versions.push(v);
                }
            }
            Frame::Hello(Hello {
                versions,
                replica: ReplicaId(r.uint("replica")?),
                token: r.opt_text("token", MAX_TOKEN_LEN)?,
                user_info: r.opt_bytes("user_info")?,
            })
        }
        WELCOME => {
            arity(n, "Welcome", 5)?;
            let version = r.u32("version")?;
            let session = SessionId(r.uint("session")?);
            let heartbeat_ms = r.u32("heartbeat_ms")?;
            r.exact_array("limits", 9)?;
            let limits = Limits {
                max_frame_bytes: r.u32("max_frame_bytes")?,
                max_rooms: r.u32("max_rooms")?,
                rate_frames_per_sec: r.u32("rate_frames_per_sec")?,
                rate_bytes_per_sec: r.u32("rate_bytes_per_sec")?,
                rate_frame_burst: r.u32("rate_frame_burst")?,
                rate_byte_burst: r.u32("rate_byte_burst")?,
                max_payload_bytes: r.u32("max_payload_bytes")?,
                max_presence_bytes: r.u32("max_presence_bytes")?,
                heartbeat_timeout_ms: r.u32("heartbeat_timeout_ms")?,
            };
            Frame::Welcome(Welcome {
                version,
                session,
                heartbeat_ms,
                limits,
            })
        }
        REJECT => {
            arity(n, "Reject", 5)?;
            Frame::Reject(Reject {
                code: ErrorCode(r.u16("code")?),
                room: r.opt_room()?,
                seq: r.opt_uint("seq")?,
                message: r.text("message", MAX_MESSAGE_LEN)?,
            })
        }
        JOIN => {
            arity(n, "Join", 4)?;
            Frame::Join(Join {
                room: r.room()?,
                crdt: r.crdt()?,
                resume: r.opt_position("resume")?,
            })
        }
        JOINED => {
            arity(n, "Joined", 10)?;
            Frame::Joined(Joined {
                room: r.room()?,
                crdt: r.crdt()?,
                epoch: r.uint("epoch")?,
                start: r.uint("start")?,
                head: r.uint("head")?,
                acked_seq: r.uint("acked_seq")?,
                writable: r.bool("writable")?,
                resync: r.bool("resync")?,
                snapshot: r.opt_bytes("snapshot")?,
            })
        }
        LEAVE => {
            arity(n, "Leave", 2)?;
            Frame::Leave(Leave { room: r.room()? })
        }
        HUB_DELTA => {
            arity(n, "HubDelta", 8)?;
            Frame::HubDelta(HubDelta {
                room: r.room()?,
                crdt: r.crdt()?,
                epoch: r.uint("epoch")?,
                offset: r.uint("offset")?,
                replica: ReplicaId(r.uint("replica")?),
                seq: r.uint("seq")?,
                payload: r.bytes("payload")?,
            })
        }
        DELTA_BATCH => {
            arity(n, "DeltaBatch", 6)?;
            let room = r.room()?;
            let crdt = r.crdt()?;
            let epoch = r.uint("epoch")?;
            let first_offset = r.uint("first_offset")?;
            let count = r.array("entries")?;
            let mut entries = Vec::with_capacity(count.min(r.remaining() / MIN_BATCH_ENTRY_BYTES));
            for _ in 0..count {
                r.exact_array("entry", 3)?;
                entries.push(BatchEntry {
                    replica: ReplicaId(r.uint("replica")?),
                    seq: r.uint("seq")?,
                    payload: r.bytes("payload")?,
                });
            }
            Frame::DeltaBatch(DeltaBatch {
                room,
                crdt,
                epoch,
                first_offset,
                entries,
            })
        }
        ACK => {
            arity(n, "Ack", 4)?;
            Frame::Ack(Ack {
                room: r.room()?,
                seq: r.uint("seq")?,
                offset: r.opt_uint("offset")?,
            })
        }
        PING => {
            arity(n, "Ping", 2)?;
            Frame::Ping {
                nonce: r.uint("nonce")?,
            }
        }
        PONG => {
            arity(n, "Pong", 2)?;
            Frame::Pong {
                nonce: r.uint("nonce")?,
            }
        }
        SET_PRESENCE => {
            arity(n, "SetPresence", 3)?;
            Frame::SetPresence(SetPresence {
                room: r.room()?,
                state: r.bytes("state")?,
            })
        }
        PRESENCE => {
            arity(n, "Presence", 4)?;
            Frame::Presence(Presence {
                room: r.room()?,
                peer: SessionId(r.uint("peer")?),
                state: r.bytes("state")?,
            })
        }
        PEERS => {
            arity(n, "Peers", 6)?;
            let room = r.room()?;
            let code = r.uint("mode")?;
            let mode = PeersMode::from_code(code).ok_or(DecodeError::IntegerOutOfRange {
                field: "mode",
                value: code,
            })?;
            let count = r.uint("count")?;
            let n_joined = r.array("joined")?;
            let mut joined = Vec::with_capacity(n_joined.min(r.remaining() / MIN_PEER_BYTES));
            for _ in 0..n_joined {
                r.exact_array("peer", 4)?;
                joined.push(PeerInfo {
                    peer: SessionId(r.uint("peer")?),
                    replica: ReplicaId(r.uint("replica")?),
                    user_info: r.opt_bytes("user_info")?,
                    state: r.opt_bytes("state")?,
                });
            }
            let n_left = r.array("left")?;
            let mut left = Vec::with_capacity(n_left.min(r.remaining()));
            for _ in 0..n_left {
                left.push(SessionId(r.uint("left")?));
            }
            Frame::Peers(Peers {
                room,
                mode,
                count,
                joined,
                left,
            })
        }
        other => return Err(DecodeError::UnknownFrameType(other)),
    })
}
