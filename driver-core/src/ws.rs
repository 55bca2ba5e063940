//! [`WsAdapter`]: a WebSocket library's socket seen as the shared loops want it — a
//! `Stream` of [`Incoming`] and a `Sink` of frames ([`Bytes`], for the client loop)
//! or of [`Outgoing`] messages (for the server's connection loop). A driver supplies
//! a [`WsCodec`] (how its library's messages map); for tungstenite, whose versions
//! differ between the tokio and async-std crates, [`tungstenite_codec!`] writes it.

use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use futures_util::{Sink, SinkExt, StreamExt};
use syncwire_proto::wire::CloseCode;

use crate::Incoming;

/// One WebSocket message the shared loops send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outgoing {
    /// A binary message: one encoded frame.
    Binary(Bytes),
    /// A close frame with this code and reason.
    Close(CloseCode, String),
}

/// How a WebSocket library's messages map to and from the shared loops' messages.
pub trait WsCodec {
    /// The library's message type.
    type Message;
    /// The library's error type.
    type Error: std::fmt::Display;
    /// A received message (or read failure) as the loops see it.
    fn incoming(msg: Result<Self::Message, Self::Error>) -> Incoming;
    /// The library's message for `out`.
    fn outgoing(out: Outgoing) -> Self::Message;
}

/// A socket `S` of the library `C` describes (owned, or lent as `&mut S`).
pub struct WsAdapter<S, C> {
    socket: S,
    codec: PhantomData<fn() -> C>,
}

impl<S, C> WsAdapter<S, C> {
    /// Wraps `socket`.
    pub fn new(socket: S) -> Self {
        WsAdapter {
            socket,
            codec: PhantomData,
        }
    }

    /// The wrapped socket.
    pub fn into_inner(self) -> S {
        self.socket
    }
}

impl<S, C> std::fmt::Debug for WsAdapter<S, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WsAdapter")
    }
}

impl<S, C> Stream for WsAdapter<S, C>
where
    C: WsCodec,
    S: Stream<Item = Result<C::Message, C::Error>> + Unpin,
{
    type Item = Incoming;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Incoming>> {
        self.socket.poll_next_unpin(cx).map(|m| m.map(C::incoming))
    }
}

/// Both sinks: `Bytes` are binary messages.
macro_rules! sink {
    ($item:ty, $map:expr) => {
        impl<S, C> Sink<$item> for WsAdapter<S, C>
        where
            C: WsCodec,
            S: Sink<C::Message, Error = C::Error> + Unpin,
        {
            type Error = String;
            fn poll_ready(
                mut self: Pin<&mut Self>,
                cx: &mut Context<'_>,
            ) -> Poll<Result<(), String>> {
                self.socket.poll_ready_unpin(cx).map_err(|e| e.to_string())
            }
            fn start_send(mut self: Pin<&mut Self>, item: $item) -> Result<(), String> {
                let msg = C::outgoing($map(item));
                self.socket.start_send_unpin(msg).map_err(|e| e.to_string())
            }
            fn poll_flush(
                mut self: Pin<&mut Self>,
                cx: &mut Context<'_>,
            ) -> Poll<Result<(), String>> {
                self.socket.poll_flush_unpin(cx).map_err(|e| e.to_string())
            }
            fn poll_close(
                mut self: Pin<&mut Self>,
                cx: &mut Context<'_>,
            ) -> Poll<Result<(), String>> {
                self.socket.poll_close_unpin(cx).map_err(|e| e.to_string())
            }
        }
    };
}

sink!(Bytes, Outgoing::Binary);
sink!(Outgoing, std::convert::identity);

/// Defines a [`WsCodec`] unit struct for a tungstenite crate in scope as `$ws`
/// (tokio-tungstenite and async-tungstenite re-export different tungstenite
/// versions, so the mapping is written once here and instantiated per driver).
///
/// ```ignore
/// use tokio_tungstenite::tungstenite;
/// syncwire_driver_core::tungstenite_codec!(pub(crate) Tungstenite, tungstenite);
/// ```
#[macro_export]
macro_rules! tungstenite_codec {
    ($vis:vis $name:ident, $ws:ident) => {
        /// tungstenite's messages as the shared loops see them.
        #[derive(Clone, Copy, Debug, Default)]
        $vis struct $name;

        impl $crate::WsCodec for $name {
            type Message = $ws::Message;
            type Error = $ws::Error;
            fn incoming(msg: Result<$ws::Message, $ws::Error>) -> $crate::Incoming {
                match msg {
                    Ok($ws::Message::Binary(bytes)) => $crate::Incoming::Binary(bytes),
                    Ok($ws::Message::Text(_)) => $crate::Incoming::Text,
                    Ok($ws::Message::Close(f)) => $crate::Incoming::Close(f.map(|f| {
                        let code = $crate::proto::wire::CloseCode(u16::from(f.code));
                        (code, f.reason.to_string())
                    })),
                    Ok(_) => $crate::Incoming::Control,
                    Err(e) => $crate::Incoming::Failed(e.to_string()),
                }
            }
            fn outgoing(out: $crate::Outgoing) -> $ws::Message {
                match out {
                    $crate::Outgoing::Binary(bytes) => $ws::Message::Binary(bytes),
                    $crate::Outgoing::Close(code, reason) => {
                        $ws::Message::Close(Some($ws::protocol::CloseFrame {
                            code: $ws::protocol::frame::coding::CloseCode::from(code.0),
                            reason: reason.into(),
                        }))
                    }
                }
            }
        }
    };
}
