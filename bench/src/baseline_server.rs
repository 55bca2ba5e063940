//! The baseline: a minimal raw tokio-tungstenite broadcast server, what one would
//! write by hand without syncwire. A client's first message joins it (answered with
//! `joined`); every later binary message is forwarded verbatim to every other joined
//! connection through a bounded per-connection queue (dropped when full). No codec,
//! no dedupe, no log, no acks, no resume: the cost floor of fan-out over WebSocket.

use std::collections::HashMap;
use std::error::Error;
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::serve::{WS_READ_BUFFER, WS_WRITE_BUFFER};

/// Outbound queue per connection, in messages (syncwire's default `outbound_capacity`).
const QUEUE: usize = 4096;

type Members = Arc<Mutex<HashMap<u64, mpsc::Sender<Message>>>>;

/// Accepts connections until the listener fails.
pub async fn run(listener: TcpListener) -> Result<(), Box<dyn Error>> {
    let members: Members = Arc::default();
    let mut next_id = 0u64;
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        next_id += 1;
        tokio::spawn(connection(stream, next_id, members.clone()));
    }
}

async fn connection(stream: TcpStream, id: u64, members: Members) {
    let config = WebSocketConfig::default()
        .read_buffer_size(WS_READ_BUFFER)
        .write_buffer_size(WS_WRITE_BUFFER);
    let Ok(ws) = tokio_tungstenite::accept_async_with_config(stream, Some(config)).await else {
        return;
    };
    let (mut sink, mut source) = ws.split();
    let (tx, mut rx) = mpsc::channel::<Message>(QUEUE);
    let mut joined = false;
    loop {
        tokio::select! {
            inbound = source.next() => match inbound {
                Some(Ok(Message::Binary(bytes))) if joined => {
                    let members = members.lock().unwrap_or_else(|e| e.into_inner());
                    for (peer, queue) in members.iter() {
                        if *peer != id {
                            let _ = queue.try_send(Message::Binary(bytes.clone()));
                        }
                    }
                }
                Some(Ok(Message::Binary(_))) => {
                    joined = true;
                    members.lock().unwrap_or_else(|e| e.into_inner()).insert(id, tx.clone());
                    if sink.send(Message::Binary("joined".into())).await.is_err() {
                        break;
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break,
            },
            Some(out) = rx.recv() => {
                // Write what is queued, then flush once.
                let mut ok = sink.feed(out).await.is_ok();
                while ok && let Ok(more) = rx.try_recv() {
                    ok = sink.feed(more).await.is_ok();
                }
                if !ok || sink.flush().await.is_err() {
                    break;
                }
            }
        }
    }
    members
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&id);
}
