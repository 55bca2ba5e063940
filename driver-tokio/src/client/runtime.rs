//! The tokio adapter of the shared client loop ([`syncwire_driver_core::run_client`]):
//! tokio-tungstenite sockets mapped to [`Incoming`] / `Sink<Bytes>`, tokio timers and
//! a background close. The loop itself lives in driver-core, shared with async-std.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use syncwire_driver_core::{ClientRuntime, Incoming};
use syncwire_proto::wire::CloseCode;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode as WsCloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Read buffer per connection; tungstenite's default (128 KiB) is far more than frames need.
const READ_BUFFER: usize = 8 * 1024;

/// How long a background close waits for the peer.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// The tokio runtime, as the shared client loop sees it.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Tokio;

/// A tokio-tungstenite WebSocket seen as a stream of [`Incoming`] and a sink of frames.
pub(super) struct Socket(WebSocketStream<MaybeTlsStream<TcpStream>>);

impl Stream for Socket {
    type Item = Incoming;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Incoming>> {
        self.0.poll_next_unpin(cx).map(|m| m.map(incoming))
    }
}

fn incoming(msg: Result<Message, WsError>) -> Incoming {
    match msg {
        Ok(Message::Binary(bytes)) => Incoming::Binary(bytes),
        Ok(Message::Text(_)) => Incoming::Text,
        Ok(Message::Close(f)) => {
            Incoming::Close(f.map(|f| (CloseCode(u16::from(f.code)), f.reason.to_string())))
        }
        Ok(_) => Incoming::Control,
        Err(e) => Incoming::Failed(e.to_string()),
    }
}

impl Sink<Bytes> for Socket {
    type Error = String;
    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), String>> {
        self.0.poll_ready_unpin(cx).map_err(|e| e.to_string())
    }
    fn start_send(mut self: Pin<&mut Self>, item: Bytes) -> Result<(), String> {
        let msg = Message::Binary(item);
        self.0.start_send_unpin(msg).map_err(|e| e.to_string())
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), String>> {
        self.0.poll_flush_unpin(cx).map_err(|e| e.to_string())
    }
    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), String>> {
        self.0.poll_close_unpin(cx).map_err(|e| e.to_string())
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl ClientRuntime for Tokio {
    type Socket = Socket;
    type Connect = BoxFuture<Result<Socket, String>>;
    type Sleep = Pin<Box<tokio::time::Sleep>>;

    fn connect(&self, url: &str) -> Self::Connect {
        let url = url.to_owned();
        let config = WebSocketConfig::default()
            .read_buffer_size(READ_BUFFER)
            .write_buffer_size(0);
        Box::pin(async move {
            let (ws, _response) =
                tokio_tungstenite::connect_async_with_config(url, Some(config), true)
                    .await
                    .map_err(|e| e.to_string())?;
            Ok(Socket(ws))
        })
    }

    fn sleep(&self, delay: Duration) -> Self::Sleep {
        Box::pin(tokio::time::sleep(delay))
    }

    fn close_in_background(&self, socket: Socket, code: CloseCode, reason: &str) {
        let frame = CloseFrame {
            code: WsCloseCode::from(code.0),
            reason: reason.to_owned().into(),
        };
        let mut ws = socket.0;
        tokio::spawn(async move {
            let _ = tokio::time::timeout(CLOSE_WAIT, ws.close(Some(frame))).await;
        });
    }
}
