//! Fixtures of the browser tests, written once: a client configuration that
//! reconnects fast, and names no earlier run used. Included by path by the
//! integration tests of `syncwire-wasm` and `syncwire-leptos`; each uses part of it.
#![allow(dead_code)]

use std::time::Duration;

use syncwire_wasm::ClientConfig;

/// The default configuration with a 100–300 ms reconnect backoff.
pub fn config() -> ClientConfig {
    ClientConfig {
        backoff_base: Duration::from_millis(100),
        backoff_cap: Duration::from_millis(300),
        ..ClientConfig::default()
    }
}

/// `prefix` and a random number: a room or storage key no earlier run used.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", (js_sys::Math::random() * 1e12) as u64)
}
