//! Decoding the Redis backend's script replies into the storage types, and encoding
//! a snapshot's sequence table. Owns every conversion from Redis values: nothing
//! here panics on a malformed reply, it becomes a [`StorageError`] naming what was
//! wrong (the backend then fails the action, as for any storage failure).

use bytes::Bytes;
use redis::Value;
use syncwire_proto::hub::{AppendOutcome, StorageError, StoredEntry, StoredSnapshot};
use syncwire_proto::wire::ReplicaId;

/// A reply that is not what the scripts return.
pub(crate) fn bad(what: &str) -> StorageError {
    StorageError(format!("redis: malformed reply ({what})"))
}

/// What a script answered: `{'ok', ...}` (the rest), `{'refused', message}` (an
/// `Err` with that message), or `{'none'}` (`None`).
pub(crate) fn outcome(v: Value) -> Result<Option<Vec<Value>>, StorageError> {
    let mut items = array(v, "script reply")?.into_iter();
    let status = bytes(items.next(), "status")?;
    match &status[..] {
        b"ok" => Ok(Some(items.collect())),
        b"none" => Ok(None),
        b"refused" => {
            let msg = bytes(items.next(), "refusal")?;
            Err(StorageError(String::from_utf8_lossy(&msg).into_owned()))
        }
        _ => Err(bad("unknown status")),
    }
}

/// The elements of an array (RESP2) or set.
pub(crate) fn array(v: Value, what: &str) -> Result<Vec<Value>, StorageError> {
    match v {
        Value::Array(items) | Value::Set(items) => Ok(items),
        Value::Nil => Ok(Vec::new()),
        _ => Err(bad(what)),
    }
}

/// The bytes of a string reply.
pub(crate) fn bytes(v: Option<Value>, what: &str) -> Result<Vec<u8>, StorageError> {
    opt_bytes(v, what)?.ok_or_else(|| bad(what))
}

/// The bytes of a string reply, `None` for nil.
pub(crate) fn opt_bytes(v: Option<Value>, what: &str) -> Result<Option<Vec<u8>>, StorageError> {
    match v {
        Some(Value::BulkString(b)) => Ok(Some(b)),
        Some(Value::SimpleString(s)) => Ok(Some(s.into_bytes())),
        Some(Value::Int(i)) => Ok(Some(i.to_string().into_bytes())),
        Some(Value::Okay) => Ok(Some(b"OK".to_vec())),
        Some(Value::Nil) => Ok(None),
        _ => Err(bad(what)),
    }
}

/// A decimal number (as the scripts store offsets, epochs, replicas and seqs).
pub(crate) fn number(v: Option<Value>, what: &str) -> Result<u64, StorageError> {
    parse(&bytes(v, what)?, what)
}

fn parse(b: &[u8], what: &str) -> Result<u64, StorageError> {
    std::str::from_utf8(b)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad(what))
}

/// A string reply as UTF-8 text.
pub(crate) fn text(v: Option<Value>, what: &str) -> Result<String, StorageError> {
    String::from_utf8(bytes(v, what)?).map_err(|_| bad(what))
}

/// Stream entries (`[[id, [field, value, ...]], ...]`) as log entries.
pub(crate) fn entries(v: Option<Value>) -> Result<Vec<StoredEntry>, StorageError> {
    Ok(epoch_entries(v)?.into_iter().map(|(e, _)| e).collect())
}

/// Stream entries with the epoch each was appended at (field `e`; `None` for
/// entries written before the field existed).
pub(crate) fn epoch_entries(
    v: Option<Value>,
) -> Result<Vec<(StoredEntry, Option<u64>)>, StorageError> {
    let items = array(v.unwrap_or(Value::Nil), "stream")?;
    items.into_iter().map(entry).collect()
}

fn entry(v: Value) -> Result<(StoredEntry, Option<u64>), StorageError> {
    let mut pair = array(v, "stream entry")?.into_iter();
    let _id = pair.next();
    let fields = array(pair.next().unwrap_or(Value::Nil), "stream fields")?;
    let (mut offset, mut replica, mut seq, mut payload) = (None, None, None, None);
    let mut epoch = None;
    let mut it = fields.into_iter();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        let k = bytes(Some(k), "field name")?;
        match &k[..] {
            b"o" => offset = Some(number(Some(v), "offset")?),
            b"r" => replica = Some(number(Some(v), "replica")?),
            b"s" => seq = Some(number(Some(v), "seq")?),
            b"p" => payload = Some(bytes(Some(v), "payload")?),
            b"e" => epoch = Some(number(Some(v), "epoch")?),
            _ => {}
        }
    }
    match (offset, replica, seq, payload) {
        (Some(offset), Some(replica), Some(seq), Some(payload)) => Ok((
            StoredEntry {
                offset,
                replica: ReplicaId(replica),
                seq,
                payload: Bytes::from(payload),
            },
            epoch,
        )),
        _ => Err(bad("stream entry fields")),
    }
}

/// The shared-append script's verdicts (`[[kind, number], ...]`: `l` logged at
/// offset, `d` duplicate of the stored seq, `g` gap, expected seq).
pub(crate) fn append_outcomes(v: Option<Value>) -> Result<Vec<AppendOutcome>, StorageError> {
    array(v.unwrap_or(Value::Nil), "append outcomes")?
        .into_iter()
        .map(|o| {
            let mut f = array(o, "append outcome")?.into_iter();
            let kind = bytes(f.next(), "outcome kind")?;
            let n = number(f.next(), "outcome value")?;
            match &kind[..] {
                b"l" => Ok(AppendOutcome::Logged { offset: n }),
                b"d" => Ok(AppendOutcome::Duplicate { acked: n }),
                b"g" => Ok(AppendOutcome::Gap { expected: n }),
                _ => Err(bad("outcome kind")),
            }
        })
        .collect()
}

/// A snapshot hash read with `HMGET offset state seqs`; `None` without one.
pub(crate) fn snapshot(v: Option<Value>) -> Result<Option<StoredSnapshot>, StorageError> {
    let mut f = array(v.unwrap_or(Value::Nil), "snapshot")?.into_iter();
    let Some(offset) = opt_bytes(f.next(), "snapshot offset")? else {
        return Ok(None);
    };
    let state = bytes(f.next(), "snapshot state")?;
    let seqs = decode_seqs(&bytes(f.next(), "snapshot seqs")?)?;
    Ok(Some(StoredSnapshot {
        offset: parse(&offset, "snapshot offset")?,
        state: Bytes::from(state),
        seqs,
    }))
}

/// The replica → seq table from `HGETALL` (flat array in RESP2, map in RESP3), sorted.
pub(crate) fn seq_table(v: Option<Value>) -> Result<Vec<(ReplicaId, u64)>, StorageError> {
    let pairs: Vec<(Value, Value)> = match v.unwrap_or(Value::Nil) {
        Value::Map(m) => m,
        other => {
            let flat = array(other, "seq table")?;
            let mut it = flat.into_iter();
            let mut out = Vec::new();
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                out.push((k, v));
            }
            out
        }
    };
    let mut table = pairs
        .into_iter()
        .map(|(k, v)| {
            Ok((
                ReplicaId(number(Some(k), "replica")?),
                number(Some(v), "seq")?,
            ))
        })
        .collect::<Result<Vec<_>, StorageError>>()?;
    table.sort_unstable();
    Ok(table)
}

/// A snapshot's table as stored: 16 bytes a replica (id, seq; big-endian).
pub(crate) fn encode_seqs(seqs: &[(ReplicaId, u64)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(seqs.len() * 16);
    for (r, s) in seqs {
        out.extend_from_slice(&r.0.to_be_bytes());
        out.extend_from_slice(&s.to_be_bytes());
    }
    out
}

fn decode_seqs(b: &[u8]) -> Result<Vec<(ReplicaId, u64)>, StorageError> {
    if b.len() % 16 != 0 {
        return Err(bad("snapshot seqs length"));
    }
    let word = |c: &[u8]| c.try_into().map(u64::from_be_bytes).map_err(|_| bad("seq"));
    b.chunks_exact(16)
        .map(|c| Ok((ReplicaId(word(&c[..8])?), word(&c[8..])?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_replies_are_errors_not_panics() {
        assert!(outcome(Value::Int(3)).is_err());
        assert!(outcome(Value::Array(vec![])).is_err());
        assert!(entries(Some(Value::Array(vec![Value::Int(1)]))).is_err());
        assert!(decode_seqs(&[0; 15]).is_err());
        let odd = Value::Array(vec![Value::Array(vec![
            Value::BulkString(b"x".to_vec()),
            Value::BulkString(b"1".to_vec()),
        ])]);
        assert!(append_outcomes(Some(odd)).is_err());
        assert!(append_outcomes(Some(Value::Int(1))).is_err());
        assert!(seq_table(Some(Value::Array(vec![Value::Nil, Value::Nil]))).is_err());
        let seqs = vec![(ReplicaId(u64::MAX), 7)];
        assert_eq!(decode_seqs(&encode_seqs(&seqs)).unwrap(), seqs);
    }
}
