//! Saving and restoring a whole replica: the client's durable state
//! ([`PersistedState`]: rooms, positions, outbox) together with each room's encoded
//! document, so a restarted application (a reloaded browser tab) keeps its local
//! changes and resumes every room instead of downloading it again. This part owns
//! the saved form, [`SavedSession`].
//!
//! Both parts must be saved together (one [`SavedSession`]): a position is only
//! meaningful with the document state that already includes the deltas before it.
//! The replica id is saved with them: sequence numbers and CRDT entries belong to
//! it, so a restored replica keeps it.

use crate::vecmap::VecMap;

use crate::client::{Client, ClientConfig, PersistedState};
use crate::crdt::{DeltaCrdt, Document, DynDocument, Registry};
use crate::time::Instant;
use crate::wire::{ReplicaId, RoomId};

use super::documents::Documents;
use super::gate::Gates;
use super::{Replica, ReplicaError, ReplicaOrigin};

/// Everything a replica needs to continue after a restart.
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

/// The state to save; a document that cannot be encoded is left out (it is
/// rebuilt from the hub).
pub(super) fn export(r: &Replica) -> SavedSession {
    let docs = r
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
        replica: Some(r.client.replica()),
        client: r.client.export_state(),
        docs,
    }
}

/// A disconnected replica continuing `saved`; see [`Replica::restore`].
pub(super) fn restore(
    config: ClientConfig,
    now: Instant,
    saved: SavedSession,
    registry: &Registry,
) -> Result<Replica, ReplicaError> {
    let client = Client::new(config.clone(), now)?;
    let replica = client.replica();
    if let Some(theirs) = saved.replica.filter(|&id| id != replica) {
        return Err(ReplicaError::WrongReplica {
            saved: theirs,
            configured: replica,
        });
    }
    let mut states: VecMap<RoomId, Vec<u8>> = VecMap::new();
    for d in saved.docs {
        states.insert(d.room, d.state);
    }
    let mut docs: VecMap<RoomId, Box<dyn DynDocument>> = VecMap::new();
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
    let client = Client::restore(config, now, saved.client)?;
    let mut gates = Gates::default();
    for room in docs.keys() {
        // A restored document holds the replica's own entries up to its position.
        gates.add(room.clone(), true);
    }
    let mut r = Replica::from_parts(client, ReplicaOrigin::Chosen, now);
    r.docs = Documents::restored(docs);
    r.gates = gates;
    Ok(r)
}

/// Gives a restored room's document the caller's type `C`.
pub(super) fn attach<C: DeltaCrdt>(r: &mut Replica, room: &RoomId) -> Result<(), ReplicaError> {
    let replica = r.client.replica();
    let doc = r
        .docs
        .get_mut(room)
        .ok_or_else(|| ReplicaError::Client(crate::client::ClientError::NotJoined(room.clone())))?;
    if doc.tag() != C::TAG {
        return Err(ReplicaError::TypeMismatch {
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
    r.docs.attached(room);
    Ok(())
}

/// Attaches to a restored room of type tag `tag`: `Ok(false)` if `room` is not a
/// restored room waiting for the application.
pub(super) fn attach_tag(
    r: &mut Replica,
    room: &RoomId,
    tag: &str,
    registry: &Registry,
) -> Result<bool, ReplicaError> {
    let Some(doc) = r.docs.get(room).filter(|_| r.docs.is_restored(room)) else {
        return Ok(false);
    };
    if doc.tag() != tag {
        return Err(ReplicaError::TypeMismatch {
            room: room.clone(),
            actual: doc.tag(),
            requested: registry.new_document(tag, r.client.replica())?.tag(),
        });
    }
    r.docs.attached(room);
    Ok(true)
}
