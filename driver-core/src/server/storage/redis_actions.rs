//! Storage actions as Redis script calls, and script replies as completions: what
//! each action sends in the batch's pipeline ([`Pending::prepare`]) and how its
//! reply becomes its completion ([`finish`]; folds continue in
//! [`redis_fold`](super::redis_fold)).

use redis::{Pipeline, Script, Value};
use syncwire_proto::hub::{
    AppendOutcome, OpId, RoomRecord, StorageAction, StorageCompletion, StorageError,
};

use super::redis_backend::RedisBackend;
use super::redis_codec::{
    append_outcomes, bad, entries, number, outcome, seq_table, snapshot, text,
};
use super::redis_fold::{FoldInput, commit_folds};
use super::redis_keys::{FOLD_LEASE_MS, MAX_SAFE, RoomKeys, Scripts};

/// One action of a batch, waiting for its reply.
pub(crate) enum Pending {
    /// Answered without Redis (a value the scripts cannot handle exactly).
    Now(StorageCompletion),
    Load(OpId),
    Create(OpId),
    Append(OpId),
    /// A shared append of this many entries.
    AppendShared(OpId, usize),
    Range(OpId),
    Fold(OpId, RoomKeys, u64),
}

/// Adds `EVALSHA script <n> <keys> <args>` to `pipe`.
pub(crate) fn eval<'p>(pipe: &'p mut Pipeline, script: &Script, keys: &[&str]) -> &'p mut Pipeline {
    pipe.cmd("EVALSHA")
        .arg(script.get_hash())
        .arg(keys.len())
        .arg(keys)
}

impl Pending {
    /// Adds the script call of `action` to `pipe`; `token` names this node's fold
    /// leases.
    pub(crate) fn prepare(
        scripts: &Scripts,
        token: &str,
        action: StorageAction,
        pipe: &mut Pipeline,
    ) -> Pending {
        let keys = RoomKeys::of(action.room());
        match action {
            StorageAction::Load { op, tail_limit, .. } => {
                let limit = tail_limit.min(usize::try_from(MAX_SAFE).unwrap_or(usize::MAX));
                eval(pipe, &scripts.load, &keys.all()).arg(limit);
                Pending::Load(op)
            }
            StorageAction::Create {
                op, crdt, epoch, ..
            } => {
                eval(pipe, &scripts.create, &keys.all())
                    .arg(crdt)
                    .arg(epoch);
                Pending::Create(op)
            }
            StorageAction::Append {
                op, epoch, entries, ..
            } => {
                if entries
                    .iter()
                    .any(|e| e.offset > MAX_SAFE || e.seq > MAX_SAFE)
                {
                    let e = StorageError("offset or seq beyond 2^53 (redis backend)".into());
                    return Pending::Now(StorageCompletion::Appended { op, result: Err(e) });
                }
                let cmd = eval(pipe, &scripts.append, &keys.all())
                    .arg(epoch)
                    .arg(entries.len());
                for e in &entries {
                    cmd.arg(e.offset)
                        .arg(e.replica.0)
                        .arg(e.seq)
                        .arg(&e.payload[..]);
                }
                Pending::Append(op)
            }
            StorageAction::AppendShared {
                op, epoch, entries, ..
            } => {
                if entries.iter().any(|e| e.seq > MAX_SAFE) {
                    let e = StorageError("seq beyond 2^53 (redis backend)".into());
                    return Pending::Now(StorageCompletion::AppendedShared { op, result: Err(e) });
                }
                let cmd = eval(pipe, &scripts.append_shared, &keys.all())
                    .arg(epoch)
                    .arg(entries.len());
                for e in &entries {
                    cmd.arg(e.replica.0).arg(e.seq).arg(&e.payload[..]);
                }
                Pending::AppendShared(op, entries.len())
            }
            StorageAction::LoadRange {
                op,
                epoch,
                from,
                max_entries,
                ..
            } => {
                let max = max_entries.min(usize::try_from(MAX_SAFE).unwrap_or(usize::MAX));
                eval(pipe, &scripts.range, &keys.all())
                    .arg(epoch)
                    .arg(from.min(MAX_SAFE))
                    .arg(max);
                Pending::Range(op)
            }
            StorageAction::Fold { op, epoch, to, .. } => {
                eval(pipe, &scripts.fold_input, &keys.with_lease())
                    .arg(epoch)
                    .arg(to.min(MAX_SAFE))
                    .arg(token)
                    .arg(FOLD_LEASE_MS);
                Pending::Fold(op, keys, epoch)
            }
        }
    }
}

/// A reply that is a Redis error fails its action alone.
fn checked(v: Value) -> Result<Value, StorageError> {
    match v {
        Value::ServerError(e) => Err(StorageError(format!("redis: {e}"))),
        other => Ok(other),
    }
}

fn load(v: Value) -> Result<Option<RoomRecord>, StorageError> {
    let Some(items) = outcome(checked(v)?)? else {
        return Ok(None);
    };
    let mut f = items.into_iter();
    let crdt = text(f.next(), "crdt")?;
    let epoch = number(f.next(), "epoch")?;
    let head = number(f.next(), "head")?;
    let first_offset = number(f.next(), "first")?;
    let snapshot = snapshot(f.next())?;
    let seqs = seq_table(f.next())?;
    let mut tail = entries(f.next())?;
    tail.reverse();
    Ok(Some(RoomRecord {
        crdt,
        epoch,
        head,
        first_offset,
        snapshot,
        seqs,
        tail,
    }))
}

fn done(v: Value) -> Result<(), StorageError> {
    outcome(checked(v)?)?
        .map(drop)
        .ok_or_else(|| bad("no room"))
}

/// A shared append's outcomes, one per entry (`n`) or an error.
fn shared(v: Value, n: usize) -> Result<Vec<AppendOutcome>, StorageError> {
    let items = outcome(checked(v)?)?.ok_or_else(|| bad("no room"))?;
    let got = append_outcomes(items.into_iter().next())?;
    if got.len() == n {
        Ok(got)
    } else {
        Err(bad("outcome count"))
    }
}

/// The completions of `pending`, from their `replies` (in order); folds merge here
/// and commit in one more round trip.
pub(crate) fn finish(
    backend: &mut RedisBackend,
    pending: Vec<Pending>,
    replies: Vec<Value>,
) -> Result<Vec<StorageCompletion>, StorageError> {
    let mut replies = replies.into_iter();
    let mut out = Vec::with_capacity(pending.len());
    let mut folds = Vec::new();
    for p in pending {
        let reply = match &p {
            Pending::Now(_) => Value::Nil,
            _ => replies.next().ok_or_else(|| bad("missing reply"))?,
        };
        out.push(match p {
            Pending::Now(c) => c,
            Pending::Load(op) => StorageCompletion::Loaded {
                op,
                result: load(reply),
            },
            Pending::Create(op) => StorageCompletion::Created {
                op,
                result: done(reply),
            },
            Pending::Append(op) => StorageCompletion::Appended {
                op,
                result: done(reply),
            },
            Pending::AppendShared(op, n) => StorageCompletion::AppendedShared {
                op,
                result: shared(reply, n),
            },
            Pending::Range(op) => StorageCompletion::Range {
                op,
                result: checked(reply)
                    .and_then(outcome)
                    .and_then(|o| entries(o.and_then(|v| v.into_iter().next()))),
            },
            Pending::Fold(op, keys, epoch) => {
                match checked(reply).and_then(FoldInput::decode) {
                    Ok(input) => {
                        // A placeholder until the fold commits (below).
                        folds.push((out.len(), op, keys, epoch, input));
                        StorageCompletion::Folded {
                            op,
                            result: Ok(None),
                        }
                    }
                    Err(e) => StorageCompletion::Folded { op, result: Err(e) },
                }
            }
        });
    }
    commit_folds(backend, folds, &mut out)?;
    Ok(out)
}
