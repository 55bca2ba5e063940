//! The tokio adapter of the shared server half
//! ([`syncwire_driver_core::server`]): tokio's spawn and timer, and axum's upgraded
//! WebSocket seen as a [`ServerSocket`](syncwire_driver_core::server::ServerSocket).

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use syncwire_driver_core::Incoming;
use syncwire_driver_core::server::{Outgoing, ServerRuntime};
use syncwire_proto::wire::CloseCode;

/// The tokio runtime, as the shared server half sees it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Tokio;

impl ServerRuntime for Tokio {
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

/// An upgraded axum WebSocket, lent to the connection loop.
pub(crate) struct AxumSocket<'a>(pub(crate) &'a mut WebSocket);

impl Stream for AxumSocket<'_> {
    type Item = Incoming;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Incoming>> {
        self.0.poll_next_unpin(cx).map(|m| {
            m.map(|m| match m {
                Ok(Message::Binary(bytes)) => Incoming::Binary(bytes),
                Ok(Message::Text(_)) => Incoming::Text,
                Ok(Message::Close(f)) => {
                    Incoming::Close(f.map(|f| (CloseCode(f.code), f.reason.to_string())))
                }
                Ok(Message::Ping(_) | Message::Pong(_)) => Incoming::Control,
                Err(e) => Incoming::Failed(e.to_string()),
            })
        })
    }
}

impl Sink<Outgoing> for AxumSocket<'_> {
    type Error = String;
    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), String>> {
        self.0.poll_ready_unpin(cx).map_err(|e| e.to_string())
    }
    fn start_send(mut self: Pin<&mut Self>, item: Outgoing) -> Result<(), String> {
        let msg = match item {
            Outgoing::Binary(bytes) => Message::Binary(bytes),
            Outgoing::Close(code, reason) => Message::Close(Some(CloseFrame {
                code: code.0,
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
