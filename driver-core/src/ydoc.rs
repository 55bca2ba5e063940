//! Typed access to a `ydoc` room (feature `ydoc`): [`Doc<YDoc>`](crate::Doc) runs yrs
//! transactions whose changes become the delta ([`Doc::transact`]), and [`YText`] is a
//! plain-text view of one root text with insert, delete, read and a stream of the text
//! after each change, local or remote ([`YText::changes`]). [`YUpdates`] feeds a Yjs
//! document kept elsewhere (a browser editor's `Y.Doc`): the whole document as one
//! update, then what changed, as Yjs updates. This module owns no document state: the
//! document lives in the session's replica like every other room's.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use syncwire_proto::crdt::{CrdtError, YDoc, YOp};
use yrs::updates::encoder::Encode;
use yrs::{StateVector, TransactionMut};

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

    /// The update stream for a Yjs document kept elsewhere (a browser editor's
    /// `Y.Doc`); see [`YUpdates`].
    pub fn updates(&self) -> YUpdates {
        YUpdates {
            doc: self.clone(),
            sent: Vec::new(),
            seen: None,
            changes: self.changes(),
        }
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

/// The Yjs update stream of a `ydoc` room for a Yjs document kept elsewhere (a browser
/// editor's `Y.Doc`, another yrs document), which it keeps up to date: its first
/// update is the whole document, every later one what changed since the last one
/// (structs past the state vector handed over, plus the delete set, as Yjs's sync step
/// 2 sends them), so a lost or coalesced change notification loses nothing. The other
/// document's own changes go in through [`YUpdates::apply_local`], which does not hand
/// them back when nothing else was pending. Every update is a Yjs v1 update
/// (`Y.applyUpdate`). A [`Stream`] of updates after each change (coalesced like
/// [`Doc::changes`]); [`YUpdates::take_update`] without waiting. Ends when the session closes
/// or the room is left.
#[derive(Debug)]
pub struct YUpdates {
    doc: Doc<YDoc>,
    /// The state vector (v1) of what was handed out; empty before the first update.
    sent: Vec<u8>,
    /// The document's version when it was handed out.
    seen: Option<u64>,
    changes: Changes,
}

impl YUpdates {
    /// What the other document lacks, as one update: the whole document the first
    /// time, then what changed since the last update handed out; `None` if the
    /// document did not change since.
    pub fn take_update(&mut self) -> Result<Option<Vec<u8>>, DriverError> {
        let (seen, sent) = (self.seen, self.sent.as_slice());
        let out = self.doc.read_versioned(|version, d| {
            if seen == Some(version) {
                return Ok(None);
            }
            let diff = if sent.is_empty() {
                d.encode_diff_v1(&StateVector::default().encode_v1())?
            } else {
                d.encode_diff_v1(sent)?
            };
            Ok(Some((version, diff, d.state_vector_v1())))
        })?;
        match out.map_err(|e: CrdtError| DriverError::Replica(e.into()))? {
            None => Ok(None),
            Some((version, diff, sv)) => {
                self.seen = Some(version);
                self.sent = sv;
                Ok(Some(diff))
            }
        }
    }

    /// Sends `update`, made by the document this stream feeds, as this replica's
    /// change ([`Doc::apply_update`]). If everything before it was handed out, what
    /// it adds is marked as handed out too (the other document has it); otherwise the
    /// next update carries it back along with the rest (applying it again is a no-op
    /// in Yjs).
    pub fn apply_local(&mut self, update: Vec<u8>) -> Result<Applied, DriverError> {
        let seen = self.seen;
        let (applied, handed) = self
            .doc
            .apply_versioned(YOp::Update(update), |before, after, d| {
                (seen == Some(before)).then(|| (after, d.state_vector_v1()))
            })?;
        if let Some((version, sv)) = handed {
            self.seen = Some(version);
            self.sent = sv;
        }
        Ok(applied)
    }
}

impl Stream for YUpdates {
    type Item = Vec<u8>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Vec<u8>>> {
        if self.seen.is_none() {
            if let Ok(Some(update)) = self.take_update() {
                return Poll::Ready(Some(update));
            }
        }
        loop {
            match Pin::new(&mut self.changes).poll_next(cx) {
                Poll::Ready(Some(())) => match self.take_update() {
                    Ok(Some(update)) => return Poll::Ready(Some(update)),
                    Ok(None) => continue,
                    Err(_) => return Poll::Ready(None),
                },
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
