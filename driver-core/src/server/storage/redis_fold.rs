//! Folds of the Redis backend: the input read by the batch's pipeline (snapshot and
//! entries below `min(to, head)`, one script), the merge on the worker thread with
//! [`fold_snapshot`] and the hub's merger, and the commit: one script per fold,
//! all in one more round trip, that stores the snapshot and trims the stream below
//! its offset only if the room is unchanged (same epoch, same snapshot offset, head
//! not below the new offset). Entries at or above the new offset are never touched,
//! and a failure or crash before the commit leaves the old snapshot and every entry.

use redis::Value;
use syncwire_proto::hub::{
    OpId, StorageCompletion, StorageError, StoredEntry, StoredSnapshot, fold_snapshot,
};

use super::redis_actions::eval;
use super::redis_backend::RedisBackend;
use super::redis_codec::{bad, bytes, encode_seqs, entries, outcome, snapshot, text};
use super::redis_keys::RoomKeys;

/// What a fold merges: the room's type, its snapshot and the entries after it.
pub(crate) struct FoldInput {
    crdt: String,
    base: Option<StoredSnapshot>,
    run: Vec<StoredEntry>,
}

impl FoldInput {
    /// The fold-input script's reply (refusals become errors).
    pub(crate) fn decode(v: Value) -> Result<FoldInput, StorageError> {
        let mut f = outcome(v)?.ok_or_else(|| bad("fold input"))?.into_iter();
        Ok(FoldInput {
            crdt: text(f.next(), "crdt")?,
            base: snapshot(f.next())?,
            run: entries(f.next())?,
        })
    }
}

/// A fold waiting for its commit: its slot in the batch's completions, and more.
pub(crate) type FoldSlot = (usize, OpId, RoomKeys, u64, FoldInput);

/// Merges every fold of a batch and commits those that folded something (one
/// pipeline), writing each `Folded` completion into its slot of `out`.
pub(crate) fn commit_folds(
    backend: &mut RedisBackend,
    folds: Vec<FoldSlot>,
    out: &mut [StorageCompletion],
) -> Result<(), StorageError> {
    let merger = backend.merger();
    let token = backend.lease_token().to_owned();
    let mut pipe = redis::pipe();
    let mut committing = Vec::new();
    let mut commits = Vec::new();
    // Lease releases come first in the pipeline (their replies are skipped).
    let mut releasing = 0;
    for (slot, op, keys, epoch, input) in folds {
        match fold_snapshot(
            merger.as_ref(),
            &input.crdt,
            input.base.as_ref(),
            &input.run,
        ) {
            None => {
                eval(&mut pipe, &backend.scripts.fold_release, &keys.with_lease()).arg(&token);
                releasing += 1;
                set(
                    out,
                    slot,
                    StorageCompletion::Folded {
                        op,
                        result: Ok(input.base),
                    },
                );
            }
            Some(folded) => {
                let base = input.base.as_ref().map(|b| b.offset.to_string());
                commits.push((slot, op, keys, epoch, base, folded));
            }
        }
    }
    for (slot, op, keys, epoch, base, folded) in commits {
        eval(&mut pipe, &backend.scripts.fold_commit, &keys.with_lease())
            .arg(epoch)
            .arg(base.unwrap_or_default())
            .arg(folded.offset)
            .arg(&folded.state[..])
            .arg(encode_seqs(&folded.seqs))
            .arg(&token);
        committing.push((slot, op, folded));
    }
    if committing.is_empty() && releasing == 0 {
        return Ok(());
    }
    let mut replies = backend.run(&pipe)?.into_iter().skip(releasing);
    for (slot, op, folded) in committing {
        let reply = replies.next().ok_or_else(|| bad("missing reply"))?;
        let result = committed(reply, folded);
        set(out, slot, StorageCompletion::Folded { op, result });
    }
    Ok(())
}

/// The snapshot stored after a commit: `folded`, or the one the room kept.
fn committed(reply: Value, folded: StoredSnapshot) -> Result<Option<StoredSnapshot>, StorageError> {
    if let Value::ServerError(e) = reply {
        return Err(StorageError(format!("redis: {e}")));
    }
    let mut f = outcome(reply)?
        .ok_or_else(|| bad("fold commit"))?
        .into_iter();
    if bytes(f.next(), "fold status")? == b"stored" {
        Ok(Some(folded))
    } else {
        snapshot(f.next())
    }
}

fn set(out: &mut [StorageCompletion], slot: usize, c: StorageCompletion) {
    if let Some(s) = out.get_mut(slot) {
        *s = c;
    }
}
