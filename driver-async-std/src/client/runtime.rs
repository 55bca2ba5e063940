//! The async-std adapter of the shared client loop ([`syncwire_driver_core::run_client`]):
//! async-tungstenite sockets mapped to [`Incoming`] / `Sink<Bytes>`, async-std timers
//! and a background close. The loop itself lives in driver-core, shared with tokio.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use async_std::net::TcpStream;
use async_tungstenite::WebSocketStream;
use async_tungstenite::tungstenite::client::IntoClientRequest;
use async_tungstenite::tungstenite::protocol::frame::coding::CloseCode as WsCloseCode;
use async_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use async_tungstenite::tungstenite::{Error as WsError, Message};
use bytes::Bytes;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use syncwire_driver_core::{ClientRuntime, Incoming};
use syncwire_proto::wire::CloseCode;

/// Read buffer per connection; tungstenite's default (128 KiB) is far more than frames need.
pub(crate) const READ_BUFFER: usize = 8 * 1024;

/// How long a background close waits for the peer.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// The async-std runtime, as the shared client loop sees it.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct AsyncStd;

/// An async-tungstenite WebSocket seen as a stream of [`Incoming`] and a sink of frames.
pub(super) struct Socket(WebSocketStream<TcpStream>);

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

/// TCP connect (Nagle off) and WebSocket handshake for a `ws://` URL.
async fn connect(url: String) -> Result<Socket, String> {
    let request = url.into_client_request().map_err(|e| e.to_string())?;
    let uri = request.uri();
    if uri.scheme_str() != Some("ws") {
        return Err("only ws:// URLs are supported by the async-std driver".to_owned());
    }
    let host = uri.host().ok_or("URL without a host")?.to_owned();
    let port = uri.port_u16().unwrap_or(80);
    let tcp = TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| e.to_string())?;
    tcp.set_nodelay(true).map_err(|e| e.to_string())?;
    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0);
    let (ws, _response) = async_tungstenite::client_async_with_config(request, tcp, Some(config))
        .await
        .map_err(|e| e.to_string())?;
    Ok(Socket(ws))
}

impl ClientRuntime for AsyncStd {
    type Socket = Socket;
    type Connect = BoxFuture<Result<Socket, String>>;
    type Sleep = BoxFuture<()>;

    fn connect(&self, url: &str) -> Self::Connect {
        Box::pin(connect(url.to_owned()))
    }

    fn sleep(&self, delay: Duration) -> Self::Sleep {
        Box::pin(async_std::task::sleep(delay))
    }

    fn close_in_background(&self, socket: Socket, code: CloseCode, reason: &str) {
        let frame = CloseFrame {
            code: WsCloseCode::from(code.0),
            reason: reason.to_owned().into(),
        };
        let mut ws = socket.0;
        async_std::task::spawn(async move {
            let _ = async_std::future::timeout(CLOSE_WAIT, ws.close(Some(frame))).await;
        });
    }
}
