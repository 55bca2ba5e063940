//! The async-std adapter of the shared server half
//! ([`syncwire_driver_core::server`]): async-std's spawn and timer; accepted sockets
//! are async-tungstenite streams through driver-core's
//! [`WsAdapter`](syncwire_driver_core::WsAdapter) with the client's codec.

use std::pin::Pin;
use std::time::Duration;

use async_std::net::TcpStream;
use async_tungstenite::WebSocketStream;
use syncwire_driver_core::WsAdapter;
use syncwire_driver_core::server::ServerRuntime;

use crate::client::runtime::Tungstenite;

/// The async-std runtime, as the shared server half sees it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct AsyncStdServer;

impl ServerRuntime for AsyncStdServer {
    type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

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
pub(crate) type WsSocket = WsAdapter<WebSocketStream<TcpStream>, Tungstenite>;
