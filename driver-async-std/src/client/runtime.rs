//! The async-std adapter of the shared client ([`syncwire_driver_core::SyncClient`]
//! and its loop, [`syncwire_driver_core::run_client`]): async-tungstenite sockets
//! (through driver-core's [`WsAdapter`]), async-std's spawn and timers, and a
//! background close. Also the codec the async-std server's sockets use.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use async_std::net::TcpStream;
use async_tungstenite::WebSocketStream;
use async_tungstenite::tungstenite;
use async_tungstenite::tungstenite::client::IntoClientRequest;
use async_tungstenite::tungstenite::protocol::WebSocketConfig;
use futures_util::SinkExt;
use syncwire_driver_core::{ClientExecutor, ClientRuntime, DriverError, Outgoing, WsAdapter};
use syncwire_proto::client::TransportClosed;
use syncwire_proto::wire::CloseCode;

/// Read buffer per connection; tungstenite's default (128 KiB) is far more than frames need.
pub(crate) const READ_BUFFER: usize = 8 * 1024;

/// How long a background close waits for the peer.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

syncwire_driver_core::tungstenite_codec!(pub Tungstenite, tungstenite);

/// The async-std runtime, as the shared client sees it.
#[derive(Clone, Copy, Debug, Default)]
pub struct AsyncStd;

/// An async-tungstenite WebSocket seen as a stream of `Incoming` and a sink of frames.
pub type Socket = WsAdapter<WebSocketStream<TcpStream>, Tungstenite>;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// TCP connect (Nagle off) and WebSocket handshake for a `ws://` URL.
async fn connect(url: String) -> Result<Socket, TransportClosed> {
    connect_ws(url).await.map_err(TransportClosed::failed)
}

async fn connect_ws(url: String) -> Result<Socket, String> {
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
    Ok(WsAdapter::new(ws))
}

impl ClientRuntime for AsyncStd {
    type Socket = Socket;
    type Connect = BoxFuture<Result<Socket, TransportClosed>>;
    type Sleep = BoxFuture<()>;

    fn connect(&self, url: &str) -> Self::Connect {
        Box::pin(connect(url.to_owned()))
    }

    fn sleep(&self, delay: Duration) -> Self::Sleep {
        Box::pin(async_std::task::sleep(delay))
    }

    fn close_in_background(&self, mut socket: Socket, code: CloseCode, reason: &str) {
        let close = Outgoing::Close(code, reason.to_owned());
        async_std::task::spawn(async move {
            let _ = async_std::future::timeout(CLOSE_WAIT, socket.send(close)).await;
        });
    }
}

impl ClientExecutor for AsyncStd {
    fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        async_std::task::spawn(task);
    }

    /// Only `ws://`: this driver has no TLS, so `wss://` is refused at once with
    /// [`DriverError::TlsUnsupported`] (rather than by every connect attempt).
    fn check_url(url: &str) -> Result<(), DriverError> {
        if url.starts_with("ws://") {
            return Ok(());
        }
        if url.starts_with("wss://") {
            return Err(DriverError::TlsUnsupported {
                url: url.to_owned(),
            });
        }
        Err(DriverError::Config(format!("not a ws:// URL: {url}")))
    }
}
