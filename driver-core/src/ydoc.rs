//! Typed access to a `ydoc` room (feature `ydoc`): [`Doc<YDoc>`](crate::Doc) runs yrs
//! transactions whose changes become the delta ([`Doc::transact`]), and [`YText`] is a
//! plain-text view of one root text with insert, delete, read and a stream of the text
//! after each change, local or remote ([`YText::changes`]). This module owns no state:
//! the document lives in the session's replica like every other room's.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use syncwire_proto::crdt::{YDoc, YOp};
use yrs::TransactionMut;

use crate::Applied;
use crate::doc::{Changes, Doc};
use crate::error::DriverError;

impl Doc<YDoc> {
    /// Runs `f` in a yrs transaction on the room's current document (through
    /// `txn.get_or_insert_text`, `get_or_insert_map`, `get_or_insert_array`, ...) and
    /// sends what it changed as one Yjs update. `f` runs on a copy first, so an
    /// operation the session refuses changes nothing; if the room has not caught up
    /// yet it runs later, against the document as it is then ([`Doc::apply`]).
    pub fn transact(
        &self,
        f: impl Fn(&mut TransactionMut<'_>) + Send + Sync + 'static,
    ) -> Result<Applied, DriverError> {
        self.apply(YOp::transact(f))
    }

    /// Sends a Yjs v1 update made elsewhere (a browser editor's, another yrs
    /// document's) as this replica's change; checked as the hub checks payloads.
    pub fn apply_update(&self, update: Vec<u8>) -> Result<Applied, DriverError> {
        self.apply(YOp::Update(update))
    }

    /// The document's full state as one Yjs v1 update (what a Yjs peer applies to
    /// catch up).
    pub fn encode_state(&self) -> Result<Vec<u8>, DriverError> {
        use syncwire_proto::crdt::DeltaCrdt;
        self.read(|d| d.encode())?
            .map_err(|e| DriverError::Replica(e.into()))
    }

    /// A plain-text view of the root text type `name`.
    pub fn text(&self, name: &str) -> YText {
        YText {
            doc: self.clone(),
            name: name.to_owned(),
        }
    }
}

/// One root text type of a `ydoc` room, as plain text. Indices and lengths count
/// Unicode scalar values (`char`s).
#[derive(Clone, Debug)]
pub struct YText {
    doc: Doc<YDoc>,
    name: String,
}

impl YText {
    /// The current text.
    pub fn read(&self) -> Result<String, DriverError> {
        self.doc.read(|d| d.text(&self.name))
    }

    /// Inserts `chunk` at character `index`; past the end is an error
    /// ([`CrdtError::OutOfRange`](syncwire_proto::crdt::CrdtError::OutOfRange)) and
    /// changes nothing.
    pub fn insert(&self, index: usize, chunk: &str) -> Result<Applied, DriverError> {
        self.doc.apply(YOp::insert_text(&self.name, index, chunk))
    }

    /// Deletes `len` characters from character `index`.
    pub fn delete(&self, index: usize, len: usize) -> Result<Applied, DriverError> {
        self.doc.apply(YOp::delete_text(&self.name, index, len))
    }

    /// The text after each change of the document, local or remote (coalesced like
    /// [`Doc::changes`]: several changes between two polls yield the latest text once).
    pub fn changes(&self) -> TextChanges {
        TextChanges {
            text: self.clone(),
            changes: self.doc.changes(),
        }
    }
}

/// The text of a [`YText`] after each change; see [`YText::changes`]. Ends when the
/// session closes or the room is left.
#[derive(Debug)]
pub struct TextChanges {
    text: YText,
    changes: Changes,
}

impl Stream for TextChanges {
    type Item = String;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<String>> {
        match Pin::new(&mut self.changes).poll_next(cx) {
            Poll::Ready(Some(())) => Poll::Ready(self.text.read().ok()),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}
