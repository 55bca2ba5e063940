//! The tokio adapter of the shared client ([`syncwire_driver_core::SyncClient`] and its
//! loop, [`syncwire_driver_core::run_client`]): tokio-tungstenite sockets (through
//! driver-core's [`WsAdapter`]), tokio's spawn and timers, and a background close.
//! `wss://` URLs go through rustls with the adapter's [`ClientTls`] (module `tls`).

use std::pin::Pin;
use std::time::Duration;

use futures_util::SinkExt;
use syncwire_driver_core::{ClientExecutor, ClientRuntime, DriverError, Outgoing, WsAdapter};
use syncwire_proto::client::TransportClosed;
use syncwire_proto::wire::CloseCode;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream, tungstenite};

use super::tls::{ClientTls, connect_failure};

/// Read buffer per connection; tungstenite's default (128 KiB) is far more than frames need.
const READ_BUFFER: usize = 8 * 1024;

/// How long a background close waits for the peer.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

syncwire_driver_core::tungstenite_codec!(pub Tungstenite, tungstenite);

/// The tokio runtime, as the shared client sees it, with the TLS settings for
/// `wss://` URLs (default: the platform's root certificates). Pass one built with
/// [`Tokio::with_tls`] to `SyncClient::connect_with` to trust other roots.
#[derive(Clone, Debug, Default)]
pub struct Tokio {
    tls: ClientTls,
}

impl Tokio {
    /// The adapter with these TLS settings.
    pub fn with_tls(tls: ClientTls) -> Self {
        Tokio { tls }
    }
}

/// A tokio-tungstenite WebSocket seen as a stream of `Incoming` and a sink of frames.
pub type Socket = WsAdapter<WebSocketStream<MaybeTlsStream<TcpStream>>, Tungstenite>;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl ClientRuntime for Tokio {
    type Socket = Socket;
    type Connect = BoxFuture<Result<Socket, TransportClosed>>;
    type Sleep = Pin<Box<tokio::time::Sleep>>;

    fn connect(&self, url: &str) -> Self::Connect {
        let url = url.to_owned();
        let config = WebSocketConfig::default()
            .read_buffer_size(READ_BUFFER)
            .write_buffer_size(0);
        let tls = url.starts_with("wss://").then(|| self.tls.clone());
        Box::pin(async move {
            let connector = match tls {
                Some(tls) => Some(Connector::Rustls(tls.config().await?)),
                None => None,
            };
            let (ws, _response) = tokio_tungstenite::connect_async_tls_with_config(
                url,
                Some(config),
                true,
                connector,
            )
            .await
            .map_err(connect_failure)?;
            Ok(WsAdapter::new(ws))
        })
    }

    fn sleep(&self, delay: Duration) -> Self::Sleep {
        Box::pin(tokio::time::sleep(delay))
    }

    fn close_in_background(&self, mut socket: Socket, code: CloseCode, reason: &str) {
        let close = Outgoing::Close(code, reason.to_owned());
        tokio::spawn(async move {
            let _ = tokio::time::timeout(CLOSE_WAIT, socket.send(close)).await;
        });
    }
}

impl ClientExecutor for Tokio {
    fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        tokio::spawn(task);
    }

    fn check_url(url: &str) -> Result<(), DriverError> {
        if url.starts_with("ws://") || url.starts_with("wss://") {
            Ok(())
        } else {
            Err(DriverError::Config(format!("not a WebSocket URL: {url}")))
        }
    }
}
