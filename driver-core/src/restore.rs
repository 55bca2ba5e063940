//! Saving and restoring a whole session: [`SavedSession`] (the client's durable
//! state with each room's encoded document, see [`syncwire_proto::replica`]) taken
//! from and given back to the session's replica. What this half adds is the
//! replica id: a configuration without one takes the saved id, and saved state
//! without rooms or id starts a new session.

use std::sync::Arc;

use syncwire_proto::client::ClientConfig;
use syncwire_proto::crdt::Registry;
use syncwire_proto::replica::{Replica, SavedSession};

use crate::clock::Clock;
use crate::error::DriverError;
use crate::fresh::resolve;
use crate::session::{Session, SharedSession, WakeReceiver};

impl Session {
    /// The state to save: call it whenever [`Session::change_count`] moved. A
    /// document that cannot be encoded is left out (it is rebuilt from the hub).
    pub fn export(&self) -> SavedSession {
        self.replica().export()
    }

    /// A disconnected session continuing `saved`
    /// ([`Replica::restore`]): its rooms stay joined (resuming from their positions
    /// once connected), its documents hold their saved state plus every
    /// unacknowledged local delta, and those deltas are sent again. Documents are
    /// rebuilt by type tag from `registry`; the application attaches to a restored
    /// room with [`Session::join`]. The session speaks for the saved replica:
    /// `config.replica` must be `None` (take the saved one) or the same id.
    /// Restored rooms take local operations at once; rooms joined later wait until
    /// they caught up (the replica may have written to them before).
    pub fn restore(
        mut config: ClientConfig,
        clock: Arc<dyn Clock>,
        saved: SavedSession,
        registry: &Registry,
    ) -> Result<(SharedSession, WakeReceiver), DriverError> {
        let replica = match (config.replica, saved.replica) {
            (Some(id), _) | (None, Some(id)) => id,
            (None, None) if saved.client.rooms.is_empty() => {
                // Nothing to continue: a new session.
                return Session::new(config, clock);
            }
            (None, None) => {
                return Err(DriverError::Config(
                    "saved state without replica id needs ClientConfig::new(id)".into(),
                ));
            }
        };
        config.replica = Some(replica);
        let (config, _) = resolve(config)?;
        let replica = Replica::restore(config, clock.now(), saved, registry)?;
        Ok(Session::wrap(replica, clock))
    }
}

#[cfg(test)]
#[path = "tests/restore.rs"]
mod tests;
