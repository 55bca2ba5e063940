//! Bytes → frame, bounded.
//!
//! * A message longer than the configured maximum is rejected before parsing.
//! * Every declared length (byte string, text, array) is checked against the
//!   bytes remaining before anything is allocated, so decoding never allocates
//!   more than a small multiple of the input size.
//! * The layout is schema-driven with a fixed nesting depth (at most three
//!   levels: frame → batch entries → entry), so no input can recurse.
//! * Indefinite lengths, tags, floats and unknown frame types are rejected.

use bytes::Bytes;
use ciborium_io::Read;
use ciborium_ll::{Decoder, Header, simple};

use super::codes::ErrorCode;
use super::error::DecodeError;
use super::frame::*;

/// Default maximum frame size: 1 MiB.
pub const DEFAULT_MAX_FRAME_BYTES: usize = 1 << 20;

/// Smallest possible encoding of one batch entry (`[uint, uint, bytes]`), used to
/// bound the entry count by the input left.
const MIN_BATCH_ENTRY_BYTES: usize = 4;

struct In<'a> {
    len: usize,
    dec: Decoder<&'a [u8]>,
}

impl<'a> In<'a> {
    fn remaining(&mut self) -> usize {
        self.len - self.dec.offset()
    }

    fn head(&mut self, field: &'static str) -> Result<Header, DecodeError> {
        let offset = self.dec.offset();
        self.dec.pull().map_err(|e| match e {
            ciborium_ll::Error::Io(_) => DecodeError::Truncated { field },
            ciborium_ll::Error::Syntax(_) => DecodeError::InvalidCbor { offset },
        })
    }

    fn array(&mut self, field: &'static str) -> Result<usize, DecodeError> {
        match self.head(field)? {
            Header::Array(Some(n)) => {
                let remaining = self.remaining();
                // Every element takes at least one byte.
                if n > remaining {
                    return Err(DecodeError::LengthExceedsInput {
                        field,
                        declared: n,
                        remaining,
                    });
                }
                Ok(n)
            }
            Header::Array(None) => Err(DecodeError::IndefiniteLength { field }),
            _ => Err(DecodeError::UnexpectedType {
                field,
                expected: "array",
            }),
        }
    }

    fn exact_array(&mut self, what: &'static str, expected: usize) -> Result<(), DecodeError> {
        let got = self.array(what)?;
        if got != expected {
            return Err(DecodeError::WrongArity {
                what,
                expected,
                got,
            });
        }
        Ok(())
    }

    fn uint(&mut self, field: &'static str) -> Result<u64, DecodeError> {
        match self.head(field)? {
            Header::Positive(v) => Ok(v),
            _ => Err(DecodeError::UnexpectedType {
                field,
                expected: "unsigned integer",
            }),
        }
    }

    fn u32(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        let v = self.uint(field)?;
        u32::try_from(v).map_err(|_| DecodeError::IntegerOutOfRange { field, value: v })
    }

    fn u16(&mut self, field: &'static str) -> Result<u16, DecodeError> {
        let v = self.uint(field)?;
        u16::try_from(v).map_err(|_| DecodeError::IntegerOutOfRange { field, value: v })
    }

    fn bool(&mut self, field: &'static str) -> Result<bool, DecodeError> {
        match self.head(field)? {
            Header::Simple(simple::TRUE) => Ok(true),
            Header::Simple(simple::FALSE) => Ok(false),
            _ => Err(DecodeError::UnexpectedType {
                field,
                expected: "boolean",
            }),
        }
    }

    /// Reads `len` body bytes after a length header, checking the input first.
    fn body(&mut self, field: &'static str, len: usize) -> Result<Vec<u8>, DecodeError> {
        let remaining = self.remaining();
        if len > remaining {
            return Err(DecodeError::LengthExceedsInput {
                field,
                declared: len,
                remaining,
            });
        }
        let mut buf = vec![0u8; len];
        self.dec
            .read_exact(&mut buf)
            .map_err(|_| DecodeError::Truncated { field })?;
        Ok(buf)
    }

    fn text_body(
        &mut self,
        field: &'static str,
        len: usize,
        max: usize,
    ) -> Result<String, DecodeError> {
        if len > max {
            return Err(DecodeError::FieldTooLong { field, len, max });
        }
        let raw = self.body(field, len)?;
        String::from_utf8(raw).map_err(|_| DecodeError::InvalidUtf8 { field })
    }

    fn text(&mut self, field: &'static str, max: usize) -> Result<String, DecodeError> {
        match self.head(field)? {
            Header::Text(Some(len)) => self.text_body(field, len, max),
            Header::Text(None) => Err(DecodeError::IndefiniteLength { field }),
            _ => Err(DecodeError::UnexpectedType {
                field,
                expected: "text",
            }),
        }
    }

    fn opt_text(&mut self, field: &'static str, max: usize) -> Result<Option<String>, DecodeError> {
        match self.head(field)? {
            Header::Simple(simple::NULL) => Ok(None),
            Header::Text(Some(len)) => self.text_body(field, len, max).map(Some),
            Header::Text(None) => Err(DecodeError::IndefiniteLength { field }),
            _ => Err(DecodeError::UnexpectedType {
                field,
                expected: "text or null",
            }),
        }
    }

    fn room(&mut self) -> Result<RoomId, DecodeError> {
        self.text("room", MAX_ROOM_ID_LEN).map(|s| RoomId::new(&s))
    }

    fn crdt(&mut self) -> Result<String, DecodeError> {
        self.text("crdt", MAX_CRDT_TAG_LEN)
    }

    fn bytes(&mut self, field: &'static str) -> Result<Bytes, DecodeError> {
        match self.head(field)? {
            Header::Bytes(Some(len)) => self.body(field, len).map(Bytes::from),
            Header::Bytes(None) => Err(DecodeError::IndefiniteLength { field }),
            _ => Err(DecodeError::UnexpectedType {
                field,
                expected: "byte string",
            }),
        }
    }

    fn opt_bytes(&mut self, field: &'static str) -> Result<Option<Bytes>, DecodeError> {
        match self.head(field)? {
            Header::Simple(simple::NULL) => Ok(None),
            Header::Bytes(Some(len)) => self.body(field, len).map(|b| Some(Bytes::from(b))),
            Header::Bytes(None) => Err(DecodeError::IndefiniteLength { field }),
            _ => Err(DecodeError::UnexpectedType {
                field,
                expected: "byte string or null",
            }),
        }
    }

    fn opt_uint(&mut self, field: &'static str) -> Result<Option<u64>, DecodeError> {
        match self.head(field)? {
            Header::Simple(simple::NULL) => Ok(None),
            Header::Positive(v) => Ok(Some(v)),
            _ => Err(DecodeError::UnexpectedType {
                field,
                expected: "unsigned integer or null",
            }),
        }
    }

    fn opt_position(&mut self, field: &'static str) -> Result<Option<Position>, DecodeError> {
        match self.head(field)? {
            Header::Simple(simple::NULL) => Ok(None),
            Header::Array(Some(2)) => Ok(Some(Position {
                epoch: self.uint("epoch")?,
                offset: self.uint("offset")?,
            })),
            Header::Array(Some(n)) => Err(DecodeError::WrongArity {
                what: field,
                expected: 2,
                got: n,
            }),
            Header::Array(None) => Err(DecodeError::IndefiniteLength { field }),
            _ => Err(DecodeError::UnexpectedType {
                field,
                expected: "[epoch, offset] or null",
            }),
        }
    }
}

impl Frame {
    /// Decodes one frame, rejecting messages over [`DEFAULT_MAX_FRAME_BYTES`].
    pub fn decode(input: &[u8]) -> Result<Frame, DecodeError> {
        Frame::decode_with_limit(input, DEFAULT_MAX_FRAME_BYTES)
    }

    /// Decodes one frame, rejecting messages over `max_frame_bytes` before parsing.
    pub fn decode_with_limit(input: &[u8], max_frame_bytes: usize) -> Result<Frame, DecodeError> {
        if input.len() > max_frame_bytes {
            return Err(DecodeError::FrameTooLarge {
                size: input.len(),
                max: max_frame_bytes,
            });
        }
        let mut r = In {
            len: input.len(),
            dec: Decoder::from(input),
        };
        let frame = decode_frame(&mut r)?;
        let extra = r.remaining();
        if extra != 0 {
            return Err(DecodeError::TrailingBytes { extra });
        }
        Ok(frame)
    }
}

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

fn decode_frame(r: &mut In<'_>) -> Result<Frame, DecodeError> {
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
            let mut versions = Vec::with_capacity(count);
            for _ in 0..count {
                versions.push(r.u32("version")?);
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
            r.exact_array("limits", 4)?;
            let limits = Limits {
                max_frame_bytes: r.u32("max_frame_bytes")?,
                max_rooms: r.u32("max_rooms")?,
                rate_frames_per_sec: r.u32("rate_frames_per_sec")?,
                rate_bytes_per_sec: r.u32("rate_bytes_per_sec")?,
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
                room: r
                    .opt_text("room", MAX_ROOM_ID_LEN)?
                    .map(|s| RoomId::new(&s)),
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
        CLIENT_DELTA => {
            arity(n, "ClientDelta", 6)?;
            Frame::ClientDelta(ClientDelta {
                room: r.room()?,
                crdt: r.crdt()?,
                replica: ReplicaId(r.uint("replica")?),
                seq: r.uint("seq")?,
                payload: r.bytes("payload")?,
            })
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
        PEER_JOINED => {
            arity(n, "PeerJoined", 5)?;
            Frame::PeerJoined(PeerJoined {
                room: r.room()?,
                peer: SessionId(r.uint("peer")?),
                replica: ReplicaId(r.uint("replica")?),
                user_info: r.opt_bytes("user_info")?,
            })
        }
        PEER_LEFT => {
            arity(n, "PeerLeft", 3)?;
            Frame::PeerLeft(PeerLeft {
                room: r.room()?,
                peer: SessionId(r.uint("peer")?),
            })
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
        other => return Err(DecodeError::UnknownFrameType(other)),
    })
}
