//! `handle_frame`: decoding a frame from the hub under the size limit and
//! dispatching it by state.
//!
//! Frames of any connection but the current one (one the session already closed,
//! ...) are ignored, as are frames before the transport was reported open. Any frame counts as liveness. A frame
//! over `max_frame_bytes` closes the connection with `MESSAGE_TOO_BIG` — except a
//! `Joined`, accepted up to [`MAX_JOINED_BYTES`] whatever the limit, as its snapshot
//! can be as large as any state a hub folds (PROTOCOL.md §7) — one that
//! does not decode or is not allowed from a hub closes it with `PROTOCOL_ERROR`;
//! both report an error event and reconnect.

use super::Client;
use super::error::SessionError;
use super::event::{ClientEvent, ConnectionId};
use super::lifecycle::ClientState;
use super::metrics::{add, bump};
use crate::time::Instant;
use crate::wire::{CloseCode, Frame, MAX_JOINED_BYTES};

impl Client {
    /// A binary message arrived on connection `conn`. Ignored unless `conn` is the
    /// current connection and the handshake has started.
    pub(crate) fn handle_frame(&mut self, now: Instant, conn: ConnectionId, bytes: &[u8]) {
        self.advance(now);
        let open = matches!(
            self.state,
            ClientState::Handshaking | ClientState::Connected
        );
        if !open || !self.is_current(conn) {
            return;
        }
        bump(&mut self.metrics.frames_received);
        add(&mut self.metrics.bytes_received, bytes.len());
        self.note_liveness();
        let limit = self.config.max_frame_bytes;
        let within = bytes.len() <= limit;
        let frame = match Frame::decode_with_limit(bytes, limit.max(MAX_JOINED_BYTES)) {
            Ok(f) if within || matches!(f, Frame::Joined(_)) => f,
            Err(e) if within => {
                self.fault(SessionError::Malformed(e), CloseCode::PROTOCOL_ERROR);
                return;
            }
            _ => {
                let size = bytes.len();
                let err = SessionError::FrameTooLarge { size, max: limit };
                self.fault(err, CloseCode::MESSAGE_TOO_BIG);
                return;
            }
        };
        if self.state == ClientState::Handshaking {
            self.on_handshake_frame(frame);
        } else {
            self.on_connected_frame(frame);
        }
    }

    fn on_connected_frame(&mut self, frame: Frame) {
        match frame {
            Frame::Joined(j) => self.on_joined(j),
            Frame::HubDelta(d) => self.on_hub_delta(d),
            Frame::DeltaBatch(b) => self.on_batch(b),
            Frame::Ack(a) => self.on_ack(a),
            Frame::Reject(r) => {
                if !self.on_identity_reject(&r) {
                    self.on_reject(r);
                }
            }
            Frame::Ping { nonce } => self.on_hub_ping(nonce),
            Frame::Pong { nonce } => self.on_pong(nonce),
            Frame::Peers(p) => self.on_peers(p),
            Frame::Presence(p) => {
                if self.rooms.contains_key(&p.room) {
                    self.emit(ClientEvent::Presence {
                        room: p.room,
                        peer: p.peer,
                        state: p.state,
                    });
                }
            }
            Frame::Hello(_)
            | Frame::Welcome(_)
            | Frame::Join(_)
            | Frame::Leave(_)
            | Frame::ClientDelta(_)
            | Frame::SetPresence(_) => self.fault(
                SessionError::ProtocolViolation("frame not allowed from a connected hub"),
                CloseCode::PROTOCOL_ERROR,
            ),
        }
    }
}
