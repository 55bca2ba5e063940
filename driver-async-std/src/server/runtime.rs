//! The async-std adapter of the shared server half
//! ([`syncwire_driver_core::server`]): async-std's spawn and timer, and an
//! async-tungstenite WebSocket seen as a
//! [`ServerSocket`](syncwire_driver_core::server::ServerSocket).

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use async_std::net::TcpStream;
use async_tungstenite::WebSocketStream;
use async_tungstenite::tungstenite::Message;
use async_tungstenite::tungstenite::protocol::CloseFrame;
use async_tungstenite::tungstenite::protocol::frame::coding::CloseCode as WsCloseCode;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use syncwire_driver_core::Incoming;
use syncwire_driver_core::server::{Outgoing, ServerRuntime};
use syncwire_proto::wire::CloseCode;

/// The async-std runtime, as the shared server half sees it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct AsyncStd;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl ServerRuntime for AsyncStd {
    type Sleep = BoxFuture<()>;

    fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        async_std::task::spawn(task);
    }

    fn sleep(&self, delay: Duration) -> Self::Sleep {
        Box::pin(async_std::task::sleep(delay))
    }
}

/// An accepted async-tungstenite WebSocket.
pub(crate) struct WsSocket(pub(crate) WebSocketStream<TcpStream>);

impl Stream for WsSocket {
    type Item = Incoming;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Incoming>> {
        self.0.poll_next_unpin(cx).map(|m| {
            m.map(|m| match m {
                Ok(Message::Binary(bytes)) => Incoming::Binary(bytes),
                Ok(Message::Text(_)) => Incoming::Text,
                Ok(Message::Close(f)) => {
                    let code = |f: CloseFrame| (CloseCode(u16::from(f.code)), f.reason.to_string());
                    Incoming::Close(f.map(code))
                }
                Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => Incoming::Control,
                Err(e) => Incoming::Failed(e.to_string()),
            })
        })
    }
}

impl Sink<Outgoing> for WsSocket {
    type Error = String;
    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), String>> {
        self.0.poll_ready_unpin(cx).map_err(|e| e.to_string())
    }
    fn start_send(mut self: Pin<&mut Self>, item: Outgoing) -> Result<(), String> {
        let msg = match item {
            Outgoing::Binary(bytes) => Message::Binary(bytes),
            Outgoing::Close(code, reason) => Message::Close(Some(CloseFrame {
                code: WsCloseCode::from(code.0),
                reason: reason.into(),
            })),
        };
        self.0.start_send_unpin(msg).map_err(|e| e.to_string())
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), String>> {
        self.0.poll_flush_unpin(cx).map_err(|e| e.to_string())
    }
    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), String>> {
        self.0.poll_close_unpin(cx).map_err(|e| e.to_string())
    }
}
