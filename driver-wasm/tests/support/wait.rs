//! Waiting in browser tests, written once: a timer pause and a bounded poll of a
//! condition. Included by path by the integration tests (`tests/*.rs`) and by the
//! crate's own browser tests (`src/tests/`); each uses part of it.
#![allow(dead_code)]

/// Resolves after `ms` milliseconds (the browser's `setTimeout`).
pub async fn pause(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        let w = web_sys::window().expect("window");
        w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .expect("setTimeout");
    });
    wasm_bindgen_futures::JsFuture::from(p)
        .await
        .expect("timer");
}

/// Polls `cond` every 20 ms until it holds; panics with `what` after `secs`.
pub async fn wait_until(what: &str, secs: f64, mut cond: impl FnMut() -> bool) {
    let start = js_sys::Date::now();
    while !cond() {
        assert!(
            js_sys::Date::now() - start < secs * 1000.0,
            "timed out waiting for {what}"
        );
        pause(20).await;
    }
}
