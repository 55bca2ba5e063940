//! [`YOp`]: the local operations of a [`YDoc`](super::YDoc): a transaction closure,
//! an update made elsewhere, or plain-text edits. This part owns the operations and
//! how one runs inside a yrs transaction.

use core::fmt;
use std::sync::Arc;

use yrs::{GetString, Text, TransactionMut, WriteTxn};

use crate::crdt::CrdtError;

/// A transaction closure: edits the document through yrs's API (`txn.get_or_insert_text`,
/// `get_or_insert_map`, `get_or_insert_array`, ...). It runs against the replica's current
/// document each time the operation is prepared (again, if it had to wait for its room),
/// and its changes become the delta. Shared types obtained inside are valid only there.
#[derive(Clone)]
pub struct YTransaction(Arc<dyn Fn(&mut TransactionMut<'_>) + Send + Sync>);

impl YTransaction {
    /// Wraps `f`.
    pub fn new(f: impl Fn(&mut TransactionMut<'_>) + Send + Sync + 'static) -> Self {
        YTransaction(Arc::new(f))
    }
}

impl fmt::Debug for YTransaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("YTransaction(..)")
    }
}

/// A local operation on a [`YDoc`](super::YDoc).
#[derive(Clone, Debug)]
pub enum YOp {
    /// Runs a transaction; see [`YTransaction`].
    Transact(YTransaction),
    /// A Yjs v1 update made by another Yjs or yrs document (a browser editor, an
    /// importer), sent as this replica's change. Checked like a remote delta.
    Update(Vec<u8>),
    /// Inserts `chunk` into the root text `text` at `index` (in characters).
    InsertText {
        /// The root text type's name.
        text: String,
        /// Where, in Unicode scalar values from the start.
        index: usize,
        /// What.
        chunk: String,
    },
    /// Deletes `len` characters of the root text `text` from `index`.
    DeleteText {
        /// The root text type's name.
        text: String,
        /// From where, in Unicode scalar values.
        index: usize,
        /// How many Unicode scalar values.
        len: usize,
    },
}

impl YOp {
    /// A [`YOp::Transact`] running `f`.
    pub fn transact(f: impl Fn(&mut TransactionMut<'_>) + Send + Sync + 'static) -> Self {
        YOp::Transact(YTransaction::new(f))
    }

    /// A [`YOp::InsertText`].
    pub fn insert_text(text: &str, index: usize, chunk: &str) -> Self {
        YOp::InsertText {
            text: text.to_owned(),
            index,
            chunk: chunk.to_owned(),
        }
    }

    /// A [`YOp::DeleteText`].
    pub fn delete_text(text: &str, index: usize, len: usize) -> Self {
        YOp::DeleteText {
            text: text.to_owned(),
            index,
            len,
        }
    }

    /// Runs this operation in `txn` (not [`YOp::Update`], which is no transaction).
    pub(super) fn run(&self, txn: &mut TransactionMut<'_>) -> Result<(), CrdtError> {
        match self {
            YOp::Transact(f) => (f.0)(txn),
            YOp::Update(_) => {}
            YOp::InsertText { text, index, chunk } => {
                let t = txn.get_or_insert_text(text.as_str());
                let current = t.get_string(txn);
                let at = utf16_offset(&current, *index)?;
                t.insert(txn, at, chunk);
            }
            YOp::DeleteText { text, index, len } => {
                let t = txn.get_or_insert_text(text.as_str());
                let current = t.get_string(txn);
                let from = utf16_offset(&current, *index)?;
                let end = index
                    .checked_add(*len)
                    .ok_or_else(|| CrdtError::OutOfRange {
                        index: *index,
                        len: current.chars().count(),
                    })?;
                let to = utf16_offset(&current, end)?;
                if to > from {
                    t.remove_range(txn, from, to - from);
                }
            }
        }
        Ok(())
    }
}

/// The UTF-16 offset of the `index`-th character of `s` (its end for `index == len`).
fn utf16_offset(s: &str, index: usize) -> Result<u32, CrdtError> {
    let mut chars = s.chars();
    let mut at = 0usize;
    for _ in 0..index {
        let c = chars.next().ok_or_else(|| CrdtError::OutOfRange {
            index,
            len: s.chars().count(),
        })?;
        at += c.len_utf16();
    }
    u32::try_from(at).map_err(|_| CrdtError::Overflow("text offset"))
}
