//! Where the browser tests find the hub of scripts/browser-test, written once. The
//! URLs are baked in at compile time (the browser sees no environment). Included by
//! path by the integration tests (`tests/*.rs`); each uses part of it.
#![allow(dead_code)]

/// The hub.
pub const URL: &str = match option_env!("SYNCWIRE_TEST_URL") {
    Some(u) => u,
    None => "ws://127.0.0.1:18731/sync",
};

/// The test controller that stops and starts the hub.
pub const CONTROL: &str = match option_env!("SYNCWIRE_TEST_CONTROL") {
    Some(u) => u,
    None => "http://127.0.0.1:18732",
};

/// Nothing listens here: every connection attempt fails.
pub const DOWN: &str = "ws://127.0.0.1:18739/sync";
