//! [`VecMap`] and [`VecSet`] against `BTreeMap` / `BTreeSet`, and the index sort
//! against the standard library's.

use std::collections::{BTreeMap, BTreeSet};

use quickcheck_macros::quickcheck;

use super::sort::sort_index;
use super::{VecMap, VecSet};

/// A key of two parts, so both halves of the sort key matter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Key(u8, u8);

/// Keys from a small domain (so they repeat), in the order given, reversed or
/// sorted descending: the orders a hostile payload would choose.
fn keyed(raw: &[(u8, u8, u8)], order: u8) -> Vec<(Key, u8)> {
    let mut v: Vec<(Key, u8)> = raw
        .iter()
        .map(|&(a, b, v)| (Key(a % 4, b % 8), v))
        .collect();
    match order % 3 {
        0 => {}
        1 => v.reverse(),
        // Descending by key, repeated keys kept in input order (a stable sort).
        _ => v.sort_by_key(|x| core::cmp::Reverse(x.0)),
    }
    v
}

/// Folding a repeated key's later value into the kept one: not commutative, so
/// the input order of repeated keys shows.
fn dup(kept: &mut u8, later: u8) {
    *kept = kept.wrapping_mul(31).wrapping_add(later);
}

/// What inserting one by one into a `BTreeMap` with that rule gives.
fn model(entries: &[(Key, u8)]) -> BTreeMap<Key, u8> {
    let mut m = BTreeMap::new();
    for &(k, v) in entries {
        match m.get_mut(&k) {
            Some(kept) => dup(kept, v),
            None => {
                m.insert(k, v);
            }
        }
    }
    m
}

/// `from_unsorted`, and `push_unordered` + `restore_order` in two pieces, give
/// the `BTreeMap` of the same entries in any order (ascending, descending,
/// shuffled, with repeated keys).
#[quickcheck]
fn from_unsorted_is_the_btree_of_the_entries(raw: Vec<(u8, u8, u8)>, order: u8) -> bool {
    let entries = keyed(&raw, order);
    let want = model(&entries);
    let built = VecMap::from_unsorted(entries.clone(), dup);
    let half = entries.len() / 2;
    let mut pieces = VecMap::from_unsorted(entries[..half].to_vec(), dup);
    for &(k, v) in &entries[half..] {
        pieces.push_unordered(k, v);
    }
    pieces.restore_order(dup);
    built.iter().eq(want.iter())
        && pieces.iter().eq(want.iter())
        && built.len() == want.len()
        && built.keys().zip(built.keys().skip(1)).all(|(a, b)| a < b)
}

/// `join` gives what joining into a `BTreeMap` key by key gives, and reports a
/// change exactly when there was one; `last_at_most` is the B-tree's range end.
#[quickcheck]
fn join_is_the_btree_join(a: Vec<(u8, u8, u8)>, b: Vec<(u8, u8, u8)>, order: u8) -> bool {
    let (ea, eb) = (keyed(&a, order), keyed(&b, order.wrapping_add(1)));
    let (mut mine, theirs) = (
        VecMap::from_unsorted(ea.clone(), dup),
        VecMap::from_unsorted(eb.clone(), dup),
    );
    let (mut want, theirs_model) = (model(&ea), model(&eb));
    let admit = |k: &Key| k.1 % 3 != 0;
    let join = |m: &mut u8, t: &u8| {
        let more = *t > *m;
        *m = (*m).max(*t);
        more
    };
    let mut want_changed = false;
    for (k, v) in &theirs_model {
        match want.get_mut(k) {
            Some(m) => want_changed |= join(m, v),
            None if admit(k) => {
                want.insert(*k, *v);
                want_changed = true;
            }
            None => {}
        }
    }
    let changed = mine.join(&theirs, admit, join);
    let bounds_agree = (0..5).all(|x| {
        (0..9).all(|y| {
            let k = Key(x, y);
            mine.last_at_most(&k) == want.range(..=k).next_back().map(|(k, _)| k)
        })
    });
    changed == want_changed && mine.iter().eq(want.iter()) && bounds_agree
}

/// The heapsort sorts as the standard sort does.
#[quickcheck]
fn sort_index_sorts(raw: Vec<(u8, u64)>) -> bool {
    let keys: Vec<(u8, u64)> = raw.iter().map(|&(a, b)| (a % 8, b % 4)).collect();
    let mut order: Vec<usize> = (0..keys.len()).collect();
    sort_index(&mut order, &|a, b| (keys[a], a) < (keys[b], b));
    let mut want: Vec<(u8, u64, usize)> = keys
        .iter()
        .enumerate()
        .map(|(i, &(a, b))| (a, b, i))
        .collect();
    want.sort();
    order.iter().map(|&i| (keys[i].0, keys[i].1, i)).eq(want)
}

/// Random inserts, removes, lookups and retains give what a `BTreeMap` /
/// `BTreeSet` gives, in the same order.
#[quickcheck]
fn behaves_as_the_btree(ops: Vec<(u8, u8, u8)>) -> bool {
    let mut a = VecMap::new();
    let mut b = BTreeMap::new();
    let mut s = VecSet::new();
    let mut t = BTreeSet::new();
    for (op, k, v) in ops {
        let k = k % 16;
        let same = match op % 7 {
            0 => a.insert(k, v) == b.insert(k, v) && s.insert(k) == t.insert(k),
            1 => a.remove(&k) == b.remove(&k) && s.remove(&k) == t.remove(&k),
            2 => a.get(&k) == b.get(&k) && s.contains(&k) == t.contains(&k),
            3 => {
                *a.get_or_insert_with(k, || v) == *b.entry(k).or_insert_with(|| v)
                    && a.contains_key(&k)
            }
            4 => a.values_mut().eq(b.values_mut()),
            5 => s.pop_first() == t.pop_first(),
            _ => {
                if let (Some(x), Some(y)) = (a.get_mut(&k), b.get_mut(&k)) {
                    *x = x.wrapping_add(v);
                    *y = y.wrapping_add(v);
                }
                true
            }
        };
        let other: VecSet<u8> = {
            let mut o = VecSet::new();
            o.insert(v % 16);
            o
        };
        let other_t: BTreeSet<u8> = [v % 16].into();
        if !same
            || !a.iter().eq(b.iter())
            || !s.iter().eq(t.iter())
            || a.len() != b.len()
            || s.len() != t.len()
            || !s.difference(&other).eq(t.difference(&other_t))
        {
            return false;
        }
    }
    true
}
