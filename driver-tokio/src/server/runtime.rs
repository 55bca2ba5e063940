//! The tokio adapter of the shared server half
//! ([`syncwire_driver_core::server`]): tokio's spawn and timer, and axum's upgraded
//! WebSocket as a [`ServerSocket`](syncwire_driver_core::server::ServerSocket)
//! (driver-core's [`WsAdapter`] with axum's message codec).

use std::pin::Pin;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use syncwire_driver_core::server::ServerRuntime;
use syncwire_driver_core::{Incoming, Outgoing, WsAdapter, WsCodec};
use syncwire_proto::wire::CloseCode;

/// The tokio runtime, as the shared server half sees it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TokioServer;

impl ServerRuntime for TokioServer {
    type Sleep = Pin<Box<tokio::time::Sleep>>;

    fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        tokio::spawn(task);
    }

    fn sleep(&self, delay: Duration) -> Self::Sleep {
        Box::pin(tokio::time::sleep(delay))
    }
}

/// axum's WebSocket messages as the shared connection loop sees them.
pub(crate) struct Axum;

impl WsCodec for Axum {
    type Message = Message;
    type Error = axum::Error;
    fn incoming(msg: Result<Message, axum::Error>) -> Incoming {
        match msg {
            Ok(Message::Binary(bytes)) => Incoming::Binary(bytes),
            Ok(Message::Text(_)) => Incoming::Text,
            Ok(Message::Close(f)) => {
                Incoming::Close(f.map(|f| (CloseCode(f.code), f.reason.to_string())))
            }
            Ok(Message::Ping(_) | Message::Pong(_)) => Incoming::Control,
            Err(e) => Incoming::Failed(e.to_string()),
        }
    }
    fn outgoing(out: Outgoing) -> Message {
        match out {
            Outgoing::Binary(bytes) => Message::Binary(bytes),
            Outgoing::Close(code, reason) => Message::Close(Some(CloseFrame {
                code: code.0,
                reason: reason.into(),
            })),
        }
    }
}

/// An upgraded axum WebSocket, lent to the connection loop.
pub(crate) type AxumSocket<'a> = WsAdapter<&'a mut WebSocket, Axum>;
