//! [`ServerError`]: why a server could not start (its settings, the socket, storage,
//! TLS) or stopped with an error.

use syncwire_proto::hub::ConfigError;
use thiserror::Error;

/// Why the server could not start or stopped with an error.
#[derive(Debug, Error)]
pub enum ServerError {
    /// The hub configuration does not validate.
    #[error(transparent)]
    HubConfig(#[from] ConfigError),
    /// A server setting is unusable.
    #[error("invalid server config: {0}")]
    Config(String),
    /// A setting asks for something not supported yet; `reason` says why, and what
    /// to set instead.
    #[error("setting `{setting}` is not supported yet: {reason}")]
    Unsupported {
        /// The setting, as the library names it (for [`Storage::Redis`]'s
        /// `wait_replicas`: `"wait_replicas"`).
        ///
        /// [`Storage::Redis`]: crate::server::Storage::Redis
        setting: &'static str,
        /// Why, and what to set instead.
        reason: String,
    },
    /// Binding or serving the socket failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// The storage backend could not be opened.
    #[error("storage error: {0}")]
    Storage(String),
    /// The TLS certificate chain or private key could not be read or used.
    #[error("TLS setup failed: {0}")]
    Tls(String),
}
