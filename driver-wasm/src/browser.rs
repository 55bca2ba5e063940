//! [`BrowserSignals`]: the page events that matter to a connection — `online`,
//! `offline` and `visibilitychange` — coalesced into one wake-up signal. The task
//! reads the current facts (`navigator.onLine`, `document.visibilityState`) when
//! woken, so a lost or merged signal loses nothing.

use std::task::{Context, Poll};

use futures_channel::mpsc;
use futures_util::StreamExt;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Event, EventTarget, VisibilityState};

/// One installed listener: its target, event name and callback.
type Listener = (EventTarget, &'static str, Closure<dyn FnMut(Event)>);

/// Listeners on the window and document; removed when dropped. Outside a window
/// (a worker) nothing is installed and the page counts as online and visible.
pub(crate) struct BrowserSignals {
    rx: mpsc::Receiver<()>,
    listeners: Vec<Listener>,
}

impl BrowserSignals {
    /// Installs the listeners.
    pub(crate) fn install() -> BrowserSignals {
        // One pending signal is enough: the task re-reads the facts.
        let (tx, rx) = mpsc::channel(0);
        let mut listeners = Vec::new();
        let mut add = |target: EventTarget, name: &'static str| {
            let mut tx = tx.clone();
            let cb = Closure::<dyn FnMut(Event)>::new(move |_: Event| {
                let _ = tx.try_send(());
            });
            if target
                .add_event_listener_with_callback(name, cb.as_ref().unchecked_ref())
                .is_ok()
            {
                listeners.push((target, name, cb));
            }
        };
        if let Some(window) = web_sys::window() {
            if let Some(document) = window.document() {
                add(document.into(), "visibilitychange");
            }
            add(window.clone().into(), "online");
            add(window.into(), "offline");
        }
        BrowserSignals { rx, listeners }
    }

    /// Whether something changed since the last call.
    pub(crate) fn poll_signal(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        match self.rx.poll_next_unpin(cx) {
            Poll::Ready(Some(())) => Poll::Ready(()),
            // The senders live in the listeners, which live as long as `self`.
            _ => Poll::Pending,
        }
    }

    /// `navigator.onLine` (true outside a window).
    pub(crate) fn online() -> bool {
        web_sys::window().is_none_or(|w| w.navigator().on_line())
    }

    /// Whether the page is visible (true outside a window).
    pub(crate) fn visible() -> bool {
        web_sys::window()
            .and_then(|w| w.document())
            .is_none_or(|d| d.visibility_state() == VisibilityState::Visible)
    }
}

impl Drop for BrowserSignals {
    fn drop(&mut self) {
        for (target, name, cb) in self.listeners.drain(..) {
            let _ = target.remove_event_listener_with_callback(name, cb.as_ref().unchecked_ref());
        }
    }
}
