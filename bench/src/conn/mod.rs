//! The client side of the load tool: connect + handshake + join for either server,
//! publishing a 64-byte delta, and reading deliveries. Every payload carries its
//! send time (µs since the tool started) in its first 8 bytes, for latency.

use std::error::Error;
use std::sync::OnceLock;
use std::time::Instant;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use syncwire_proto::wire::{ClientDelta, Frame, Hello, Join, Position, ReplicaId, RoomId};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::Kind;

/// A client WebSocket.
pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;
/// Errors of the load tool.
pub type BenchError = Box<dyn Error + Send + Sync>;

/// The room every scenario uses.
pub const ROOM: &str = "bench";
/// The CRDT tag of the benched deltas (opaque to the hub).
pub const CRDT: &str = "bench";
/// Payload size of every delta.
pub const PAYLOAD_BYTES: usize = 64;

/// Microseconds since the tool started.
pub fn now_us() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    let start = *START.get_or_init(Instant::now);
    u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// A 64-byte payload stamped with the current time.
pub fn stamped_payload() -> Bytes {
    let mut p = vec![0xA5u8; PAYLOAD_BYTES];
    p[..8].copy_from_slice(&now_us().to_le_bytes());
    Bytes::from(p)
}

/// The send time stamped in a payload: in its last [`PAYLOAD_BYTES`] (all of an
/// opaque payload; the value, encoded last, of an `lww` write).
pub fn stamp_of(payload: &[u8]) -> Option<u64> {
    let value = payload.get(payload.len().checked_sub(PAYLOAD_BYTES)?..)?;
    value.get(..8)?.try_into().ok().map(u64::from_le_bytes)
}

/// The CRDT type of the benched room.
pub fn crdt(kind: Kind) -> &'static str {
    match kind {
        Kind::Durable => "lww",
        Kind::Syncwire | Kind::Baseline => CRDT,
    }
}

/// An `lww` register write of `value` (docs/CRDTS.md: `[millis, replica, value]`,
/// the value a byte string, encoded last so it ends the payload).
fn lww_set(replica: u64, value: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(value.len() + 24);
    out.push(0x83);
    cbor_uint(&mut out, now_millis());
    cbor_uint(&mut out, replica);
    out.extend_from_slice(&[0x58, value.len() as u8]);
    out.extend_from_slice(value);
    Bytes::from(out)
}

/// Wall-clock milliseconds (the LWW stamp).
fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A CBOR unsigned integer in its shortest form.
fn cbor_uint(out: &mut Vec<u8>, v: u64) {
    match v {
        0..=23 => out.push(v as u8),
        24..=0xff => out.extend_from_slice(&[0x18, v as u8]),
        0x100..=0xffff => {
            out.push(0x19);
            out.extend_from_slice(&(v as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0x1a);
            out.extend_from_slice(&(v as u32).to_be_bytes());
        }
        _ => {
            out.push(0x1b);
            out.extend_from_slice(&v.to_be_bytes());
        }
    }
}

/// Where the client stands in the room after joining (syncwire only).
#[derive(Clone, Copy, Debug, Default)]
pub struct Joined {
    /// The room's epoch.
    pub epoch: u64,
    /// The room's durable head when joined (the next offset to expect).
    pub head: u64,
}

/// Connects to `url`, completes the handshake and joins `room` (resuming from
/// `resume` if given, syncwire only).
pub async fn connect(
    kind: Kind,
    url: &str,
    replica: u64,
    room: &str,
    resume: Option<Position>,
) -> Result<(Ws, Joined), BenchError> {
    connect_typed(kind, url, replica, room, crdt(kind), resume).await
}

/// [`connect`] to a room of CRDT type `crdt` (syncwire; the baseline has no types).
pub async fn connect_typed(
    kind: Kind,
    url: &str,
    replica: u64,
    room: &str,
    crdt: &str,
    resume: Option<Position>,
) -> Result<(Ws, Joined), BenchError> {
    // TCP_NODELAY on the client side for both servers (`true`): small frames go out at once.
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(url, None, true).await?;
    match kind {
        Kind::Baseline => {
            ws.send(Message::Binary("join".into())).await?;
            while let Some(msg) = ws.next().await {
                if let Message::Binary(_) = msg? {
                    return Ok((ws, Joined::default()));
                }
            }
            Err("baseline closed before joining".into())
        }
        Kind::Syncwire | Kind::Durable => {
            let hello = Frame::Hello(Hello {
                versions: syncwire_proto::wire::SUPPORTED_VERSIONS.to_vec(),
                replica: ReplicaId(replica),
                token: None,
                user_info: None,
            });
            ws.send(Message::Binary(hello.encode().into())).await?;
            let join = Frame::Join(Join {
                room: RoomId::new(room),
                crdt: crdt.to_owned(),
                resume,
            });
            ws.send(Message::Binary(join.encode().into())).await?;
            while let Some(msg) = ws.next().await {
                let Message::Binary(bytes) = msg? else {
                    continue;
                };
                match Frame::decode(&bytes)? {
                    Frame::Joined(j) => {
                        let joined = Joined {
                            epoch: j.epoch,
                            head: j.head,
                        };
                        return Ok((ws, joined));
                    }
                    Frame::Reject(r) => return Err(format!("rejected: {r:?}").into()),
                    _ => {}
                }
            }
            Err("syncwire closed before joining".into())
        }
    }
}

/// The message that publishes delta `seq` of `replica` (a stamped payload).
pub fn delta_message(kind: Kind, replica: u64, seq: u64) -> Message {
    let payload = stamped_payload();
    match kind {
        Kind::Baseline => Message::Binary(payload),
        Kind::Syncwire | Kind::Durable => {
            let payload = if kind == Kind::Durable {
                lww_set(replica, &payload)
            } else {
                payload
            };
            let frame = Frame::ClientDelta(ClientDelta {
                room: RoomId::new(ROOM),
                crdt: crdt(kind).to_owned(),
                replica: ReplicaId(replica),
                seq,
                payload,
            });
            Message::Binary(frame.encode().into())
        }
    }
}

/// Calls `on_delta(offset, payload)` for every delta a received message delivers
/// (offset is 0 on the baseline); returns how many it delivered.
pub fn deliveries(kind: Kind, msg: &Message, mut on_delta: impl FnMut(u64, &[u8])) -> u64 {
    let Message::Binary(bytes) = msg else {
        return 0;
    };
    match kind {
        Kind::Baseline => {
            on_delta(0, bytes);
            1
        }
        Kind::Syncwire | Kind::Durable => deliveries_decoded(bytes, on_delta),
    }
}

/// Calls `on_payload` for every delta a received message delivers; returns how many
/// it delivered. Like [`deliveries`] without offsets, and a live syncwire `HubDelta`
/// is read without decoding it: the tool's clients share the CPU with the server
/// under test, and the baseline's clients do not decode anything either.
pub fn payloads(kind: Kind, msg: &Message, mut on_payload: impl FnMut(&[u8])) -> u64 {
    match (kind, msg) {
        (Kind::Syncwire | Kind::Durable, Message::Binary(bytes)) => {
            match hub_delta_payload(bytes) {
                Some(payload) => {
                    on_payload(payload);
                    1
                }
                None => deliveries_decoded(bytes, |_, p| on_payload(p)),
            }
        }
        _ => deliveries(kind, msg, |_, p| on_payload(p)),
    }
}

/// The payload of a `HubDelta` frame carrying a [`PAYLOAD_BYTES`] payload, found
/// without decoding: such a frame is `[8, ..., payload]` (PROTOCOL.md §3.8), an array
/// of 8 whose first element is 8 and whose last is a byte string of 64 bytes.
fn hub_delta_payload(bytes: &[u8]) -> Option<&[u8]> {
    const TAIL: usize = PAYLOAD_BYTES + 2;
    let head = bytes.get(..2)?;
    let tail = bytes.get(bytes.len().checked_sub(TAIL)?..)?;
    // 0x88: array of 8 items; 0x08: HubDelta; 0x58 0x40: byte string of 64 bytes.
    (head == [0x88, 0x08] && tail[..2] == [0x58, PAYLOAD_BYTES as u8]).then(|| &tail[2..])
}

/// [`deliveries`] of a syncwire message by decoding it (catch-up batches, other frames).
fn deliveries_decoded(bytes: &[u8], mut on_delta: impl FnMut(u64, &[u8])) -> u64 {
    match Frame::decode(bytes) {
        Ok(Frame::HubDelta(d)) => {
            on_delta(d.offset, &d.payload);
            1
        }
        Ok(Frame::DeltaBatch(b)) => {
            for (i, e) in b.entries.iter().enumerate() {
                on_delta(b.first_offset.saturating_add(i as u64), &e.payload);
            }
            b.entries.len() as u64
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests;
