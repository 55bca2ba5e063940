//! Tokens that change: a [`TokenSource`] the application gives a native client
//! ([`SyncClient::connect_with_tokens`](crate::SyncClient::connect_with_tokens)) is
//! asked for the token before each connection attempt — the first and every
//! reconnect — so a session whose token expired reconnects with a fresh one. The
//! browser driver takes an async `getToken` from JavaScript instead (its task awaits
//! it); both end in [`Session::set_token`].

use std::sync::Arc;

use crate::Session;
use crate::error::DriverError;

/// Returns the token for the next connection attempt: `Some` replaces the current
/// token, `None` keeps it. Called on the client's I/O task just before it connects:
/// it must return quickly (read a cache that the application refreshes, don't block
/// on the network).
pub type TokenSource = Arc<dyn Fn() -> Option<String> + Send + Sync>;

impl Session {
    /// Replaces the token the next `Hello` carries. Refused (the current token
    /// kept) if it is longer than the protocol allows.
    pub fn set_token(&mut self, token: Option<String>) -> Result<(), DriverError> {
        self.replica_mut()
            .set_token(token)
            .map_err(|e| DriverError::Config(e.to_string()))
    }

    /// Sets the source asked before each connection attempt.
    pub fn set_token_source(&mut self, source: Option<TokenSource>) {
        self.token_source = source;
    }

    /// Asks the [`TokenSource`], if any, and uses what it returns (a token it
    /// returns that is refused, e.g. too long, leaves the current one in place).
    pub fn refresh_token(&mut self) {
        let fresh = self.token_source.as_ref().and_then(|source| source());
        if let Some(token) = fresh {
            let _ = self.set_token(Some(token));
        }
    }
}
