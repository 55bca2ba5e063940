//! What two [`YDoc`](super::YDoc)s are compared by: every struct held (integrated or
//! waiting for its predecessors) and every deletion, as canonical ranges, so that two
//! replicas holding the same structs in different block layouts compare equal. This
//! part owns the canonical form.

use yrs::{ClientID, IdSet, StateVector};

/// Client ids and clock ranges, sorted and joined: a canonical form of an `IdSet`.
pub(super) type Ranges = Vec<(u64, Vec<(u32, u32)>)>;

pub(super) fn norm_ids(set: &IdSet) -> Ranges {
    let mut out: Ranges = Vec::new();
    for (client, ranges) in set.iter() {
        let mut rs: Vec<(u32, u32)> = ranges.iter().map(|r| (r.start, r.end)).collect();
        rs.sort_unstable();
        let mut joined: Vec<(u32, u32)> = Vec::with_capacity(rs.len());
        for (a, b) in rs {
            match joined.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ if a < b => joined.push((a, b)),
                _ => {}
            }
        }
        if !joined.is_empty() {
            out.push((client.get(), joined));
        }
    }
    out.sort_unstable();
    out
}

/// What equality compares: every struct held (integrated, or waiting for its
/// predecessors) and every deletion, as canonical ranges.
pub(super) type Key = (Ranges, Ranges);

/// Whether every range of `ids` lies below `sv` (is integrated).
pub(super) fn covered(ids: &Ranges, sv: &StateVector) -> bool {
    ids.iter().all(|(client, ranges)| {
        let clock = sv.get(&ClientID::new(*client));
        ranges.iter().all(|(_, end)| *end <= clock)
    })
}
