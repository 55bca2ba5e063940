//! The connection state as the UI shows it: [`ConnectionState`] and the last
//! error ([`Connection`]), derived from the session's lifecycle events and the
//! browser's online status; [`use_connection`] hands out its signal.

use leptos::prelude::*;
use syncwire_wasm::proto::client::{ClientState, DisconnectReason};

use crate::context::use_sync_client;

/// Where the session is, in the four states a UI shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectionState {
    /// The first connection attempt is under way.
    Connecting,
    /// Connected to the hub: local changes are sent as they happen.
    Connected,
    /// Not trying: the browser is offline (the client retries when it comes back),
    /// or the session stopped for good (closed, or a fatal refusal such as
    /// another tab taking over the replica id; see [`Connection::last_error`]).
    Offline,
    /// A connection was lost or an attempt failed: retrying with backoff. Local
    /// changes are kept in the outbox meanwhile.
    Reconnecting,
}

/// The connection state and the last error seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    /// The state.
    pub state: ConnectionState,
    /// Why the last connection (or attempt) ended, or the last session fault, if
    /// any. Kept after a successful reconnect, until the next error replaces it.
    pub last_error: Option<String>,
}

/// A signal of the connection state of the client provided above.
///
/// # Panics
/// When no client was provided ([`provide_sync_client`](crate::provide_sync_client)).
pub fn use_connection() -> ReadSignal<Connection> {
    use_sync_client().connection()
}

/// Follows the lifecycle events and computes the [`Connection`].
#[derive(Debug)]
pub(crate) struct Tracker {
    state: ClientState,
    /// Whether a connection (or attempt) has ended before: later attempts are
    /// reconnects.
    ended_before: bool,
    last_error: Option<String>,
}

impl Tracker {
    pub(crate) fn new(state: ClientState) -> Tracker {
        Tracker {
            state,
            ended_before: false,
            last_error: None,
        }
    }

    /// A state change reported by the session.
    pub(crate) fn changed(&mut self, to: ClientState, reason: Option<&DisconnectReason>) {
        if self.state.has_transport() && !to.has_transport() {
            self.ended_before = true;
        }
        if let Some(reason) = reason.and_then(describe) {
            self.last_error = Some(reason);
        }
        self.state = to;
    }

    /// A fault the session handled by itself.
    pub(crate) fn error(&mut self, error: String) {
        self.last_error = Some(error);
    }

    /// The connection as the UI shows it, given the browser's online status.
    pub(crate) fn connection(&self, online: bool) -> Connection {
        let state = match self.state {
            ClientState::Connected => ConnectionState::Connected,
            ClientState::Closed | ClientState::Failed => ConnectionState::Offline,
            _ if !online => ConnectionState::Offline,
            ClientState::Backoff => ConnectionState::Reconnecting,
            _ if self.ended_before => ConnectionState::Reconnecting,
            _ => ConnectionState::Connecting,
        };
        Connection {
            state,
            last_error: self.last_error.clone(),
        }
    }
}

/// The text shown for why a connection ended (`None` when the app closed it).
fn describe(reason: &DisconnectReason) -> Option<String> {
    Some(match reason {
        DisconnectReason::ClosedByApp => return None,
        DisconnectReason::Transport(t) => match t.code {
            Some(code) => format!("connection closed ({code}): {}", t.reason),
            None => format!("connection failed: {}", t.reason),
        },
        DisconnectReason::Fault(e) => e.to_string(),
        DisconnectReason::Replaced => "another session took over this replica id".into(),
        DisconnectReason::ReplicaForbidden => "the hub refused this replica id".into(),
        DisconnectReason::MaxAttemptsReached { attempts } => {
            format!("gave up after {attempts} attempts")
        }
    })
}

/// Whether the browser says it is online (`navigator.onLine`; true if unknown).
pub(crate) fn browser_online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}

#[cfg(test)]
mod tests {
    use super::*;
    use syncwire_wasm::proto::client::TransportClosed;
    use wasm_bindgen_test::wasm_bindgen_test;

    wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

    fn lost() -> DisconnectReason {
        DisconnectReason::Transport(TransportClosed {
            code: None,
            reason: "refused".into(),
            tls: None,
        })
    }

    fn state(t: &Tracker, online: bool) -> ConnectionState {
        t.connection(online).state
    }

    #[wasm_bindgen_test]
    fn first_attempt_connects_then_a_loss_reconnects_with_the_error_kept() {
        let mut t = Tracker::new(ClientState::Connecting);
        assert_eq!(state(&t, true), ConnectionState::Connecting);
        t.changed(ClientState::Handshaking, None);
        t.changed(ClientState::Connected, None);
        assert_eq!(t.connection(true).last_error, None);
        t.changed(ClientState::Backoff, Some(&lost()));
        let c = t.connection(true);
        assert_eq!(c.state, ConnectionState::Reconnecting);
        assert_eq!(c.last_error.as_deref(), Some("connection failed: refused"));
        // The next attempt is a reconnect, not a first connect.
        t.changed(ClientState::Connecting, None);
        assert_eq!(state(&t, true), ConnectionState::Reconnecting);
        t.changed(ClientState::Connected, None);
        let c = t.connection(true);
        assert_eq!(c.state, ConnectionState::Connected);
        assert!(c.last_error.is_some(), "kept after reconnecting");
    }

    #[wasm_bindgen_test]
    fn a_failed_first_attempt_is_reconnecting() {
        let mut t = Tracker::new(ClientState::Connecting);
        t.changed(ClientState::Backoff, Some(&lost()));
        t.changed(ClientState::Connecting, None);
        assert_eq!(state(&t, true), ConnectionState::Reconnecting);
    }

    #[wasm_bindgen_test]
    fn offline_browser_and_stopped_sessions_are_offline() {
        let mut t = Tracker::new(ClientState::Backoff);
        assert_eq!(state(&t, false), ConnectionState::Offline);
        assert_eq!(state(&t, true), ConnectionState::Reconnecting);
        t.changed(ClientState::Failed, Some(&DisconnectReason::Replaced));
        assert_eq!(state(&t, true), ConnectionState::Offline);
        let error = t.connection(true).last_error.expect("the reason");
        assert!(error.contains("another session"), "{error}");
        // Closing on purpose is not an error.
        let mut t = Tracker::new(ClientState::Connected);
        t.changed(ClientState::Closed, Some(&DisconnectReason::ClosedByApp));
        assert_eq!(t.connection(true).last_error, None);
        assert_eq!(state(&t, true), ConnectionState::Offline);
    }
}
