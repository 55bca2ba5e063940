//! Reason codes carried by `Reject` frames and WebSocket close codes.
//!
//! Both are open newtypes over integers (like `http::StatusCode`) so that a peer
//! speaking a newer protocol version can send a code this build does not know;
//! it still decodes, and [`ErrorCode::name`] returns `None` for it.

use core::fmt;

/// Why the hub (or a client) rejected something. Carried in `Reject` frames.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ErrorCode(pub u16);

macro_rules! codes {
    ($ty:ident { $($(#[$doc:meta])* $name:ident = $val:expr, $text:expr;)* }) => {
        impl $ty {
            $( $(#[$doc])* pub const $name: $ty = $ty($val); )*
            /// Every code this build knows, in numeric order.
            pub const KNOWN: &'static [$ty] = &[$($ty::$name),*];

            /// The snake_case name of a known code, `None` for an unknown one.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($val => Some($text),)*
                    _ => None,
                }
            }
        }
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(n) => write!(f, "{}({})", n, self.0),
                    None => write!(f, "unknown({})", self.0),
                }
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(self, f)
            }
        }
    };
}

codes!(ErrorCode {
    /// None of the offered protocol versions is supported by the hub. Fatal.
    UNSUPPORTED_VERSION = 1, "unsupported_version";
    /// The token was missing, invalid or expired. Fatal.
    UNAUTHORIZED = 2, "unauthorized";
    /// The identity may not perform this operation on this room (e.g. write to a
    /// read-only room, or create a room without write access).
    FORBIDDEN = 3, "forbidden";
    /// The session exceeded its frame or byte rate; the frame was dropped.
    RATE_LIMITED = 4, "rate_limited";
    /// The frame or payload exceeded a size limit.
    PAYLOAD_TOO_LARGE = 5, "payload_too_large";
    /// The frame could not be decoded or violates the protocol.
    MALFORMED = 6, "malformed";
    /// The room is not joined by this session (or does not exist).
    UNKNOWN_ROOM = 7, "unknown_room";
    /// The hub failed internally (e.g. storage); the client may retry later.
    INTERNAL = 8, "internal";
    /// A join named a CRDT type different from the room's type, or one the hub does
    /// not register.
    CRDT_MISMATCH = 9, "crdt_mismatch";
    /// The session already joined the maximum number of rooms.
    TOO_MANY_ROOMS = 10, "too_many_rooms";
    /// A delta named a replica id other than the session's own.
    REPLICA_MISMATCH = 11, "replica_mismatch";
    /// A frame arrived in a state where it is not allowed (e.g. a delta before the handshake).
    UNEXPECTED_FRAME = 12, "unexpected_frame";
    /// A delta's sequence is not the next one the hub expects from its replica in the
    /// room (highest accepted + 1): an earlier delta is missing. Nothing was stored.
    SEQ_GAP = 13, "seq_gap";
    /// Another session completed the handshake with this session's replica id and
    /// replaced it; sent (no room, no seq) just before close `REPLACED`. Fatal for
    /// this replica id: the client must not reconnect with it.
    REPLICA_IN_USE = 14, "replica_in_use";
    /// The identity may not speak for the replica id its `Hello` claimed; sent during
    /// the handshake, followed by close `REPLICA_FORBIDDEN`. Fatal for that replica id.
    REPLICA_FORBIDDEN = 15, "replica_forbidden";
});

/// A WebSocket close code used by syncwire (RFC 6455 §7.4 plus the private range 4000–4999).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CloseCode(pub u16);

codes!(CloseCode {
    /// Normal closure: the session was closed on purpose.
    NORMAL = 1000, "normal";
    /// The hub is shutting down or moving; resume elsewhere.
    GOING_AWAY = 1001, "going_away";
    /// Protocol violation (e.g. a text message, or repeated malformed frames).
    PROTOCOL_ERROR = 1002, "protocol_error";
    /// A message was too big to process.
    MESSAGE_TOO_BIG = 1009, "message_too_big";
    /// Internal error on the closing side.
    INTERNAL_ERROR = 1011, "internal_error";
    /// No common protocol version. Clients must not reconnect.
    UNSUPPORTED_VERSION = 4001, "unsupported_version";
    /// Authentication failed. Clients must not reconnect with the same token.
    UNAUTHORIZED = 4002, "unauthorized";
    /// The session kept exceeding its rate limit.
    RATE_LIMITED = 4004, "rate_limited";
    /// The session sent malformed frames.
    MALFORMED = 4006, "malformed";
    /// No frame arrived within the heartbeat timeout.
    HEARTBEAT_TIMEOUT = 4010, "heartbeat_timeout";
    /// The session's send queue overflowed; reconnect and resume from the last offset.
    SLOW_CONSUMER = 4011, "slow_consumer";
    /// The handshake did not complete in time.
    HANDSHAKE_TIMEOUT = 4012, "handshake_timeout";
    /// A newer session claimed this session's replica id and replaced it. Clients must
    /// not reconnect with the same replica id.
    REPLACED = 4013, "replaced";
    /// The identity may not use the claimed replica id. Clients must not reconnect
    /// with the same replica id.
    REPLICA_FORBIDDEN = 4014, "replica_forbidden";
});

impl CloseCode {
    /// Whether a client receiving this code must stop instead of reconnecting.
    pub fn is_fatal(self) -> bool {
        matches!(
            self,
            CloseCode::UNSUPPORTED_VERSION
                | CloseCode::UNAUTHORIZED
                | CloseCode::REPLACED
                | CloseCode::REPLICA_FORBIDDEN
        )
    }
}

impl ErrorCode {
    /// Whether a `Reject` with this code during the handshake ends the session for good.
    pub fn is_fatal(self) -> bool {
        matches!(
            self,
            ErrorCode::UNSUPPORTED_VERSION
                | ErrorCode::UNAUTHORIZED
                | ErrorCode::REPLICA_IN_USE
                | ErrorCode::REPLICA_FORBIDDEN
        )
    }

    /// Whether the refused frame may be sent again unchanged later (the refusal
    /// was about load, not about the frame): `rate_limited` and `internal`.
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorCode::RATE_LIMITED | ErrorCode::INTERNAL)
    }

    /// The close code a hub uses when this rejection also closes the session.
    pub fn close_code(self) -> CloseCode {
        match self {
            ErrorCode::UNSUPPORTED_VERSION => CloseCode::UNSUPPORTED_VERSION,
            ErrorCode::UNAUTHORIZED => CloseCode::UNAUTHORIZED,
            ErrorCode::RATE_LIMITED => CloseCode::RATE_LIMITED,
            ErrorCode::PAYLOAD_TOO_LARGE => CloseCode::MESSAGE_TOO_BIG,
            ErrorCode::INTERNAL => CloseCode::INTERNAL_ERROR,
            ErrorCode::MALFORMED => CloseCode::MALFORMED,
            ErrorCode::REPLICA_IN_USE => CloseCode::REPLACED,
            ErrorCode::REPLICA_FORBIDDEN => CloseCode::REPLICA_FORBIDDEN,
            _ => CloseCode::PROTOCOL_ERROR,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_unknown_codes() {
        assert_eq!(ErrorCode::RATE_LIMITED.name(), Some("rate_limited"));
        assert_eq!(ErrorCode(999).name(), None);
        assert_eq!(format!("{:?}", ErrorCode(999)), "unknown(999)");
        assert_eq!(
            format!("{}", CloseCode::SLOW_CONSUMER),
            "slow_consumer(4011)"
        );
        assert!(CloseCode::UNAUTHORIZED.is_fatal());
        assert!(!CloseCode::SLOW_CONSUMER.is_fatal());
        assert!(ErrorCode::UNSUPPORTED_VERSION.is_fatal());
        assert_eq!(ErrorCode::MALFORMED.close_code(), CloseCode::MALFORMED);
        assert_eq!(ErrorCode::KNOWN.len(), 15);
        assert!(CloseCode::REPLACED.is_fatal());
        assert!(CloseCode::REPLICA_FORBIDDEN.is_fatal());
        assert_eq!(ErrorCode::REPLICA_IN_USE.close_code(), CloseCode::REPLACED);
        assert_eq!(
            ErrorCode::REPLICA_FORBIDDEN.close_code(),
            CloseCode::REPLICA_FORBIDDEN
        );
    }
}
