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
use syncwire_proto::client::{ConnectionId, TransportClosed, TransportCommand};
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
    WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
}

fn connect(url: String) -> Connecting {
    Box::pin(async move {
        let (ws, _response) =
            tokio_tungstenite::connect_async_with_config(url, Some(ws_config()), true).await?;
        Ok(ws)
    })
}

/// Closes a socket with `code` in the background (the session already forgot it).
fn close_socket(mut ws: Ws, code: CloseCode, reason: &str) {
    let frame = CloseFrame {
        code: WsCloseCode::from(code.0),
        reason: reason.to_string().into(),
    };
    tokio::spawn(async move {
        let close = ws.close(Some(frame));
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), close).await;
    });
}

enum Wake {
    Message(Option<Result<Message, WsError>>),
    Connected(Box<Result<Ws, WsError>>),
    Deadline,
    Handle(bool),
}

/// Runs the session until it is closed or has failed for good.
pub(super) async fn run(
    shared: SharedSession,
    mut wake: WakeReceiver,
    url: String,
    clock: SystemClock,
) {
    let mut ws: Option<(ConnectionId, Ws)> = None;
    let mut connecting: Option<(ConnectionId, Connecting)> = None;
    loop {
        let (drained, stopped) = {
            let mut s = Session::lock(&shared);
            (s.drain(), s.client().state().is_stopped())
        };
        if let Some((conn, sock)) = ws.as_mut() {
            if let Err(e) = write_all(sock, drained.transmits).await {
                let conn = *conn;
                ws = None;
                Session::lock(&shared)
                    .handle_transport_closed(conn, TransportClosed::failed(e.to_string()));
                continue;
            }
        }
        for cmd in drained.transport {
            match cmd {
                TransportCommand::Open { conn } => {
                    if let Some((_, old)) = ws.take() {
                        close_socket(old, CloseCode::NORMAL, "");
                    }
                    connecting = Some((conn, connect(url.clone())));
                }
                TransportCommand::Close { conn, code, reason } => {
                    if connecting.as_ref().is_some_and(|(c, _)| *c == conn) {
                        connecting = None;
                    }
                    if ws.as_ref().is_some_and(|(c, _)| *c == conn) {
                        if let Some((_, old)) = ws.take() {
                            close_socket(old, code, reason);
                        }
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
            res = finish_connect(&mut connecting) => Wake::Connected(Box::new(res)),
            () = sleep_until(&clock, deadline) => Wake::Deadline,
            w = wake.next() => Wake::Handle(w.is_some()),
        };
        let mut s = Session::lock(&shared);
        let current = ws.as_ref().map(|(c, _)| *c);
        match event {
            Wake::Message(msg) => {
                let Some(conn) = current else { continue };
                match msg {
                    Some(Ok(Message::Binary(bytes))) => s.handle_frame(conn, &bytes),
                    Some(Ok(Message::Text(_))) => {
                        // Text messages are a protocol error (docs/PROTOCOL.md §1).
                        if let Some((_, old)) = ws.take() {
                            close_socket(old, CloseCode::PROTOCOL_ERROR, "text message");
                        }
                        s.handle_transport_closed(
                            conn,
                            TransportClosed::failed("hub sent a text message"),
                        );
                    }
                    Some(Ok(Message::Close(frame))) => {
                        ws = None;
                        let closed = match frame {
                            Some(f) => TransportClosed::closed(
                                CloseCode(u16::from(f.code)),
                                f.reason.to_string(),
                            ),
                            None => TransportClosed::failed("closed without a code"),
                        };
                        s.handle_transport_closed(conn, closed);
                    }
                    // Ping / pong / raw frames: tungstenite answers WebSocket pings itself.
                    Some(Ok(_)) => {}
                    Some(Err(e)) => {
                        ws = None;
                        s.handle_transport_closed(conn, TransportClosed::failed(e.to_string()));
                    }
                    None => {
                        ws = None;
                        s.handle_transport_closed(
                            conn,
                            TransportClosed::failed("connection ended"),
                        );
                    }
                }
            }
            Wake::Connected(res) => {
                let Some((conn, _)) = connecting.take() else {
                    continue;
                };
                match *res {
                    Ok(sock) => {
                        ws = Some((conn, sock));
                        s.handle_transport_open(conn);
                    }
                    Err(e) => {
                        s.handle_transport_closed(conn, TransportClosed::failed(e.to_string()))
                    }
                }
            }
            Wake::Deadline => {
                if deadline.is_some_and(|d| clock.now() >= d) {
                    s.handle_timeout();
                }
            }
            Wake::Handle(alive) => {
                if !alive {
                    // The wake channel closed: the session is gone.
                    s.close();
                }
            }
        }
    }
}

/// Feeds every frame, then flushes once.
async fn write_all(sock: &mut Ws, frames: Vec<bytes::Bytes>) -> Result<(), WsError> {
    if frames.is_empty() {
        return Ok(());
    }
    for frame in frames {
        sock.feed(Message::Binary(frame)).await?;
    }
    sock.flush().await
}

async fn next_message(ws: &mut Option<(ConnectionId, Ws)>) -> Option<Result<Message, WsError>> {
    match ws {
        Some((_, sock)) => sock.next().await,
        None => std::future::pending().await,
    }
}

async fn finish_connect(
    connecting: &mut Option<(ConnectionId, Connecting)>,
) -> Result<Ws, WsError> {
    match connecting {
        Some((_, fut)) => fut.await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(clock: &SystemClock, deadline: Option<syncwire_proto::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(clock.to_std(d))).await,
        None => std::future::pending().await,
    }
}
