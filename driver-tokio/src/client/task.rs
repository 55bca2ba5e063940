//! The client's I/O task: owns the WebSocket and the timer, and nothing else.
//!
//! Loop: drain the session (frames, transport commands, deadline) → write frames
//! (fed, then flushed once) → perform transport commands → wait for whichever comes
//! first: a message, the connect attempt finishing, the deadline (checked with
//! `now >= deadline` here, not trusted to the timer), or a wake-up from a handle.

use std::future::Future;
use std::pin::Pin;

use futures_util::{SinkExt, StreamExt};
use syncwire_driver_core::{Clock, Session, SharedSession, SystemClock, WakeReceiver};
use syncwire_proto::client::{TransportClosed, TransportCommand};
use syncwire_proto::wire::CloseCode;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode as WsCloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;
type Connecting = Pin<Box<dyn Future<Output = Result<Ws, WsError>> + Send>>;

/// Read buffer per connection; tungstenite's default (128 KiB) is far more than frames need.
const READ_BUFFER: usize = 8 * 1024;

fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default().read_buffer_size(READ_BUFFER).write_buffer_size(0)
}

fn connect(url: String) -> Connecting {
    Box::pin(async move {
        let (ws, _response) =
            tokio_tungstenite::connect_async_with_config(url, Some(ws_config()), true).await?;
        Ok(ws)
    })
}

/// Closes a socket with `code` in the background (the session already forgot it).
fn close_socket(mut ws: Ws, code: CloseCode, reason: String) {
    tokio::spawn(async move {
        let frame = CloseFrame { code: WsCloseCode::from(code.0), reason: reason.into() };
        let close = ws.close(Some(frame));
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), close).await;
    });
}

enum Wake {
    Message(Option<Result<Message, WsError>>),
    Connected(Result<Ws, WsError>),
    Deadline,
    Handle(bool),
}

/// Runs the session until it is closed or has failed for good.
pub(super) async fn run(shared: SharedSession, mut wake: WakeReceiver, url: String, clock: SystemClock) {
    let mut ws: Option<Ws> = None;
    let mut connecting: Option<Connecting> = None;
    loop {
        let (drained, stopped) = {
            let mut s = Session::lock(&shared);
            (s.drain(), s.client().state().is_stopped())
        };
        if let Some(sock) = ws.as_mut() {
            let mut result = Ok(());
            for frame in drained.transmits {
                result = sock.feed(Message::Binary(frame)).await;
                if result.is_err() {
                    break;
                }
            }
            if result.is_ok() {
                result = sock.flush().await;
            }
            if let Err(e) = result {
                ws = None;
                Session::lock(&shared).handle_transport_closed(TransportClosed::failed(e.to_string()));
                continue;
            }
        }
        for cmd in drained.transport {
            match cmd {
                TransportCommand::Open => {
                    if let Some(old) = ws.take() {
                        close_socket(old, CloseCode::NORMAL, String::new());
                    }
                    connecting = Some(connect(url.clone()));
                }
                TransportCommand::Close { code, reason } => {
                    connecting = None;
                    if let Some(old) = ws.take() {
                        close_socket(old, code, reason);
                    }
                }
            }
        }
        if stopped && ws.is_none() && connecting.is_none() {
            return;
        }
        let deadline = drained.deadline;
        let event = tokio::select! {
            msg = next_message(&mut ws) => Wake::Message(msg),
            res = finish_connect(&mut connecting) => Wake::Connected(res),
            () = sleep_until(&clock, deadline) => Wake::Deadline,
            w = wake.next() => Wake::Handle(w.is_some()),
        };
        let mut s = Session::lock(&shared);
        match event {
            Wake::Message(Some(Ok(Message::Binary(bytes)))) => s.handle_frame(&bytes),
            Wake::Message(Some(Ok(Message::Text(_)))) => {
                // Text messages are a protocol error (docs/PROTOCOL.md §1).
                if let Some(old) = ws.take() {
                    close_socket(old, CloseCode::PROTOCOL_ERROR, "text message".into());
                }
                s.handle_transport_closed(TransportClosed::failed("hub sent a text message"));
            }
            Wake::Message(Some(Ok(Message::Close(frame)))) => {
                ws = None;
                let closed = match frame {
                    Some(f) => TransportClosed::closed(CloseCode(u16::from(f.code)), f.reason.to_string()),
                    None => TransportClosed::failed("closed without a code"),
                };
                s.handle_transport_closed(closed);
            }
            Wake::Message(Some(Ok(_))) => {} // ping / pong / raw frames: tungstenite answers pings
            Wake::Message(Some(Err(e))) => {
                ws = None;
                s.handle_transport_closed(TransportClosed::failed(e.to_string()));
            }
            Wake::Message(None) => {
                ws = None;
                s.handle_transport_closed(TransportClosed::failed("connection ended"));
            }
            Wake::Connected(Ok(sock)) => {
                connecting = None;
                ws = Some(sock);
                s.handle_transport_open();
            }
            Wake::Connected(Err(e)) => {
                connecting = None;
                s.handle_transport_closed(TransportClosed::failed(e.to_string()));
            }
            Wake::Deadline => {
                if deadline.is_some_and(|d| clock.now() >= d) {
                    s.handle_timeout();
                }
            }
            Wake::Handle(alive) => {
                if !alive {
                    // Every handle is gone and the wake channel closed: stop.
                    s.close();
                }
            }
        }
    }
}

async fn next_message(ws: &mut Option<Ws>) -> Option<Result<Message, WsError>> {
    match ws {
        Some(sock) => sock.next().await,
        None => std::future::pending().await,
    }
}

async fn finish_connect(connecting: &mut Option<Connecting>) -> Result<Ws, WsError> {
    match connecting {
        Some(fut) => fut.await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(clock: &SystemClock, deadline: Option<syncwire_proto::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(clock.to_std(d))).await,
        None => std::future::pending().await,
    }
}
