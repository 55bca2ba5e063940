//! [`Server`]: binds the listener, starts the hub task, accepts connections, and
//! shuts down in order.

use std::future::{Future, poll_fn};
use std::net::SocketAddr;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use async_std::net::TcpListener;
use async_tungstenite::tungstenite::protocol::WebSocketConfig;
use futures_channel::oneshot;
use futures_util::StreamExt;
use syncwire_driver_core::hub::random_seed;
use syncwire_driver_core::{Clock, SystemClock};
use syncwire_proto::hub::Hub;

use super::config::{ServerConfig, ServerError};
use super::connection::{self, ConnContext};
use super::hub_loop::HubLoop;

/// A bound, not yet running server. See the [module docs](super).
pub struct Server {
    config: ServerConfig,
    listener: TcpListener,
    local_addr: SocketAddr,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("local_addr", &self.local_addr)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Validates the config and binds the listener.
    pub async fn bind(config: ServerConfig) -> Result<Server, ServerError> {
        config.validate()?;
        let listener = TcpListener::bind(config.addr).await?;
        let local_addr = listener.local_addr()?;
        Ok(Server {
            config,
            listener,
            local_addr,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until `shutdown` completes, then shuts down gracefully: stops accepting,
    /// runs the storage already queued, closes every session with `GOING_AWAY` (1001)
    /// and waits (up to `shutdown_grace`) for the connections to end.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        let Server {
            config, listener, ..
        } = self;
        let mut hub_config = config.hub.clone();
        hub_config.authorizer = Some(config.authorizer.clone());
        hub_config.seed = random_seed();
        let clock = SystemClock::default();
        let hub = Hub::new(hub_config, clock.now())?;
        let (hub_tx, hub_rx) = async_std::channel::bounded(config.inbound_capacity);
        let (stop_tx, stop_rx) = oneshot::channel();
        let (alive_tx, alive_rx) = async_std::channel::bounded::<()>(1);
        let hub_loop = HubLoop::new(hub, clock, config.storage.clone(), config.storage_capacity);
        let hub_task = async_std::task::spawn(hub_loop.run(hub_rx, stop_rx));
        let max_message = config.hub.max_frame_bytes.saturating_mul(2);
        let ctx = ConnContext {
            hub: hub_tx,
            ws_path: config.ws_path.clone(),
            ws_config: WebSocketConfig::default()
                .read_buffer_size(config.ws_read_buffer)
                .write_buffer_size(0)
                .max_message_size(Some(max_message))
                .max_frame_size(Some(max_message)),
            outbound_capacity: config.outbound_capacity,
            _alive: alive_tx,
        };
        let mut shutdown = pin!(shutdown);
        let mut incoming = listener.incoming();
        loop {
            let next = poll_fn(|cx| {
                if shutdown.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(None);
                }
                incoming.poll_next_unpin(cx)
            })
            .await;
            match next {
                None => break,
                Some(Ok(tcp)) => {
                    async_std::task::spawn(connection::serve(tcp, ctx.clone()));
                }
                // Out of descriptors or an aborted handshake: keep serving the others.
                Some(Err(_)) => async_std::task::sleep(Duration::from_millis(10)).await,
            }
        }
        drop(incoming);
        drop(listener);
        drop(ctx);
        let _ = stop_tx.send(());
        hub_task.await;
        // Connections hold `_alive` clones until they end; an error means all are gone.
        let _ = async_std::future::timeout(config.shutdown_grace, alive_rx.recv()).await;
        Ok(())
    }
}
