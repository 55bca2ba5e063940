//! [`YDoc`]: a Yjs document (a `yrs::Doc`) as a syncwire CRDT, wire tag `"ydoc"`
//! (cargo feature `ydoc`). This module owns the document state and its merge; the
//! operations are in [`op`](self::YOp), the bounded pre-decode check in `scan`.
//!
//! * A state or delta encodes as one **Yjs v1 update**: a state is
//!   `encode_state_as_update_v1` of the whole document (pending structs included), a
//!   local delta is the update of its transaction. Any Yjs or yrs peer reads them.
//! * `merge` applies the other side's update (Yjs integration is idempotent and, in
//!   causal order, order-independent; structs whose predecessors are missing wait,
//!   and are retried after every merge that placed something: yrs 0.28's own retry
//!   misses some; docs/CRDTS.md "Known limits"). Hub compaction decodes the snapshot, applies the logged updates and
//!   encodes once: the snapshot is the garbage-collected document, where merging the
//!   updates (`merge_updates_v1`) would keep every deleted character forever.
//! * Decoding always runs the bounded structural check first, then
//!   `Update::decode_v1`, then integrates the update into an empty document;
//!   [`DeltaCrdt::validate`] (the hub's payload check, [`validate_update`]) does the
//!   same and drops the document, so the hub accepts exactly what replicas can load
//!   (it integrates only updates with an item whose parent is given by id: yrs can
//!   refuse nothing else).
//!   [`DeltaCrdt::check_encoded`] (a replica's own encoded delta) skips the
//!   integration: its bytes were encoded from a document.
//! * Equality is semantic: the same integrated structs (state vector), the same
//!   deletions, the same pending structs. Two replicas that saw the same updates in any
//!   order compare equal although their block layout may differ.
//! * Local edits are made as Yjs client id [`client_id`]`(replica)`: the replica id's
//!   low 53 bits (what a JavaScript number holds). Two writers of one room must not
//!   share those bits.
//! * `prepare` runs the transaction on a copy of the document (so a refused operation
//!   changes nothing), which costs time linear in the document per local operation;
//!   [`YOp::Update`] (an update made elsewhere) skips the copy.

mod bounds;
mod check;
mod key;
mod op;
mod scan;

use core::fmt;

use yrs::updates::encoder::Encode;
use yrs::{ClientID, Doc, OffsetKind, Options, ReadTxn, StateVector, Transact, Update};

use check::{checked_update, decode_update};
use key::{Key, covered, norm_ids};

pub use bounds::{
    MAX_ANY_DEPTH, MAX_CLIENT_ID, MAX_CLOCK, MAX_DELETE_RANGES, MAX_TYPE_ITEMS, MAX_UPDATE_CLIENTS,
    MAX_UPDATE_STRUCTS, UpdateRejection, UpdateStats,
};
pub use check::validate_update;
pub use op::{YOp, YTransaction};

use super::{CrdtError, DeltaCrdt, OpContext};
use crate::wire::ReplicaId;

const TAG: &str = "ydoc";

/// The Yjs client id `replica` edits as: its low 53 bits.
pub fn client_id(replica: ReplicaId) -> u64 {
    replica.0 & MAX_CLIENT_ID
}

/// A new empty yrs document editing as `client` (UTF-16 offsets, as Yjs counts).
fn new_doc(client: u64) -> Doc {
    let mut options =
        Options::with_guid_and_client_id("syncwire-ydoc".into(), ClientID::new(client));
    options.offset_kind = OffsetKind::Utf16;
    Doc::with_options(options)
}

/// A Yjs document. See the module docs.
pub struct YDoc {
    doc: Doc,
    /// Whether the document may hold structs or deletions not integrated yet
    /// (their predecessors missing); merges then compare full keys.
    held: bool,
}

impl YDoc {
    /// The underlying yrs document, for reading (`doc().transact()`, `get_or_insert_text`...).
    /// Change it only through operations ([`YOp`]): edits made on it directly are not sent.
    pub fn doc(&self) -> &Doc {
        &self.doc
    }

    /// The text of the root text type `name` (empty if it does not exist).
    pub fn text(&self, name: &str) -> String {
        use yrs::GetString;
        let txn = self.doc.transact();
        txn.get_text(name)
            .map(|t| t.get_string(&txn))
            .unwrap_or_default()
    }

    /// The document's state vector (what it holds of every writer), v1-encoded as Yjs
    /// sync step 1 sends it.
    pub fn state_vector_v1(&self) -> Vec<u8> {
        use yrs::updates::encoder::Encode;
        self.doc.transact().state_vector().encode_v1()
    }

    /// What a document at `state_vector` (v1-encoded, as [`YDoc::state_vector_v1`]
    /// gives it) lacks of this one, as one Yjs v1 update: the structs past that state
    /// vector and the whole delete set (what Yjs's sync step 2 sends;
    /// `Y.encodeStateAsUpdate(doc, stateVector)`). An empty state vector gives the whole
    /// document. A state vector that does not decode is `Err(Decode)`.
    pub fn encode_diff_v1(&self, state_vector: &[u8]) -> Result<Vec<u8>, CrdtError> {
        use yrs::updates::decoder::Decode;
        let sv = StateVector::decode_v1(state_vector)
            .map_err(|e| CrdtError::decode(TAG, e.to_string()))?;
        Ok(self.doc.transact().encode_state_as_update_v1(&sv))
    }

    /// Whether structs or deletions wait for predecessors this document has not seen.
    pub fn has_pending(&self) -> bool {
        self.held
    }

    /// A document holding `update` (checked as [`validate_update`] checks it).
    pub fn from_update(update: &[u8]) -> Result<Self, CrdtError> {
        let (_, decoded) = checked_update(update)?;
        let mut y = YDoc::default();
        y.apply_update(decoded)?;
        Ok(y)
    }

    fn encode_full(&self) -> Vec<u8> {
        self.doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default())
    }

    fn key(&self) -> Key {
        match decode_update(&self.encode_full()) {
            Ok(u) => (norm_ids(&u.insertions(true)), norm_ids(u.delete_set())),
            Err(_) => Default::default(),
        }
    }

    /// Applies a decoded update; whether anything changed. Integrated directly, or,
    /// while the document holds structs waiting for predecessors, through
    /// [`apply_rebuilt`](Self::apply_rebuilt).
    fn apply_update(&mut self, update: Update) -> Result<bool, CrdtError> {
        if self.held {
            return self.apply_rebuilt(update);
        }
        self.integrate(update)
    }

    /// Applies `update` to a document that holds structs or deletions waiting for
    /// their predecessors, without integrating it into that document: yrs 0.28.1
    /// reads freed memory when an update claiming ids the document holds ahead of a
    /// gap, with other structs, is integrated into it (docs/CRDTS.md, known limits;
    /// the fuzz reproducer in `crdt/tests/ydoc.rs`). The document's state and the
    /// update are merged as updates (`Update::merge_updates`: no integration; where two
    /// structs claim one id, one is kept) and the result is loaded into a new empty
    /// document. Time linear in the document, only while something waits.
    fn apply_rebuilt(&mut self, update: Update) -> Result<bool, CrdtError> {
        let before = self.key();
        let state = decode_update(&self.encode_full())?;
        let merged = Update::merge_updates(vec![state, update]);
        let mut fresh = YDoc {
            doc: new_doc(self.doc.client_id().get()),
            held: false,
        };
        fresh.integrate(merged)?;
        let changed = fresh.key() != before;
        *self = fresh;
        Ok(changed)
    }

    /// Integrates a decoded update into this document; whether anything changed.
    ///
    /// yrs keeps structs whose predecessors are missing (in its block store behind a
    /// skip, or in its pending update) without integrating them, and reports neither
    /// in its state vector nor in the transaction's insert set. So when the update is
    /// not integrated whole, or the document already held such structs, the change is
    /// decided by comparing full keys (time linear in the document; only while updates
    /// arrive out of order, which the hub's causal log order makes rare).
    fn integrate(&mut self, update: Update) -> Result<bool, CrdtError> {
        let incoming = norm_ids(&update.insertions(true));
        let before = self.held.then(|| self.key());
        let mut txn = self.doc.transact_mut();
        txn.apply_update(update)
            .map_err(|e| CrdtError::decode(TAG, e.to_string()))?;
        let mut changed = !txn.insert_set().is_empty() || !txn.delete_set().is_empty();
        // yrs retries its pending structs only when an update names a client its
        // bookkeeping lists as missing, which misses some after several out-of-order
        // updates (they would wait forever): retry them while that places something.
        while changed {
            let Some(pending) = txn.store().pending_update() else {
                break;
            };
            let retry = pending.update.encode_v1();
            let before = txn.state_vector();
            txn.apply_update(decode_update(&retry)?)
                .map_err(|e| CrdtError::decode(TAG, e.to_string()))?;
            if txn.state_vector() == before {
                break;
            }
            changed = true;
        }
        let whole = covered(&incoming, &txn.state_vector())
            && txn.store().pending_update().is_none()
            && txn.store().pending_ds().is_none();
        drop(txn);
        if before.is_none() && whole {
            return Ok(changed);
        }
        let after = self.key();
        let sv = self.doc.transact().state_vector();
        let pending_ds = self.doc.transact().store().pending_ds().is_some();
        self.held = !covered(&after.0, &sv) || pending_ds;
        Ok(match before {
            Some(before) => before != after,
            None => true,
        })
    }

    /// A copy of this document editing as `client`. Refused (`Rejected`) while
    /// structs of `client` itself wait for predecessors in the copy: yrs numbers a new
    /// edit from the clock of the structs it integrated, so the edit would claim ids
    /// this replica already used for other structs (its earlier edits, built on
    /// structs yrs had integrated early, become pending again when a document holding
    /// a gap is rebuilt or copied). Two structs under one id never converge.
    fn fork(&self, client: u64) -> Result<Doc, CrdtError> {
        let doc = new_doc(client);
        let update = decode_update(&self.encode_full())?;
        let own_end = norm_ids(&update.insertions(true))
            .into_iter()
            .find(|(c, _)| *c == client)
            .and_then(|(_, ranges)| ranges.last().map(|r| r.1))
            .unwrap_or(0);
        let mut txn = doc.transact_mut();
        txn.apply_update(update)
            .map_err(|e| CrdtError::decode(TAG, e.to_string()))?;
        if txn.state_vector().get(&ClientID::new(client)) < own_end {
            return Err(CrdtError::Rejected {
                tag: TAG,
                reason: "this replica's earlier edits wait for missing updates".into(),
            });
        }
        drop(txn);
        Ok(doc)
    }
}

impl Default for YDoc {
    fn default() -> Self {
        YDoc {
            doc: new_doc(0),
            held: false,
        }
    }
}

impl Clone for YDoc {
    /// A deep copy (a `yrs::Doc` clone would share the document).
    fn clone(&self) -> Self {
        let mut copy = YDoc::default();
        if let Ok(update) = decode_update(&self.encode_full()) {
            let _ = copy.apply_update(update);
        }
        copy
    }
}

impl PartialEq for YDoc {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl fmt::Debug for YDoc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (structs, deleted) = self.key();
        f.debug_struct("YDoc")
            .field("structs", &structs)
            .field("deleted", &deleted)
            .field("held", &self.held)
            .finish()
    }
}

impl DeltaCrdt for YDoc {
    const TAG: &'static str = TAG;
    type Op = YOp;

    fn prepare(&self, op: YOp, ctx: &OpContext) -> Result<Self, CrdtError> {
        let update = match op {
            YOp::Update(bytes) => return YDoc::from_update(&bytes),
            op => {
                let doc = self.fork(client_id(ctx.replica))?;
                let mut txn = doc.transact_mut();
                op.run(&mut txn)?;
                txn.encode_update_v1()
            }
        };
        YDoc::from_update(&update)
    }

    fn merge(&mut self, other: &Self) -> bool {
        match decode_update(&other.encode_full()) {
            Ok(update) => self.apply_update(update).unwrap_or(false),
            Err(_) => false,
        }
    }

    fn encode(&self) -> Result<Vec<u8>, CrdtError> {
        Ok(self.encode_full())
    }

    fn decode(bytes: &[u8]) -> Result<Self, CrdtError> {
        YDoc::from_update(bytes)
    }

    fn validate(bytes: &[u8]) -> Result<(), CrdtError> {
        validate_update(bytes).map(|_| ())
    }

    /// Checks the update and applies it directly (no intermediate document).
    fn merge_encoded(&mut self, bytes: &[u8]) -> Result<bool, CrdtError> {
        let (_, update) = checked_update(bytes)?;
        self.apply_update(update)
    }

    /// Decodes the snapshot once, applies every update in log order, encodes once.
    /// An update that fails the check is an error; one that passes it but that the
    /// state cannot integrate (a forged parent: docs/CRDTS.md, "Known limits") is
    /// skipped, as every replica skips it (an apply error), so the snapshot stays what
    /// replicas hold and compaction does not stop at it.
    fn merge_many_encoded(base: &[u8], deltas: &[&[u8]]) -> Result<Vec<u8>, CrdtError> {
        let mut state = YDoc::decode(base)?;
        for d in deltas {
            let (_, update) = checked_update(d)?;
            let _ = state.apply_update(update);
        }
        Ok(state.encode_full())
    }

    fn check_encoded(bytes: &[u8], max: usize) -> Result<(), CrdtError> {
        if bytes.len() > max {
            return Err(CrdtError::TooLarge {
                size: bytes.len(),
                max,
            });
        }
        checked_update(bytes).map(|_| ())
    }
}
