//! [`Sleep`]: a `setTimeout` future that clears its timer when dropped.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_channel::oneshot;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &js_sys::Function, ms: i32) -> i32;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: i32);
}

/// Resolves after a delay. Dropping it cancels the browser timer.
pub(crate) struct Sleep {
    id: i32,
    rx: oneshot::Receiver<()>,
    _callback: Closure<dyn FnMut()>,
}

impl Sleep {
    /// Sleeps for `ms` milliseconds (0 fires on the next timer turn).
    pub(crate) fn new(ms: f64) -> Sleep {
        let (tx, rx) = oneshot::channel();
        let mut tx = Some(tx);
        let callback = Closure::<dyn FnMut()>::new(move || {
            if let Some(tx) = tx.take() {
                let _ = tx.send(());
            }
        });
        let delay = ms.clamp(0.0, f64::from(i32::MAX)) as i32;
        let id = set_timeout(callback.as_ref().unchecked_ref(), delay);
        Sleep {
            id,
            rx,
            _callback: callback,
        }
    }
}

impl Future for Sleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match Pin::new(&mut self.rx).poll(cx) {
            Poll::Ready(_) => Poll::Ready(()),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        clear_timeout(self.id);
    }
}
