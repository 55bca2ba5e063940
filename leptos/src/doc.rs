//! Documents as signals: [`use_sync_doc`] joins a room and returns a [`SyncDoc`],
//! whose read signal a task keeps equal to the document after every local or
//! remote change, for as long as the component that called it lives. With a
//! client that is still opening ([`provide_persistent_sync_client`](crate::provide_persistent_sync_client))
//! the room is joined once it is open, and operations applied before wait for it.

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::future::{AbortHandle, Abortable};
use leptos::prelude::*;
use syncwire_wasm::proto::crdt::DeltaCrdt;
use syncwire_wasm::proto::replica::ReplicaError;
use syncwire_wasm::{Applied, Doc, DriverError};

use crate::context::use_sync_client;

/// A joined room's document of CRDT type `C`: a read signal of its state and the
/// operations on it. A cheap `Copy` handle, valid while the component that called
/// [`use_sync_doc`] lives.
#[derive(Debug)]
pub struct SyncDoc<C: DeltaCrdt> {
    /// The room's handle; `Err` while the client opens (what waits for it) or if
    /// the deferred join failed.
    doc: StoredValue<Result<Doc<C>, Opening<C>>, LocalStorage>,
    state: ReadSignal<C>,
}

/// What a [`SyncDoc`] holds before its room is joined.
#[derive(Debug)]
enum Opening<C: DeltaCrdt> {
    /// The client is opening: the room's name, operations and presence to apply
    /// once it is joined (at most `limit` operations).
    Waiting {
        room: String,
        ops: Vec<C::Op>,
        presence: Option<Bytes>,
        limit: usize,
    },
    /// The join failed when the client opened (the error, as text).
    Failed(String),
}

impl<C: DeltaCrdt> Clone for SyncDoc<C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C: DeltaCrdt> Copy for SyncDoc<C> {}

impl<C> SyncDoc<C>
where
    C: DeltaCrdt,
    C::Op: Send + 'static,
{
    /// The document, as a signal: a copy of the CRDT state, replaced after every
    /// change (read it with `.with(|c| ...)` to avoid cloning it again).
    pub fn doc(&self) -> ReadSignal<C> {
        self.state
    }

    /// Applies a local operation: the document changes at once (the signal on the
    /// next tick), the change is queued for the hub and sent when connected. See
    /// [`Doc::apply`] for [`Applied::Waiting`] and the outbox limit. While a
    /// persistent client is still opening the operation waits
    /// ([`Applied::Waiting`]; at most `outbox_max_deltas` of them) and is applied
    /// once the room is joined.
    pub fn apply(&self, op: C::Op) -> Result<Applied, DriverError> {
        self.doc
            .try_update_value(|d| match d {
                Ok(doc) => doc.apply(op),
                Err(Opening::Waiting { ops, limit, .. }) if ops.len() >= *limit => {
                    let max = *limit;
                    Err(ReplicaError::TooManyWaiting { max }.into())
                }
                Err(Opening::Waiting { ops, .. }) => {
                    ops.push(op);
                    Ok(Applied::Waiting)
                }
                Err(Opening::Failed(e)) => Err(failed(e)),
            })
            .unwrap_or(Err(DriverError::Closed))
    }

    /// Sets this session's presence state in the room (peers see it in their
    /// [`use_presence`](crate::use_presence) signal; never logged). Set once the
    /// room is joined if the client is still opening.
    pub fn set_presence(&self, state: impl Into<Bytes>) -> Result<(), DriverError> {
        let state = state.into();
        self.doc
            .try_update_value(|d| match d {
                Ok(doc) => doc.set_presence(state),
                Err(Opening::Waiting { presence, .. }) => {
                    *presence = Some(state);
                    Ok(())
                }
                Err(Opening::Failed(e)) => Err(failed(e)),
            })
            .unwrap_or(Err(DriverError::Closed))
    }

    /// The room's name.
    pub fn room(&self) -> Option<String> {
        self.doc.try_with_value(|d| match d {
            Ok(doc) => Some(doc.room().as_str().to_owned()),
            Err(Opening::Waiting { room, .. }) => Some(room.clone()),
            Err(Opening::Failed(_)) => None,
        })?
    }
}

/// The error of an operation on a room whose join failed when the client opened.
fn failed(error: &str) -> DriverError {
    DriverError::Config(format!("the room could not be joined: {error}"))
}

/// Joins `room` as a document of type `C` through the client provided above (or
/// attaches to it when already joined, e.g. by another component or restored from
/// storage). The signal starts from the current state (empty for a new room, the
/// saved one for a restored room) and follows every change until the calling
/// component is disposed. The room stays joined after that (other handles may use
/// it); it is left when the client closes.
///
/// Fails when the client is closed or the room is already joined with another
/// CRDT type. With a client that is still opening
/// ([`provide_persistent_sync_client`](crate::provide_persistent_sync_client)), the
/// signal holds the empty document until the room is joined (from the restored
/// session, so the saved document shows before any connection); a join that fails
/// then is logged to the console and returned by [`SyncDoc::apply`].
///
/// # Panics
/// When no client was provided ([`provide_sync_client`](crate::provide_sync_client)).
pub fn use_sync_doc<C>(room: &str) -> Result<SyncDoc<C>, DriverError>
where
    C: DeltaCrdt,
    C::Op: Send + 'static,
{
    let ctx = use_sync_client();
    let joined = ctx.with_client(|client| client.join::<C>(room));
    let (state, set_state) = signal(C::default());
    let (abort, registration) = AbortHandle::new_pair();
    on_cleanup(move || abort.abort());
    let follow = move |doc: &Doc<C>| -> Result<(), DriverError> {
        set_state.try_set(doc.state()?);
        let mut changes = doc.changes();
        let watched = doc.clone();
        let follow = async move {
            while changes.next().await.is_some() {
                let Ok(now) = watched.state() else { break };
                if set_state.try_set(now).is_some() {
                    break;
                }
            }
        };
        wasm_bindgen_futures::spawn_local(async move {
            let _ = Abortable::new(follow, registration).await;
        });
        Ok(())
    };
    if let Some(joined) = joined {
        let doc = joined?;
        follow(&doc)?;
        return Ok(SyncDoc {
            doc: StoredValue::new_local(Ok(doc)),
            state,
        });
    }
    let limit = ctx.waiting_limit();
    let slot = StoredValue::new_local(Err(Opening::Waiting {
        room: room.to_owned(),
        ops: Vec::new(),
        presence: None,
        limit,
    }));
    let room = room.to_owned();
    ctx.when_open(move |client| {
        let joined = client.join::<C>(&room).and_then(|doc| {
            follow(&doc)?;
            Ok(doc)
        });
        let Some(waiting) = slot.try_update_value(|d| {
            let now = match &joined {
                Ok(doc) => Ok(doc.clone()),
                Err(e) => Err(Opening::Failed(e.to_string())),
            };
            std::mem::replace(d, now)
        }) else {
            return; // the component is gone
        };
        let doc = match joined {
            Ok(doc) => doc,
            Err(e) => {
                leptos::logging::error!("syncwire: joining {room} failed: {e}");
                return;
            }
        };
        if let Err(Opening::Waiting { ops, presence, .. }) = waiting {
            for op in ops {
                if let Err(e) = doc.apply(op) {
                    leptos::logging::error!("syncwire: an operation on {room} refused: {e}");
                }
            }
            if let Some(p) = presence {
                let _ = doc.set_presence(p);
            }
        }
    });
    Ok(SyncDoc { doc: slot, state })
}
