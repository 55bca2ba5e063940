//! Saving and restoring a whole session: the proto client's durable state
//! ([`PersistedState`]: rooms, positions, outbox) together with each room's encoded
//! document, so a restarted application (a reloaded browser tab) keeps its local
//! changes and resumes every room instead of downloading it again.
//!
//! Both parts must be saved together (one [`SavedSession`]): a position is only
//! meaningful with the document state that already includes the deltas before it.
//! The replica id is saved with them: sequence numbers and CRDT entries belong to
//! it, so a restored session keeps it (a configuration without a replica id takes
//! the saved one).

use std::collections::HashMap;
use std::sync::Arc;

use syncwire_proto::client::{Client, ClientConfig, PersistedState};
use syncwire_proto::crdt::{DeltaCrdt, Document, DynDocument, Registry};
use syncwire_proto::wire::{ReplicaId, RoomId};

use crate::clock::Clock;
use crate::error::DriverError;
use crate::fresh::{ReplicaOrigin, resolve};
use crate::session::{Session, SharedSession, WakeReceiver};

/// Everything a session needs to continue after a restart.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SavedSession {
    /// The replica the state belongs to; `None` only for state saved without it
    /// (restoring it then needs a configuration with the replica id).
    pub replica: Option<ReplicaId>,
    /// The client's rooms, positions and unacknowledged deltas.
    pub client: PersistedState,
    /// The encoded state of each room's document.
    pub docs: Vec<SavedDoc>,
}

/// One room's encoded document state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedDoc {
    /// The room.
    pub room: RoomId,
    /// The document state ([`DynDocument::encode_state`]).
    pub state: Vec<u8>,
}

impl Session {
    /// The state to save: call it whenever [`Session::change_count`] moved. A
    /// document that cannot be encoded is left out (it is rebuilt from the hub).
    pub fn export(&self) -> SavedSession {
        let docs = self
            .docs
            .iter()
            .filter_map(|(room, doc)| {
                let state = doc.encode_state().ok()?;
                Some(SavedDoc {
                    room: room.clone(),
                    state,
                })
            })
            .collect();
        SavedSession {
            replica: Some(self.client.replica()),
            client: self.client.export_state(),
            docs,
        }
    }

    /// A disconnected session continuing `saved`: its rooms stay joined (resuming
    /// from their positions once connected), its documents hold their saved state
    /// plus every unacknowledged local delta, and those deltas are sent again.
    /// Documents are rebuilt by type tag from `registry`; the application attaches to
    /// a restored room with [`Session::join`]. The session speaks for the saved
    /// replica: `config.replica` must be `None` (take the saved one) or the same id.
    /// Restored rooms take local operations at once; rooms joined later wait until
    /// they caught up (the replica may have written to them before).
    pub fn restore(
        mut config: ClientConfig,
        clock: Arc<dyn Clock>,
        saved: SavedSession,
        registry: &Registry,
    ) -> Result<(SharedSession, WakeReceiver), DriverError> {
        let replica = match (config.replica, saved.replica) {
            (Some(mine), Some(theirs)) if mine != theirs => {
                return Err(DriverError::Config(format!(
                    "saved state belongs to replica {}, not {}",
                    theirs.0, mine.0
                )));
            }
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
        let mut states: HashMap<RoomId, Vec<u8>> =
            saved.docs.into_iter().map(|d| (d.room, d.state)).collect();
        let mut docs: HashMap<RoomId, Box<dyn DynDocument>> = HashMap::new();
        for room in &saved.client.rooms {
            let mut doc = registry.new_document(&room.crdt, replica)?;
            if let Some(state) = states.remove(&room.room) {
                doc.reset_to_snapshot(Some(&state))?;
            }
            // Merging is idempotent: deltas the saved state already holds change nothing.
            for d in &room.outbox {
                doc.apply_remote(&d.payload)?;
            }
            doc.take_changed();
            docs.insert(room.room.clone(), doc);
        }
        let client = Client::restore(config, clock.now(), saved.client)
            .map_err(|e| DriverError::Config(e.to_string()))?;
        Ok(Session::wrap(client, ReplicaOrigin::Chosen, docs, clock))
    }

    /// Gives a restored room's document the caller's type `C`.
    pub(crate) fn attach<C: DeltaCrdt>(&mut self, room: &RoomId) -> Result<(), DriverError> {
        let replica = self.client.replica();
        let doc = self
            .docs
            .get_mut(room)
            .ok_or_else(|| DriverError::Config(format!("restored room {room} has no document")))?;
        if doc.tag() != C::TAG {
            return Err(DriverError::TypeMismatch {
                room: room.clone(),
                actual: doc.tag(),
                requested: C::TAG,
            });
        }
        if doc.downcast_ref::<C>().is_none() {
            // Another Rust type with the same wire tag (e.g. a set of strings).
            let mut typed = Document::<C>::new(replica);
            typed.reset_to_snapshot(Some(&doc.encode_state()?))?;
            *doc = Box::new(typed);
        }
        self.restored.remove(room);
        Ok(())
    }
}

#[cfg(test)]
#[path = "tests/restore.rs"]
mod tests;
