//! The authorization settings of [`ServerConfig`]: the authorizer, how long a
//! deferred decision may take, the origin allow-list, and the token `/metrics`
//! requires.

use std::sync::Arc;
use std::time::Duration;

use syncwire_proto::hub::Authorizer;

use super::ServerConfig;
use crate::server::auth::{Inline, ServerAuthorizer};

impl ServerConfig {
    /// Decides who may connect and what each identity may do per room (default: a
    /// proto `AllowAll`, everyone may do everything).
    pub fn authorizer(&self) -> &Arc<dyn ServerAuthorizer> {
        &self.authorizer
    }

    /// Sets [`authorizer`](Self::authorizer) to a proto [`Authorizer`] (decides
    /// inline from the `Hello`: tokens, JWT).
    pub fn set_authorizer(&mut self, authorizer: Arc<dyn Authorizer>) -> &mut Self {
        self.authorizer = Arc::new(Inline(authorizer));
        self
    }

    /// Sets [`authorizer`](Self::authorizer) to one that also sees the upgrade
    /// request and may answer later.
    pub fn set_server_authorizer(&mut self, authorizer: Arc<dyn ServerAuthorizer>) -> &mut Self {
        self.authorizer = authorizer;
        self
    }

    /// How long a deferred authorization may take (default 5 s): past it the session
    /// is refused `Reject internal` and closed 1011 (docs/PROTOCOL.md §4). The hub's
    /// `handshake_timeout` (4012) still bounds the whole handshake; keep this shorter.
    pub fn auth_timeout(&self) -> Duration {
        self.auth_timeout
    }

    /// Sets [`auth_timeout`](Self::auth_timeout).
    pub fn set_auth_timeout(&mut self, auth_timeout: Duration) -> &mut Self {
        self.auth_timeout = auth_timeout;
        self
    }

    /// Browser origins allowed to open a WebSocket (default empty: any). With a
    /// list, an upgrade whose `Origin` header is not on it gets HTTP 403 and no
    /// WebSocket; an upgrade without `Origin` (native clients) is allowed.
    /// Entries are like `https://app.example` (scheme, host, port if not default).
    pub fn allowed_origins(&self) -> &[String] {
        &self.allowed_origins
    }

    /// Sets [`allowed_origins`](Self::allowed_origins).
    pub fn set_allowed_origins(&mut self, origins: Vec<String>) -> &mut Self {
        self.allowed_origins = origins;
        self
    }

    /// Whether an upgrade with this `Origin` header may proceed.
    pub fn origin_allowed(&self, origin: Option<&str>) -> bool {
        crate::server::auth::origin_allowed(&self.allowed_origins, origin)
    }

    /// Bearer token `/metrics` requires (`Authorization: Bearer TOKEN`; a request
    /// without it gets 401), wherever it is served. Default `None`: no token. Only the
    /// tokio server serves `/metrics`; the async-std server refuses a config with it.
    pub fn metrics_token(&self) -> Option<&str> {
        self.metrics_token.as_deref()
    }

    /// Sets [`metrics_token`](Self::metrics_token).
    pub fn set_metrics_token(&mut self, metrics_token: Option<String>) -> &mut Self {
        self.metrics_token = metrics_token;
        self
    }
}
