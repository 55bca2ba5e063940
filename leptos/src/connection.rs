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
            Some(code) => format!("connection closed ({code:?}): {}", t.reason),
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
