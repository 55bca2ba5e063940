//! [`BrowserClock`]: `performance.now()` as monotonic time, `Date.now()` as wall-clock time.

use js_sys::{Date, Reflect};
use syncwire_driver_core::Clock;
use syncwire_proto::Instant;
use syncwire_proto::time::WallClockMillis;
use wasm_bindgen::{JsCast, JsValue};

/// The browser's clocks. Works in windows and workers (it reads `performance` from
/// the global object); falls back to `Date.now()` where `performance` is missing.
#[derive(Clone, Copy, Debug, Default)]
pub struct BrowserClock;

impl BrowserClock {
    /// Milliseconds from `performance.now()` (or `Date.now()`).
    pub fn now_ms() -> f64 {
        let global = js_sys::global();
        let perf = Reflect::get(&global, &JsValue::from_str("performance")).ok();
        match perf.and_then(|p| p.dyn_into::<web_sys::Performance>().ok()) {
            Some(p) => p.now(),
            None => Date::now(),
        }
    }
}

impl Clock for BrowserClock {
    fn now(&self) -> Instant {
        // `as` saturates for f64 → u64 (NaN and negatives become 0).
        Instant::from_micros((BrowserClock::now_ms() * 1000.0) as u64)
    }

    fn wall_ms(&self) -> WallClockMillis {
        Date::now() as u64
    }
}
