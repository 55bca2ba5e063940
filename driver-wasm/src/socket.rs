//! [`Socket`]: one browser `WebSocket` (binary type `arraybuffer`) turned into a
//! stream of [`SocketEvent`]s.
//!
//! Incoming messages go through a bounded queue ([`RECEIVE_QUEUE`]). The browser
//! cannot be slowed down, so when the queue is full the socket stops delivering
//! (later messages are ignored, so no gap is ever processed) and reports itself
//! failed once the queued messages are consumed; the session then reconnects and
//! resumes. The `error` event is a plain `Event` carrying no detail; the `close`
//! event that always follows it reports the code.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use futures_channel::{mpsc, oneshot};
use futures_util::StreamExt;
use js_sys::{ArrayBuffer, Uint8Array};
use syncwire_proto::client::TransportClosed;
use syncwire_proto::wire::CloseCode;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{BinaryType, CloseEvent, Event, MessageEvent, WebSocket};

/// Messages queued between the browser and the session before the socket is
/// declared overloaded.
pub(crate) const RECEIVE_QUEUE: usize = 1024;

/// What happened on a socket.
#[derive(Debug)]
pub(crate) enum SocketEvent {
    /// The connection is open.
    Open,
    /// A binary message.
    Message(Vec<u8>),
    /// The connection ended (closed by the hub, failed, text message or overload).
    Closed(TransportClosed),
}

/// A browser WebSocket and the handlers attached to it.
pub(crate) struct Socket {
    ws: WebSocket,
    messages: mpsc::Receiver<SocketEvent>,
    closed: oneshot::Receiver<TransportClosed>,
    overflow: Rc<Cell<bool>>,
    done: bool,
    _handlers: [Closure<dyn FnMut(Event)>; 3],
}

impl Socket {
    /// Starts connecting to `url`. Fails at once only for an invalid URL.
    pub(crate) fn open(url: &str) -> Result<Socket, String> {
        let ws = WebSocket::new(url).map_err(|e| format!("cannot open {url}: {e:?}"))?;
        ws.set_binary_type(BinaryType::Arraybuffer);
        let (tx, messages) = mpsc::channel(RECEIVE_QUEUE - 1);
        let (close_tx, closed) = oneshot::channel();
        let overflow = Rc::new(Cell::new(false));

        let mut open_tx = tx.clone();
        let onopen = Closure::<dyn FnMut(Event)>::new(move |_: Event| {
            let _ = open_tx.try_send(SocketEvent::Open);
        });
        let mut msg_tx = tx;
        let flag = overflow.clone();
        let onmessage = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
            if flag.get() {
                return;
            }
            let Ok(e) = e.dyn_into::<MessageEvent>() else {
                return;
            };
            let event = match e.data().dyn_into::<ArrayBuffer>() {
                Ok(buf) => SocketEvent::Message(Uint8Array::new(&buf).to_vec()),
                Err(_) => SocketEvent::Closed(TransportClosed::failed("hub sent a text message")),
            };
            if msg_tx.try_send(event).is_err() {
                flag.set(true);
            }
        });
        let mut close_tx = Some(close_tx);
        let onclose = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
            let closed = match e.dyn_into::<CloseEvent>() {
                // 1006 (abnormal) and 1005 (no status) are reported by the browser, not sent.
                Ok(c) if c.code() != 1006 && c.code() != 1005 => {
                    TransportClosed::closed(CloseCode(c.code()), c.reason())
                }
                Ok(c) => TransportClosed::failed(format!("connection lost ({})", c.code())),
                Err(_) => TransportClosed::failed("connection lost"),
            };
            if let Some(tx) = close_tx.take() {
                let _ = tx.send(closed);
            }
        });
        ws.set_onopen(Some(onopen.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
        ws.set_onclose(Some(onclose.as_ref().unchecked_ref()));
        Ok(Socket {
            ws,
            messages,
            closed,
            overflow,
            done: false,
            _handlers: [onopen, onmessage, onclose],
        })
    }

    /// Sends one binary message.
    pub(crate) fn send(&self, bytes: &[u8]) -> Result<(), String> {
        self.ws
            .send_with_u8_array(bytes)
            .map_err(|e| format!("send failed: {e:?}"))
    }

    /// The next event. Queued messages come before the close report. Yields
    /// `Closed` at most once, then stays pending.
    pub(crate) fn poll_event(&mut self, cx: &mut Context<'_>) -> Poll<SocketEvent> {
        if self.done {
            return Poll::Pending;
        }
        if let Poll::Ready(Some(ev)) = self.messages.poll_next_unpin(cx) {
            if matches!(ev, SocketEvent::Closed(_)) {
                self.done = true;
            }
            return Poll::Ready(ev);
        }
        if self.overflow.get() {
            self.done = true;
            return Poll::Ready(SocketEvent::Closed(TransportClosed::failed(
                "receive queue overflow",
            )));
        }
        match Pin::new(&mut self.closed).poll(cx) {
            Poll::Ready(res) => {
                self.done = true;
                let closed =
                    res.unwrap_or_else(|_| TransportClosed::failed("socket handler dropped"));
                Poll::Ready(SocketEvent::Closed(closed))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    /// Closes the socket with a close code the browser allows sending (1000 or
    /// 3000–4999; others are sent as 1000).
    pub(crate) fn close(self, code: CloseCode, reason: &str) {
        let code = match code.0 {
            1000 | 3000..=4999 => code.0,
            _ => 1000,
        };
        // Reasons are limited to 123 bytes; ours are short constants.
        let _ = self.ws.close_with_code_and_reason(code, reason);
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let state = self.ws.ready_state();
        if state == WebSocket::CONNECTING || state == WebSocket::OPEN {
            let _ = self.ws.close();
        }
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
#[path = "tests/socket.rs"]
mod tests;
