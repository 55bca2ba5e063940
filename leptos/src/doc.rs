//! Documents as signals: [`use_sync_doc`] joins a room and returns a [`SyncDoc`],
//! whose read signal a task keeps equal to the document after every local or
//! remote change, for as long as the component that called it lives.

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::future::{AbortHandle, Abortable};
use leptos::prelude::*;
use syncwire_wasm::proto::crdt::DeltaCrdt;
use syncwire_wasm::{Applied, Doc, DriverError};

use crate::context::use_sync_client;

/// A joined room's document of CRDT type `C`: a read signal of its state and the
/// operations on it. A cheap `Copy` handle, valid while the component that called
/// [`use_sync_doc`] lives.
#[derive(Debug)]
pub struct SyncDoc<C: Send + Sync + 'static> {
    doc: StoredValue<Doc<C>, LocalStorage>,
    state: ReadSignal<C>,
}

impl<C: Send + Sync + 'static> Clone for SyncDoc<C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C: Send + Sync + 'static> Copy for SyncDoc<C> {}

impl<C> SyncDoc<C>
where
    C: DeltaCrdt + Send + Sync + 'static,
    C::Op: Send + 'static,
{
    /// The document, as a signal: a copy of the CRDT state, replaced after every
    /// change (read it with `.with(|c| ...)` to avoid cloning it again).
    pub fn doc(&self) -> ReadSignal<C> {
        self.state
    }

    /// Applies a local operation: the document changes at once (the signal on the
    /// next tick), the change is queued for the hub and sent when connected. See
    /// [`Doc::apply`] for [`Applied::Waiting`] and the outbox limit.
    pub fn apply(&self, op: C::Op) -> Result<Applied, DriverError> {
        self.doc
            .try_with_value(|d| d.apply(op))
            .unwrap_or(Err(DriverError::Closed))
    }

    /// Sets this session's presence state in the room (peers see it in their
    /// [`use_presence`](crate::use_presence) signal; never logged).
    pub fn set_presence(&self, state: impl Into<Bytes>) -> Result<(), DriverError> {
        let state = state.into();
        self.doc
            .try_with_value(|d| d.set_presence(state))
            .unwrap_or(Err(DriverError::Closed))
    }

    /// The room's name.
    pub fn room(&self) -> Option<String> {
        self.doc.try_with_value(|d| d.room().as_str().to_owned())
    }
}

/// Joins `room` as a document of type `C` through the client provided above (or
/// attaches to it when already joined, e.g. by another component or restored from
/// storage). The signal starts from the current state (empty for a new room, the
/// saved one for a restored room) and follows every change until the calling
/// component is disposed. The room stays joined after that (other handles may use
/// it); it is left when the client closes.
///
/// Fails when the client is closed or the room is already joined with another
/// CRDT type.
///
/// # Panics
/// When no client was provided ([`provide_sync_client`](crate::provide_sync_client)).
pub fn use_sync_doc<C>(room: &str) -> Result<SyncDoc<C>, DriverError>
where
    C: DeltaCrdt + Send + Sync + 'static,
    C::Op: Send + 'static,
{
    let doc = use_sync_client()
        .with_client(|client| client.join::<C>(room))
        .unwrap_or(Err(DriverError::Closed))?;
    let mut changes = doc.changes();
    let (state, set_state) = signal(doc.state()?);
    let (abort, registration) = AbortHandle::new_pair();
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
    on_cleanup(move || abort.abort());
    Ok(SyncDoc {
        doc: StoredValue::new_local(doc),
        state,
    })
}
