//! [`Drained`]: what one [`Session::drain`](crate::Session::drain) leaves the driver
//! to do — the frames to write, the transport commands, the next deadline.

use bytes::Bytes;
use syncwire_proto::Instant;
use syncwire_proto::client::TransportCommand;

/// Outputs of one [`Session::drain`](crate::Session::drain), to be performed by the driver in this order:
/// write the [`transmits`](Drained::take_transmits) to the current connection, then
/// perform the [`transport`](Drained::take_transport) commands, then sleep until a
/// message, a wake-up, or the [`deadline`](Drained::deadline). (In the replica's
/// output order frames come before transport commands, and once a command closed
/// or replaced the connection the session has no frame for it, so this batching
/// keeps that order.)
#[derive(Debug, Default)]
pub struct Drained {
    pub(crate) transmits: Vec<Bytes>,
    pub(crate) transport: Vec<TransportCommand>,
    pub(crate) deadline: Option<Instant>,
}

impl Drained {
    /// Encoded frames for the current connection, in order.
    pub fn take_transmits(&mut self) -> Vec<Bytes> {
        std::mem::take(&mut self.transmits)
    }

    /// Open / close commands for the transport, in order.
    pub fn take_transport(&mut self) -> Vec<TransportCommand> {
        std::mem::take(&mut self.transport)
    }

    /// When to call [`Session::handle_timeout`](crate::Session::handle_timeout) next.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }
}
